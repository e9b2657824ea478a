package io.cmekflink.local.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Map;

/**
 * Builds the benchmark's JSON report. Every figure that several runs measured is an object with its
 * median, min, max and number of runs. Rates are per second, latencies in milliseconds and sizes in
 * bytes.
 */
final class BenchReport {

    static final ObjectMapper JSON = new ObjectMapper();

    /** The targets the comparison is checked against. */
    static final double ENCRYPT_RATIO_TARGET = 0.9;

    static final double DECRYPT_RATIO_TARGET = 0.8;
    static final double METADATA_LZ4_TARGET = 135;

    private BenchReport() {}

    static ObjectNode comparison(
            Bench.Options options, Map<Variant, List<BenchRun.Result>> results, Bench.Sizes sizes) {
        ObjectNode report = JSON.createObjectNode();
        report.put("benchmark", "comparison");
        machine(report);
        report.put("records", options.records());
        report.put("orgs", options.orgs());
        report.put("parallelism", options.settings().parallelism());
        report.put("kms_latency_ms", options.kmsLatency().toMillis());
        report.put("warm_up_rounds", options.warmUpRounds());
        report.put("rounds", options.rounds());
        report.put("delivery_guarantee", options.settings().deliveryGuarantee());
        report.put("checkpoint_interval_ms", options.settings().checkpointInterval().toMillis());
        report.put("sink_compression", options.settings().compression());
        report.put("marked_fields", BenchRecords.MARKED_FIELDS);

        ArrayNode runs = report.putArray("runs");
        ObjectNode rates = report.putObject("records_per_second");
        for (Variant v : Variant.values()) {
            double[] values = new double[results.get(v).size()];
            for (int i = 0; i < values.length; i++) {
                BenchRun.Result r = results.get(v).get(i);
                values[i] = r.recordsPerSecond;
                ObjectNode run = runs.addObject();
                run.put("variant", v.label);
                run.put("round", r.round);
                run.put("records_per_second", Math.round(r.recordsPerSecond));
                run.put("dead_letters", r.deadLetters);
                run.put(
                        "value_bytes_per_record",
                        round1(r.output.valueBytes / (double) r.output.records()));
                if (r.jobLogBytesPerRecord > 0) {
                    run.put("log_bytes_per_record", round1(r.jobLogBytesPerRecord));
                }
                if (r.dataKeyTopic != null) {
                    run.put(
                            "generate_data_key_calls",
                            r.kmsCalls.getOrDefault("GenerateDataKey", 0L));
                    run.put("data_key_entries", r.dataKeyEntries);
                    run.put("data_key_log_bytes_per_entry", round1(r.dataKeyLogBytesPerEntry));
                }
                ObjectNode cpu = run.putObject("cpu_us_per_record");
                r.cpuMicrosPerRecord.forEach((group, micros) -> cpu.put(group, round1(micros)));
            }
            spread(rates, v.label, Stats.Spread.of(values), 0);
        }
        cpu(report, results);
        spread(
                report,
                "throughput_ratio",
                ratios(results.get(Variant.ENCRYPT), results.get(Variant.PASS_THROUGH)),
                3);
        spread(
                report,
                "reference_throughput_ratio",
                ratios(results.get(Variant.ENCRYPT_REFERENCE), results.get(Variant.PASS_THROUGH)),
                3);
        spread(
                report,
                "encrypted_bytes_ratio",
                ratios(results.get(Variant.ENCRYPTED_BYTES), results.get(Variant.PASS_THROUGH)),
                3);
        spread(
                report,
                "reference_bytes_ratio",
                ratios(results.get(Variant.REFERENCE_BYTES), results.get(Variant.PASS_THROUGH)),
                3);
        spread(
                report,
                "crypto_path_ratio",
                ratios(results.get(Variant.ENCRYPT), results.get(Variant.ENCRYPTED_BYTES)),
                3);
        spread(
                report,
                "reference_crypto_path_ratio",
                ratios(
                        results.get(Variant.ENCRYPT_REFERENCE),
                        results.get(Variant.REFERENCE_BYTES)),
                3);
        spread(
                report,
                "decrypt_throughput_ratio",
                ratios(results.get(Variant.DECRYPT), results.get(Variant.DECRYPT_PASS_THROUGH)),
                3);
        latency(report, "", results.get(Variant.ENCRYPT));
        latency(report, "reference_", results.get(Variant.ENCRYPT_REFERENCE));
        latency(report, "decrypt_", results.get(Variant.DECRYPT));
        kms(report, results);
        dataKeyEntries(report, results.get(Variant.ENCRYPT_REFERENCE));
        sizes(report, sizes);
        targets(report);
        return report;
    }

