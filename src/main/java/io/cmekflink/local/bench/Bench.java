package io.cmekflink.local.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cmekflink.cli.UserException;
import io.cmekflink.job.JobSchemas;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.avro.Schema;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The comparison benchmark: pass-through against encrypt, with the full envelope and with data-key
 * references, and decrypt against its pass-through. All variants read the same pre-loaded records
 * in alternating rounds after the warm-up rounds. The size measurements of plain and encrypted
 * output follow.
 */
final class Bench {

    /** Options of one benchmark. */
    record Options(
            int records,
            int orgs,
            Duration kmsLatency,
            int warmUpRounds,
            int rounds,
            int sampleSize,
            BenchRun.Settings settings) {}

    private static final String RECORDS_TOPIC = "bench-records";

    private final BenchSetup setup;
    private final Options options;
    private final Consumer<String> progress;

    Bench(BenchSetup setup, Options options, Consumer<String> progress) {
        this.setup = setup;
        this.options = options;
        this.progress = progress;
    }

    /** Runs the comparison and returns its report. */
    ObjectNode run() throws Exception {
        progress.accept(
                "linking "
                        + options.orgs()
                        + " orgs and loading "
                        + options.records()
                        + " records");
        setup.linkOrgs(options.orgs());
        setup.loadRecords(RECORDS_TOPIC, options.records(), options.orgs(), 0, 1);
        setup.kms().faults().setLatency(options.kmsLatency());

        BenchRun runner = new BenchRun(setup, options.settings());
        Map<Variant, List<BenchRun.Result>> results = new EnumMap<>(Variant.class);
        String decryptInput = null;
        EncryptedValues encryptedValues = null;
        EncryptedValues referenceValues = null;
        try {
            // Rounds up to 0 warm up; rounds from 1 are measured.
            for (int round = 1 - options.warmUpRounds(); round <= options.rounds(); round++) {
                String label =
                        round <= 0
                                ? "warm-up "
                                        + (round + options.warmUpRounds())
                                        + "/"
                                        + options.warmUpRounds()
                                : "round " + round + "/" + options.rounds();
                for (Variant variant : Variant.values()) {
                    String input = variant.jobType.equals("decrypt") ? decryptInput : RECORDS_TOPIC;
                    progress.accept(label + ": " + variant.label);
                    BenchRun.Result r =
                            runner.run(
                                    variant,
                                    input,
                                    options.records(),
                                    options.orgs(),
                                    round,
                                    options.sampleSize());
                    progress.accept(
                            String.format(
                                    "%s: %s %.0f records/s",
                                    label, variant.label, r.recordsPerSecond));
                    if (variant == Variant.ENCRYPT && decryptInput == null) {
                        // The first encrypt run's output is the input of every decrypt run,
                        // and what every encrypted-bytes pass-through writes.
                        decryptInput = r.outputTopic;
                        requireHeapFor(r.output.valueBytes, r.output.records());
                        encryptedValues =
                                loadEncryptedValues(r, "the encrypted-bytes pass-through");
                        runner = runner.withEncryptedValues(encryptedValues);
                    }
                    if (variant == Variant.ENCRYPT_REFERENCE && referenceValues == null) {
                        // The first encrypt-reference run's output is what every reference-bytes
                        // pass-through writes.
                        referenceValues =
                                loadEncryptedValues(r, "the reference-bytes pass-through");
                        runner = runner.withReferenceValues(referenceValues);
                    }
                    if (round > 0) {
                        results.computeIfAbsent(variant, v -> new ArrayList<>()).add(r);
                    }
                    if (!r.outputTopic.equals(decryptInput)) {
                        finish(r);
                    }
                }
            }
        } finally {
            if (encryptedValues != null) {
                encryptedValues.remove();
            }
            if (referenceValues != null) {
                referenceValues.remove();
            }
        }
        setup.kms().faults().setLatency(Duration.ZERO);

        progress.accept("measuring bytes per record");
        Sizes sizes = sizes(results);
        return BenchReport.comparison(options, results, sizes);
    }

