package io.cmekflink.crypto;

import io.cmekflink.dek.Dek;
import io.cmekflink.schema.DerivationOptions;
import io.cmekflink.schema.DerivedSchema;
import io.cmekflink.schema.MarkingRules;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;

/**
 * A quick single-thread loop, not a test: records per second of {@link RecordSealer} for a record
 * with five marked strings of 150 bytes, against one raw JCE AES-GCM seal of the same 750 bytes, in
 * this thread's CPU time. Each case warms up for 3 s; then the cases take turns for 5 rounds of 1 s
 * each, and the output is each case's median round.
 *
 * <pre>
 * mvn -q test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -cp target/test-classes:target/classes:$(cat target/cp.txt) io.cmekflink.crypto.SealThroughput
 * </pre>
 */
public final class SealThroughput {

    private static final int VALUE_BYTES = 150;
    private static final long WARM_UP_NANOS = 3_000_000_000L;
    private static final long ROUND_NANOS = 1_000_000_000L;
    private static final int ROUNDS = 5;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static long sink;

    private SealThroughput() {}

    interface Case {
        void run(long i) throws Exception;
    }

    public static void main(String[] args) throws Exception {
        Schema writer =
                new Schema.Parser()
                        .parse(
                                """
                                {"type": "record", "name": "Bench", "namespace": "bench", "fields": [
                                  {"name": "org_id", "type": "string"},
                                  {"name": "request_id", "type": "string"},
                                  {"name": "received_at", "type": "long"},
                                  {"name": "s1", "type": "string", "sensitive": true},
                                  {"name": "s2", "type": "string", "sensitive": true},
                                  {"name": "s3", "type": "string", "sensitive": true},
                                  {"name": "s4", "type": "string", "sensitive": true},
                                  {"name": "s5", "type": "string", "sensitive": true}]}
                                """);
        DerivationOptions options = DerivationOptions.of(MarkingRules.sensitiveOnly());
        DerivedSchema plain = DerivedSchema.derive(writer, options);
        DerivedSchema bound =
                DerivedSchema.derive(
                        writer, options.withBindingFields(List.of("request_id", "received_at")));
        GenericRecord input = Sample.normalise(record(writer));
        Dek dek = dek();
        RecordId recordId = new RecordId("requests", 0, 123_456);

        RecordSealer sealer = RecordSealer.create(plain);
        RecordSealer boundSealer = RecordSealer.create(bound);
        RecordOpener opener = RecordOpener.create(plain);
        byte[] sealedBytes = sealer.sealToBytes(input, "org-1", recordId, dek);
        byte[] aad = opener.associatedData(opener.decode(sealedBytes));

        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        SecretKeySpec key = new SecretKeySpec(new SecureRandom().generateSeed(32), "AES");
        byte[] plaintext = new byte[5 * (VALUE_BYTES + 2)];
        byte[] nonce = new byte[12];
        ByteBuffer nonceView = ByteBuffer.wrap(nonce);

        Map<String, Case> cases = new LinkedHashMap<>();
        cases.put(
                "raw AES-GCM, 760 B, no AAD",
                i -> {
                    nonceView.putLong(4, i);
                    cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
                    sink += cipher.doFinal(plaintext).length;
                });
        cases.put(
                "raw AES-GCM, 760 B, " + aad.length + " B AAD",
                i -> {
                    nonceView.putLong(4, i);
                    cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
                    cipher.updateAAD(aad);
                    sink += cipher.doFinal(plaintext).length;
                });
        int recordBytes =
                sealer.sealBinary(
                                Sample.encode(writer, input),
                                0,
                                Sample.encode(writer, input).length,
                                "org-1",
                                recordId,
                                dek)
                        .length;
        byte[] unmarked = new byte[recordBytes];
        cases.put(
                "raw AES-GCM + AAD, copy to record",
                i -> {
                    nonceView.putLong(4, i);
                    cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
                    cipher.updateAAD(aad);
                    byte[] sealed = cipher.doFinal(plaintext);
                    byte[] out = new byte[recordBytes];
                    System.arraycopy(unmarked, 0, out, 0, recordBytes - sealed.length);
                    System.arraycopy(sealed, 0, out, recordBytes - sealed.length, sealed.length);
                    sink += out.length;
                });
        byte[] dekNonce = new byte[12];
        cases.put(
                "Dek.seal, 760 B, " + aad.length + " B AAD",
                i -> sink += dek.seal(dekNonce, aad, plaintext, 0, plaintext.length).length);
        cases.put(
                "seal -> GenericRecord",
                i ->
                        sink +=
                                sealer.seal(input, "org-1", recordId, dek)
                                        .getSchema()
                                        .getFields()
                                        .size());
        cases.put(
                "seal, 2 binding fields",
                i ->
                        sink +=
                                boundSealer
                                        .seal(input, "org-1", recordId, dek)
                                        .getSchema()
                                        .getFields()
                                        .size());
        cases.put(
                "sealToBytes (single-object)",
                i -> sink += sealer.sealToBytes(input, "org-1", recordId, dek).length);
        byte[] avro = Sample.encode(writer, input);
        cases.put(
                "sealBinary (single-object)",
                i ->
                        sink +=
                                sealer.sealBinary(avro, 0, avro.length, "org-1", recordId, dek)
                                        .length);
        cases.put(
                "sealBinary, 2 binding fields",
                i ->
                        sink +=
                                boundSealer.sealBinary(avro, 0, avro.length, "org-1", recordId, dek)
                                        .length);
        cases.put(
                "decode + open",
                i ->
                        sink +=
                                opener.open(opener.decode(sealedBytes), dek)
                                        .getSchema()
                                        .getFields()
                                        .size());
        if (args.length > 0) {
            cases.keySet().retainAll(List.of(args));
        }
        measure(cases);
        System.out.println("(checksum " + sink + ")");
    }