    /**
     * Adds the median CPU microseconds per record of each variant by group of threads, and of each
     * crypto variant the difference to its pass-through.
     */
    private static void cpu(ObjectNode report, Map<Variant, List<BenchRun.Result>> results) {
        ObjectNode cpu = report.putObject("cpu_us_per_record");
        Map<Variant, Map<String, Double>> medians = new java.util.EnumMap<>(Variant.class);
        for (Variant v : Variant.values()) {
            Map<String, Double> byGroup = new java.util.LinkedHashMap<>();
            List<BenchRun.Result> runs = results.get(v);
            for (String group : runs.get(0).cpuMicrosPerRecord.keySet()) {
                double[] values =
                        runs.stream()
                                .mapToDouble(r -> r.cpuMicrosPerRecord.getOrDefault(group, 0.0))
                                .toArray();
                byGroup.put(group, Stats.Spread.of(values).median());
            }
            medians.put(v, byGroup);
            ObjectNode node = cpu.putObject(v.label);
            byGroup.forEach((group, micros) -> node.put(group, round1(micros)));
        }
        ObjectNode added = cpu.putObject("added_by_crypto");
        difference(added, medians, Variant.ENCRYPT, Variant.PASS_THROUGH);
        difference(added, medians, Variant.ENCRYPT_REFERENCE, Variant.PASS_THROUGH);
        difference(added, medians, Variant.DECRYPT, Variant.DECRYPT_PASS_THROUGH);
        difference(
                cpu.putObject("added_by_encrypted_bytes"),
                medians,
                Variant.ENCRYPTED_BYTES,
                Variant.PASS_THROUGH);
        difference(
                cpu.putObject("added_by_reference_bytes"),
                medians,
                Variant.REFERENCE_BYTES,
                Variant.PASS_THROUGH);
        difference(
                cpu.putObject("added_by_crypto_over_encrypted_bytes"),
                medians,
                Variant.ENCRYPT,
                Variant.ENCRYPTED_BYTES);
        difference(
                cpu.putObject("added_by_crypto_over_reference_bytes"),
                medians,
                Variant.ENCRYPT_REFERENCE,
                Variant.REFERENCE_BYTES);
    }

    /** Puts the median CPU per group of {@code variant} minus that of {@code base}. */
    private static void difference(
            ObjectNode parent,
            Map<Variant, Map<String, Double>> medians,
            Variant variant,
            Variant base) {
        ObjectNode node = parent.putObject(variant.label);
        medians.get(variant)
                .forEach(
                        (group, micros) ->
                                node.put(
                                        group,
                                        round1(
                                                micros
                                                        - medians.get(base)
                                                                .getOrDefault(group, 0.0))));
    }

    /** Machine facts and the load while the benchmark ran; numbers under load are provisional. */
    static void machine(ObjectNode report) {
        int cores = Runtime.getRuntime().availableProcessors();
        double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        report.put("cores", cores);
        report.put("java_version", System.getProperty("java.version"));
        report.put("load_average_1m", round1(load));
        report.put("provisional", load > cores);
    }