    /** Reads the output of an encrypt run into a table for {@code passThrough}. */
    private EncryptedValues loadEncryptedValues(BenchRun.Result encryptRun, String passThrough) {
        progress.accept("indexing the " + encryptRun.variant.label + " output for " + passThrough);
        return EncryptedValues.load(
                setup.bootstrapServers(),
                encryptRun.outputTopic,
                RECORDS_TOPIC,
                options.records(),
                BenchSetup.PARTITIONS,
                derivedSchemaOf(),
                Duration.ofMinutes(5));
    }

    /**
     * Fails before the encrypted-bytes and reference-bytes pass-throughs keep every encrypted value
     * on the heap, each in its own table, when the heap cannot hold them with room to spare. It
     * runs before the first table is loaded and counts both at {@code valueBytes}, the full
     * envelope's size. The reference layout's values are smaller, so that over-estimates.
     */
    static void requireHeapFor(long valueBytes, int records) {
        Runtime runtime = Runtime.getRuntime();
        long needed = 2 * (valueBytes + 32L * records);
        long available = runtime.maxMemory() - (runtime.totalMemory() - runtime.freeMemory());
        if (needed * 2 > available) {
            long mib = 1024 * 1024;
            throw new UserException(
                    "the encrypted-bytes and reference-bytes pass-throughs keep all "
                            + records
                            + " encrypted values in memory twice, about "
                            + needed / mib
                            + " MiB, but only "
                            + available / mib
                            + " MiB of heap is free; run java with -Xmx"
                            + (runtime.maxMemory() + needed * 2) / mib
                            + "m, or lower --records");
        }
    }

    /**
     * Measures the log size of a run's output topic and of its data-key topic, if any, then deletes
     * them.
     */
    private void finish(BenchRun.Result r) throws Exception {
        keepSample(r);
        SizeMeter meter = new SizeMeter(setup);
        r.jobLogBytesPerRecord = meter.logBytes(r.outputTopic) / (double) r.output.records();
        setup.deleteTopics(r.outputTopic);
        if (r.dataKeyTopic != null) {
            if (r.dataKeyEntries > 0) {
                r.dataKeyLogBytesPerEntry =
                        meter.logBytes(r.dataKeyTopic) / (double) r.dataKeyEntries;
            }
            setup.deleteTopics(r.dataKeyTopic);
        }
    }

    /** Drops the sample of runs other than the first measured run of each variant. */
    private static void keepSample(BenchRun.Result r) {
        if (r.round > 1) {
            r.output.sample.clear();
        }
    }

    /**
     * Bytes per record of plain output and of the two encrypted outputs, the full envelope's and
     * the data-key reference layout's.
     */
    record Sizes(
            double plainValueBytes,
            Map<String, Double> plain,
            EncryptedSizes encrypted,
            EncryptedSizes withReference,
            int sampleRecords,
            Map<Integer, Double> metadataLz4ByBatchSize) {}

    /**
     * Sizes of one encrypted output: its values, its log bytes per record by compression with and
     * without the envelope ({@link SizeMeter#withoutEnvelope}), the envelope format versions in its
     * sample, and the length of the envelope's {@code edek} field (the EDEK, or the data-key
     * reference).
     */
    record EncryptedSizes(
            double valueBytes,
            Map<String, Double> log,
            Map<String, Double> withoutEnvelope,
            java.util.SortedSet<Integer> formatVersions,
            int edekFieldBytes) {

        /** Returns the log bytes per record that the envelope adds under {@code compression}. */
        double metadata(String compression) {
            return log.get(compression) - withoutEnvelope.get(compression);
        }
    }

    /** Compression types of the size measurements, as Kafka names them. */
    static final List<String> COMPRESSIONS = List.of("none", "lz4", "zstd");

    /**
     * Producer batch sizes of the extra metadata measurement: Kafka's default, the job's sink
     * default and twice that.
     */
    static final List<Integer> BATCH_SIZES = List.of(16_384, 262_144, 524_288);

