package io.cmekflink.local;

import io.cmekflink.config.JobConfig;
import io.cmekflink.crypto.EnvelopeRewriter;
import io.cmekflink.crypto.RecordOpener;
import io.cmekflink.deadletter.DeadLetter;
import io.cmekflink.deadletter.ErrorCode;
import io.cmekflink.job.JobSchemas;
import io.cmekflink.schema.DerivedSchema;
import io.cmekflink.schema.SingleObjectEncoding;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.apache.avro.generic.GenericRecord;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * The read side of the demo: the decrypt job over the encrypted topic, the decrypt job over
 * tampered copies of healthy records, and a re-wrap of the relinked org's older records.
 */
final class DemoReadSide {

    static final String PLAINTEXT_TOPIC = "api-logs-plaintext";
    static final String DECRYPT_DEAD_LETTERS = "api-logs-decrypt-dead-letters";
    static final String TAMPERED_TOPIC = "api-logs-tampered";
    static final String TAMPERED_PLAINTEXT = "api-logs-tampered-plaintext";
    static final String TAMPERED_DEAD_LETTERS = "api-logs-tampered-dead-letters";
    static final String REWRAPPED_TOPIC = "api-logs-rewrapped";
    static final String REWRAP_DEAD_LETTERS = "api-logs-rewrap-dead-letters";

    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    private final Demo demo;
    private final Sandbox sandbox;
    private final Consumer<String> progress;

    /** Counts of the read side, for the summary. */
    static final class Result {
        long decryptOk;
        final Map<String, Long> decryptDeadLetters = new TreeMap<>();
        long tamperedSent;
        long tamperedDetected;
        long rewrapped;
        long rewrappedReadable;
    }

    DemoReadSide(Demo demo, Sandbox sandbox, Consumer<String> progress) throws Exception {
        this.demo = demo;
        this.sandbox = sandbox;
        this.progress = progress;
        sandbox.kafka()
                .createTopics(
                        2,
                        List.of(
                                PLAINTEXT_TOPIC,
                                DECRYPT_DEAD_LETTERS,
                                TAMPERED_TOPIC,
                                TAMPERED_PLAINTEXT,
                                TAMPERED_DEAD_LETTERS,
                                REWRAPPED_TOPIC,
                                REWRAP_DEAD_LETTERS));
    }

    /**
     * @param healthyOrgs orgs whose records may be copied and tampered with
     * @param relinkedOrg the org whose records under {@code oldKey} are re-wrapped to {@code
     *     newKey}
     */
    Result run(
            List<ConsumerRecord<byte[], byte[]>> encrypted,
            List<String> healthyOrgs,
            String relinkedOrg,
            String oldKey,
            String newKey,
            KmsClient kmsClient)
            throws Exception {
        Result result = new Result();
        progress.accept("decrypt job over the encrypted topic");
        List<ConsumerRecord<byte[], byte[]>> letters = new ArrayList<>();
        result.decryptOk =
                decrypt(
                        Sandbox.ENCRYPTED_TOPIC,
                        PLAINTEXT_TOPIC,
                        DECRYPT_DEAD_LETTERS,
                        encrypted.size(),
                        letters);
        count(letters, result.decryptDeadLetters);

        progress.accept("decrypt job over tampered copies of healthy records");
        result.tamperedSent = writeTampered(encrypted, healthyOrgs);
        List<ConsumerRecord<byte[], byte[]>> tamperedLetters = new ArrayList<>();
        decrypt(
                TAMPERED_TOPIC,
                TAMPERED_PLAINTEXT,
                TAMPERED_DEAD_LETTERS,
                result.tamperedSent,
                tamperedLetters);
        Map<String, Long> tamperedCodes = new TreeMap<>();
        count(tamperedLetters, tamperedCodes);
        result.tamperedDetected = tamperedCodes.getOrDefault(ErrorCode.TAMPERED.name(), 0L);

        progress.accept("re-wrap of " + relinkedOrg + "'s records from its old key to its new one");
        rewrap(relinkedOrg, oldKey, newKey, result);
        progress.accept("disabling " + relinkedOrg + "'s old key; re-wrapped records must decrypt");
        sandbox.kms().disableKey(oldKey);
        result.rewrappedReadable = readable(REWRAPPED_TOPIC, kmsClient);
        return result;
    }

    private long decrypt(
            String input,
            String output,
            String deadLetterTopic,
            long expected,
            List<ConsumerRecord<byte[], byte[]>> letters)
            throws Exception {
        JobConfig config = demo.config(sandbox, "decrypt", input, output, deadLetterTopic, "");
        JobClient job = Demo.startJob(config);
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        List<ConsumerRecord<byte[], byte[]>> plaintext;
        while (true) {
            plaintext = Topics.readAll(sandbox.bootstrapServers(), output, true, TIMEOUT);
            letters.clear();
            letters.addAll(
                    Topics.readAll(sandbox.bootstrapServers(), deadLetterTopic, true, TIMEOUT));
            if (plaintext.size() + letters.size() >= expected || System.nanoTime() > deadline) {
                break;
            }
            Thread.sleep(300);
        }
        job.cancel().get();
        return plaintext.size();
    }