    private static GenericRecord record(Schema writer) {
        GenericData.Record record = new GenericData.Record(writer);
        record.put("org_id", "org-1");
        record.put("request_id", "req-0123456789");
        record.put("received_at", 1_733_300_000_000L);
        for (int i = 1; i <= 5; i++) {
            record.put("s" + i, ("value-" + i + "-").repeat(20).substring(0, VALUE_BYTES));
        }
        return record;
    }

    private static Dek dek() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return Dek.takeOwnershipForEncryption(
                key, new byte[180], "arn:aws:kms:eu-central-1:111122223333:key/bench", 1L << 32, 7);
    }

    /**
     * Warms every case up, then runs the rounds case after case, so that noise from other load
     * spreads evenly.
     */
    private static void measure(Map<String, Case> cases) throws Exception {
        long[] counters = new long[1];
        for (Case benchmark : cases.values()) {
            runFor(benchmark, WARM_UP_NANOS, counters);
        }
        Map<String, double[]> rates = new LinkedHashMap<>();
        cases.keySet().forEach(name -> rates.put(name, new double[ROUNDS]));
        for (int round = 0; round < ROUNDS; round++) {
            for (Map.Entry<String, Case> entry : cases.entrySet()) {
                rates.get(entry.getKey())[round] = runFor(entry.getValue(), ROUND_NANOS, counters);
            }
        }
        double raw = median(rates.values().iterator().next());
        for (Map.Entry<String, double[]> entry : rates.entrySet()) {
            double rate = median(entry.getValue());
            System.out.printf(
                    Locale.ROOT,
                    "%-36s %,11.0f records/CPU-s  %5.2f us  %4.2f of the first case%n",
                    entry.getKey(),
                    rate,
                    1e6 / rate,
                    rate / raw);
        }
    }

    /**
     * Runs {@code benchmark} for about {@code nanos} of this thread's CPU time and returns the rate
     * in runs per CPU second. CPU time rather than wall time keeps other processes on a busy
     * machine from counting against the case that happens to run while they do.
     */
    private static double runFor(Case benchmark, long nanos, long[] counter) throws Exception {
        long count = 0;
        long start = THREADS.getCurrentThreadCpuTime();
        long elapsed;
        do {
            for (int k = 0; k < 1000; k++) {
                benchmark.run(counter[0]++);
            }
            count += 1000;
            elapsed = THREADS.getCurrentThreadCpuTime() - start;
        } while (elapsed < nanos);
        return count * 1e9 / elapsed;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