    private Sizes sizes(Map<Variant, List<BenchRun.Result>> results) throws Exception {
        BenchRun.Result plainRun = results.get(Variant.PASS_THROUGH).get(0);
        BenchRun.Result encryptedRun = results.get(Variant.ENCRYPT).get(0);
        BenchRun.Result referenceRun = results.get(Variant.ENCRYPT_REFERENCE).get(0);
        var plain = SizeMeter.asProducerRecords(plainRun.output.sample);
        var encrypted = SizeMeter.asProducerRecords(encryptedRun.output.sample);
        List<ProducerRecord<byte[], byte[]>> stripped =
                SizeMeter.withoutEnvelope(encryptedRun.output.sample, derivedSchema());

        SizeMeter meter = new SizeMeter(setup);
        Map<String, Double> plainSizes = new java.util.LinkedHashMap<>();
        for (String compression : COMPRESSIONS) {
            plainSizes.put(compression, meter.bytesPerRecord(plain, compression));
        }

        Map<Integer, Double> byBatch = new java.util.LinkedHashMap<>();
        for (int batch : BATCH_SIZES) {
            byBatch.put(
                    batch,
                    meter.bytesPerRecord(encrypted, "lz4", batch)
                            - meter.bytesPerRecord(stripped, "lz4", batch));
        }
        return new Sizes(
                plainRun.output.valueBytes / (double) plainRun.output.records(),
                plainSizes,
                encryptedSizes(meter, encryptedRun),
                encryptedSizes(meter, referenceRun),
                encrypted.size(),
                byBatch);
    }

    /**
     * Measures the sample of an encrypt run as written and re-encoded without its envelope, in
     * batches of the sinks' default size.
     */
    private EncryptedSizes encryptedSizes(SizeMeter meter, BenchRun.Result run) throws Exception {
        List<ConsumerRecord<byte[], byte[]>> sample = run.output.sample;
        var written = SizeMeter.asProducerRecords(sample);
        var stripped = SizeMeter.withoutEnvelope(sample, derivedSchema());
        Map<String, Double> log = new java.util.LinkedHashMap<>();
        Map<String, Double> withoutEnvelope = new java.util.LinkedHashMap<>();
        for (String compression : COMPRESSIONS) {
            log.put(compression, meter.bytesPerRecord(written, compression));
            withoutEnvelope.put(compression, meter.bytesPerRecord(stripped, compression));
        }
        return new EncryptedSizes(
                run.output.valueBytes / (double) run.output.records(),
                log,
                withoutEnvelope,
                SizeMeter.formatVersions(sample, derivedSchema()),
                edekBytes(sample.get(0).value()));
    }

    /**
     * Returns the length of the {@code edek} field in the envelope of an encrypted record: the
     * EDEK, or the data-key reference in format version 2.
     */
    private int edekBytes(byte[] encrypted) throws Exception {
        var opener = io.cmekflink.crypto.RecordOpener.create(derivedSchemaOf());
        return io.cmekflink.crypto.RecordOpener.envelopeOf(opener.decode(encrypted)).edek().length;
    }

    private Schema derivedSchema() {
        return derivedSchemaOf().derivedSchema();
    }

    /** The derived schema of the benchmark records, as the encrypt job derives it. */
    private io.cmekflink.schema.DerivedSchema derivedSchemaOf() {
        String yaml =
                """
                job.type: encrypt
                geo: EU
                records: {topic: t, format: avro, schema: "%s"}
                key-changes.topic: k
                key-changes.public-keys: ["%s"]
                output.topic: o
                dead-letters.topic: d
                kms: {local-region: %s}
                kafka: {bootstrap.servers: "127.0.0.1:9"}
                """
                        .formatted(setup.schemaFile(), setup.publicKeyFile(), BenchSetup.REGION);
        var config = io.cmekflink.config.JobConfig.parse(yaml, "bench-schema.yaml", name -> null);
        return JobSchemas.of(config).derived(0);
    }
}