    private static Stats.Spread ratios(List<BenchRun.Result> crypto, List<BenchRun.Result> base) {
        double[] values = new double[Math.min(crypto.size(), base.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = crypto.get(i).recordsPerSecond / base.get(i).recordsPerSecond;
        }
        return Stats.Spread.of(values);
    }

    /** Adds the p50 and p99 added latency of a crypto variant, named with {@code prefix}. */
    private static void latency(ObjectNode report, String prefix, List<BenchRun.Result> results) {
        double[] p50 = new double[results.size()];
        double[] p99 = new double[results.size()];
        for (int i = 0; i < p50.length; i++) {
            long[] sorted = results.get(i).latenciesNanos;
            p50[i] = Stats.percentile(sorted, 50) / 1e6;
            p99[i] = Stats.percentile(sorted, 99) / 1e6;
        }
        spread(report, prefix + "p50_added_latency_ms", Stats.Spread.of(p50), 3);
        spread(report, prefix + "p99_added_latency_ms", Stats.Spread.of(p99), 3);
    }

    private static void kms(ObjectNode report, Map<Variant, List<BenchRun.Result>> results) {
        ObjectNode perMillion = report.putObject("kms_calls_per_million_records");
        ObjectNode errorsByVariant = report.putObject("kms_errors");
        for (Variant v : List.of(Variant.ENCRYPT, Variant.ENCRYPT_REFERENCE, Variant.DECRYPT)) {
            ObjectNode calls = perMillion.putObject(v.label);
            Map<String, Long> totals = new java.util.TreeMap<>();
            long records = 0;
            for (BenchRun.Result r : results.get(v)) {
                r.kmsCalls.forEach((op, n) -> totals.merge(op, n, Long::sum));
                records += r.output.records();
            }
            long all = 0;
            for (Map.Entry<String, Long> e : totals.entrySet()) {
                calls.put(e.getKey(), round1(e.getValue() * 1e6 / records));
                all += e.getValue();
            }
            calls.put("total", round1(all * 1e6 / records));
            ObjectNode errors = errorsByVariant.putObject(v.label);
            for (BenchRun.Result r : results.get(v)) {
                r.kmsErrors.forEach((call, n) -> errors.put(call, errors.path(call).asLong() + n));
            }
        }

        dataKeys(report, "", results.get(Variant.ENCRYPT));
        dataKeys(report, "reference_", results.get(Variant.ENCRYPT_REFERENCE));

        List<BenchRun.Result> decrypt = results.get(Variant.DECRYPT);
        double[] edekHitRate = new double[decrypt.size()];
        for (int i = 0; i < edekHitRate.length; i++) {
            BenchRun.Result r = decrypt.get(i);
            edekHitRate[i] = r.synchronousRecords / (double) r.output.records();
        }
        spread(report, "decrypt_edek_cache_hit_rate", Stats.Spread.of(edekHitRate), 5);
    }

    /**
     * Adds the {@code GenerateDataKey} calls per org and run and the DEK cache hit rate of an
     * encrypt variant, named with {@code prefix}.
     */
    private static void dataKeys(ObjectNode report, String prefix, List<BenchRun.Result> runs) {
        double[] perOrg = new double[runs.size()];
        double[] hitRate = new double[runs.size()];
        for (int i = 0; i < perOrg.length; i++) {
            BenchRun.Result r = runs.get(i);
            perOrg[i] = r.kmsCalls.getOrDefault("GenerateDataKey", 0L) / (double) r.orgs;
            hitRate[i] = r.synchronousRecords / (double) r.output.records();
        }
        spread(report, prefix + "generate_data_key_per_org", Stats.Spread.of(perOrg), 3);
        spread(report, prefix + "dek_cache_hit_rate", Stats.Spread.of(hitRate), 5);
    }

    /**
     * Adds the entries that each encrypt-reference run wrote to its data-key topic, whether they
     * equal its {@code GenerateDataKey} calls in every run, and their log bytes on the broker.
     */
    private static void dataKeyEntries(ObjectNode report, List<BenchRun.Result> runs) {
        double[] entries = new double[runs.size()];
        double[] logBytes = new double[runs.size()];
        boolean oneEntryPerDataKey = true;
        for (int i = 0; i < entries.length; i++) {
            BenchRun.Result r = runs.get(i);
            entries[i] = r.dataKeyEntries;
            logBytes[i] = r.dataKeyLogBytesPerEntry;
            oneEntryPerDataKey &=
                    r.dataKeyEntries == r.kmsCalls.getOrDefault("GenerateDataKey", 0L);
        }
        spread(report, "data_key_entries_per_run", Stats.Spread.of(entries), 0);
        report.put("data_key_entries_equal_generate_data_key", oneEntryPerDataKey);
        spread(report, "data_key_log_bytes_per_entry", Stats.Spread.of(logBytes), 1);
    }

    private static void sizes(ObjectNode report, Bench.Sizes sizes) {
        report.put("size_sample_records", sizes.sampleRecords());
        Bench.EncryptedSizes encrypted = sizes.encrypted();
        Bench.EncryptedSizes withReference = sizes.withReference();
        report.put("edek_bytes", encrypted.edekFieldBytes());
        report.put("data_key_reference_bytes", withReference.edekFieldBytes());
        ObjectNode versions = report.putObject("envelope_format_versions");
        formatVersions(versions.putArray(Variant.ENCRYPT.label), encrypted);
        formatVersions(versions.putArray(Variant.ENCRYPT_REFERENCE.label), withReference);

        ObjectNode bytes = report.putObject("bytes_per_record");
        ObjectNode plain = bytes.putObject("plain");
        plain.put("value", round1(sizes.plainValueBytes()));
        sizes.plain().forEach((c, v) -> plain.put(logName(c), round1(v)));
        logSizes(bytes, "encrypted", "encrypted_without_envelope", encrypted);
        logSizes(
                bytes,
                "encrypted_with_reference",
                "encrypted_with_reference_without_envelope",
                withReference);

        report.put("metadata_bytes_per_record_uncompressed", round1(encrypted.metadata("none")));
        report.put("metadata_bytes_per_record_lz4", round1(encrypted.metadata("lz4")));
        ObjectNode byBatch = report.putObject("metadata_bytes_per_record_lz4_by_batch_size");
        sizes.metadataLz4ByBatchSize()
                .forEach((batch, v) -> byBatch.put(batch.toString(), round1(v)));
        report.put("metadata_bytes_per_record_zstd", round1(encrypted.metadata("zstd")));
        report.put(
                "reference_metadata_bytes_per_record_uncompressed",
                round1(withReference.metadata("none")));
        report.put(
                "reference_metadata_bytes_per_record_lz4", round1(withReference.metadata("lz4")));
        report.put(
                "reference_metadata_bytes_per_record_zstd", round1(withReference.metadata("zstd")));
    }

    /**
     * Adds the value and log bytes per record of an encrypted output as {@code name}, and its log
     * bytes without the envelope as {@code strippedName}.
     */
    private static void logSizes(
            ObjectNode bytes, String name, String strippedName, Bench.EncryptedSizes sizes) {
        ObjectNode written = bytes.putObject(name);
        written.put("value", round1(sizes.valueBytes()));
        sizes.log().forEach((c, v) -> written.put(logName(c), round1(v)));
        ObjectNode stripped = bytes.putObject(strippedName);
        sizes.withoutEnvelope().forEach((c, v) -> stripped.put(logName(c), round1(v)));
    }

    private static void formatVersions(ArrayNode node, Bench.EncryptedSizes sizes) {
        sizes.formatVersions().forEach(node::add);
    }

    private static String logName(String compression) {
        return compression.equals("none") ? "uncompressed" : compression;
    }

    private static void targets(ObjectNode report) {
        ObjectNode targets = report.putObject("targets_met");
        targets.put(
                "throughput_ratio_at_least_0.9",
                report.get("throughput_ratio").get("median").asDouble() >= ENCRYPT_RATIO_TARGET);
        targets.put(
                "decrypt_throughput_ratio_at_least_0.8",
                report.get("decrypt_throughput_ratio").get("median").asDouble()
                        >= DECRYPT_RATIO_TARGET);
        targets.put(
                "generate_data_key_per_org_at_most_1",
                report.get("generate_data_key_per_org").get("max").asDouble() <= 1.0);
        targets.put(
                "metadata_lz4_at_most_135",
                report.get("metadata_bytes_per_record_lz4").asDouble() <= METADATA_LZ4_TARGET);
        targets.put(
                "reference_throughput_ratio_at_least_0.9",
                report.get("reference_throughput_ratio").get("median").asDouble()
                        >= ENCRYPT_RATIO_TARGET);
        targets.put(
                "reference_generate_data_key_per_org_at_most_1",
                report.get("reference_generate_data_key_per_org").get("max").asDouble() <= 1.0);
        targets.put(
                "reference_metadata_lz4_at_most_135",
                report.get("reference_metadata_bytes_per_record_lz4").asDouble()
                        <= METADATA_LZ4_TARGET);
    }

    static void spread(ObjectNode parent, String name, Stats.Spread s, int decimals) {
        ObjectNode node = parent.putObject(name);
        node.put("median", round(s.median(), decimals));
        node.put("min", round(s.min(), decimals));
        node.put("max", round(s.max(), decimals));
        node.put("runs", s.runs());
    }

    static double round1(double v) {
        return round(v, 1);
    }

    static double round(double v, int decimals) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return v;
        }
        double scale = Math.pow(10, decimals);
        return Math.round(v * scale) / scale;
    }
}