    private static void count(List<ConsumerRecord<byte[], byte[]>> letters, Map<String, Long> codes)
            throws Exception {
        for (ConsumerRecord<byte[], byte[]> r : letters) {
            codes.merge(DeadLetter.fromBytes(r.value()).errorCode().name(), 1L, Long::sum);
        }
    }

    /**
     * Writes three kinds of tampered copies of healthy records: a flipped byte in a field value, a
     * value moved to another record of the same org, and a record moved to another org.
     */
    private long writeTampered(
            List<ConsumerRecord<byte[], byte[]>> encrypted, List<String> healthyOrgs)
            throws Exception {
        DerivedSchema derived =
                JobSchemas.of(demo.config(sandbox, "decrypt", "x", "y", "z", "")).derived(0);
        RecordOpener opener = RecordOpener.create(derived);
        EnvelopeRewriter writer = new EnvelopeRewriter();
        List<GenericRecord> healthy = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : encrypted) {
            GenericRecord record = opener.decode(r.value());
            if (healthyOrgs.contains(RecordOpener.envelopeOf(record).orgId())
                    && record.get("client_ip") != null) {
                healthy.add(record);
            }
            if (healthy.size() == 6) {
                break;
            }
        }
        List<byte[]> copies = new ArrayList<>();
        long layout = derived.layoutFingerprint();
        for (int i = 0; i + 1 < healthy.size(); i += 2) {
            GenericRecord first = healthy.get(i);
            GenericRecord second = healthy.get(i + 1);

            GenericRecord flipped = copy(first);
            ByteBuffer ip = bytes(flipped.get("client_ip"));
            ip.put(0, (byte) (ip.get(0) ^ 0x01));
            flipped.put("client_ip", ip);
            copies.add(writer.encode(flipped, layout));

            GenericRecord moved = copy(first);
            moved.put("client_ip", bytes(second.get("client_ip")));
            copies.add(writer.encode(moved, layout));

            GenericRecord otherOrg = copy(first);
            String org = otherOrg.get("org_id").toString();
            otherOrg.put(
                    "org_id", healthyOrgs.get((healthyOrgs.indexOf(org) + 1) % healthyOrgs.size()));
            copies.add(writer.encode(otherOrg, layout));
        }
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(sandbox.bootstrapServers())) {
            for (byte[] copy : copies) {
                producer.send(new ProducerRecord<>(TAMPERED_TOPIC, copy)).get();
            }
        }
        return copies.size();
    }

    private static GenericRecord copy(GenericRecord record) {
        return new org.apache.avro.generic.GenericData.Record(
                (org.apache.avro.generic.GenericData.Record) record, true);
    }

    private static ByteBuffer bytes(Object value) {
        ByteBuffer source = ((ByteBuffer) value).duplicate();
        ByteBuffer copy = ByteBuffer.allocate(source.remaining());
        copy.put(source).flip();
        return copy;
    }

    private void rewrap(String org, String oldKey, String newKey, Result result) throws Exception {
        String extra =
                "rewrap: {org: %s, from-key-arn: \"%s\", to-key-arn: \"%s\"}"
                        .formatted(org, oldKey, newKey);
        JobConfig config =
                demo.config(
                        sandbox,
                        "rewrap",
                        Sandbox.ENCRYPTED_TOPIC,
                        REWRAPPED_TOPIC,
                        REWRAP_DEAD_LETTERS,
                        extra);
        Demo.startJob(config).getJobExecutionResult().get();
        result.rewrapped =
                Topics.readAll(sandbox.bootstrapServers(), REWRAPPED_TOPIC, true, TIMEOUT).size();
    }

    private long readable(String topic, KmsClient kmsClient) throws Exception {
        JobConfig config = demo.config(sandbox, "decrypt", "x", "y", "z", "");
        try (JobOutputDecrypter decrypter = JobOutputDecrypter.open(config, kmsClient)) {
            long ok = 0;
            for (ConsumerRecord<byte[], byte[]> r :
                    Topics.readAll(sandbox.bootstrapServers(), topic, true, TIMEOUT)) {
                try {
                    if (SingleObjectEncoding.isSingleObject(r.value())) {
                        decrypter.decrypter().decrypt(r.value());
                        ok++;
                    }
                } catch (Exception e) {
                    progress.accept(
                            "re-wrapped record at offset "
                                    + r.offset()
                                    + " fails: "
                                    + e.getMessage());
                }
            }
            return ok;
        }
    }
}
