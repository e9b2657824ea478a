package io.cmekflink.local.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.cmekflink.cli.Main;
import io.cmekflink.local.LocalMain;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the {@code bench} command end to end on few records and checks that its JSON report has
 * every field with a sane value. It asserts nothing about speed, because so short a run measures
 * mostly start-up.
 */
class BenchCommandIT {

    private static final int RECORDS = 600;

    @Test
    void comparisonReportsEveryFigure() throws Exception {
        JsonNode report =
                run(
                        "bench",
                        "--records",
                        String.valueOf(RECORDS),
                        "--warm-up",
                        "1",
                        "--rounds",
                        "1",
                        "--sample",
                        "300",
                        "--kms-latency",
                        "2ms");

        assertThat(report.get("benchmark").asText()).isEqualTo("comparison");
        assertThat(report.get("records").asInt()).isEqualTo(RECORDS);
        assertThat(report.get("warm_up_rounds").asInt()).isEqualTo(1);
        assertThat(report.get("orgs").asInt()).isEqualTo(100);
        assertThat(report.get("marked_fields").asInt()).isEqualTo(5);
        assertThat(report.get("cores").asInt()).isPositive();
        assertThat(report.get("runs")).hasSize(7);
        java.util.Map<String, Double> valueBytes = new java.util.HashMap<>();
        for (JsonNode run : report.get("runs")) {
            assertThat(run.get("records_per_second").asDouble()).isPositive();
            assertThat(run.get("dead_letters").asLong()).isZero();
            valueBytes.put(
                    run.get("variant").asText(), run.get("value_bytes_per_record").asDouble());
            if (run.get("variant").asText().equals("encrypt-reference")) {
                // One entry per DEK, and one DEK per org: 100 orgs.
                assertThat(run.get("generate_data_key_calls").asLong()).isEqualTo(100);
                assertThat(run.get("data_key_entries").asLong()).isEqualTo(100);
                // An entry contains the org id, the key ARN and the 184-byte EDEK, which does not
                // compress.
                assertThat(run.get("data_key_log_bytes_per_entry").asDouble())
                        .isBetween(184.0, 1000.0);
            } else {
                assertThat(run.has("data_key_entries")).as(run.toString()).isFalse();
            }
        }
        // The encrypted-bytes pass-through writes exactly what the encrypt job wrote, and a
        // record's encrypted length does not depend on its nonce or DEK.
        assertThat(valueBytes.get("encrypted-bytes-pass-through"))
                .isEqualTo(valueBytes.get("encrypt"));
        assertThat(valueBytes.get("encrypt")).isGreaterThan(valueBytes.get("pass-through") + 184);
        // Likewise the reference-bytes pass-through writes what the encrypt-reference job wrote.
        assertThat(valueBytes.get("reference-bytes-pass-through"))
                .isEqualTo(valueBytes.get("encrypt-reference"));
        // The reference layout replaces the 184-byte EDEK with a 16-byte reference and empties
        // the key ARN, so it saves more than 168 bytes, and less than 168 plus 200 for the ARN.
        assertThat(valueBytes.get("encrypt") - valueBytes.get("encrypt-reference"))
                .isBetween(168.0 + 1, 168.0 + 200);
        for (String variant :
                List.of(
                        "pass-through",
                        "encrypt",
                        "encrypted-bytes-pass-through",
                        "encrypt-reference",
                        "reference-bytes-pass-through",
                        "decrypt-pass-through",
                        "decrypt")) {
            assertThat(report.get("records_per_second").get(variant).get("median").asDouble())
                    .isPositive();
        }
        for (String ratio :
                List.of(
                        "throughput_ratio",
                        "reference_throughput_ratio",
                        "encrypted_bytes_ratio",
                        "reference_bytes_ratio",
                        "crypto_path_ratio",
                        "reference_crypto_path_ratio")) {
            JsonNode spread = report.get(ratio);
            assertThat(spread.get("median").asDouble()).as(ratio).isPositive();
            assertThat(spread.get("min").asDouble())
                    .as(ratio)
                    .isLessThanOrEqualTo(spread.get("median").asDouble());
            assertThat(spread.get("max").asDouble())
                    .as(ratio)
                    .isGreaterThanOrEqualTo(spread.get("median").asDouble());
            assertThat(spread.get("runs").asInt()).as(ratio).isEqualTo(1);
        }
        assertThat(report.get("decrypt_throughput_ratio").get("median").asDouble()).isPositive();
        double p50 = report.get("p50_added_latency_ms").get("median").asDouble();
        double p99 = report.get("p99_added_latency_ms").get("median").asDouble();
        assertThat(p50).isPositive();
        assertThat(p99).isGreaterThanOrEqualTo(p50);
        double referenceP50 = report.get("reference_p50_added_latency_ms").get("median").asDouble();
        assertThat(referenceP50).isPositive();
        assertThat(report.get("reference_p99_added_latency_ms").get("median").asDouble())
                .isGreaterThanOrEqualTo(referenceP50);
        assertThat(report.get("decrypt_p99_added_latency_ms").get("median").asDouble())
                .isPositive();

        JsonNode kms = report.get("kms_calls_per_million_records");
        // One GenerateDataKey per org per run: 100 orgs over 600 records.
        assertThat(kms.get("encrypt").get("GenerateDataKey").asDouble())
                .isEqualTo(100 * 1e6 / RECORDS, org.assertj.core.data.Offset.offset(0.1));
        assertThat(kms.get("encrypt-reference").get("GenerateDataKey").asDouble())
                .isEqualTo(100 * 1e6 / RECORDS, org.assertj.core.data.Offset.offset(0.1));
        assertThat(kms.get("decrypt").get("Decrypt").asDouble())
                .isEqualTo(100 * 1e6 / RECORDS, org.assertj.core.data.Offset.offset(0.1));
        assertThat(report.get("kms_errors").get("encrypt-reference")).isEmpty();
        assertThat(report.get("generate_data_key_per_org").get("max").asDouble()).isEqualTo(1.0);
        assertThat(report.get("reference_generate_data_key_per_org").get("max").asDouble())
                .isEqualTo(1.0);
        double hitRate = report.get("dek_cache_hit_rate").get("median").asDouble();
        assertThat(hitRate).isBetween(0.0, 1.0 - 100.0 / RECORDS);
        double referenceHitRate =
                report.get("reference_dek_cache_hit_rate").get("median").asDouble();
        assertThat(referenceHitRate).isBetween(0.0, 1.0 - 100.0 / RECORDS);
        assertThat(report.get("data_key_entries_per_run").get("median").asDouble())
                .isEqualTo(100.0);
        assertThat(report.get("data_key_entries_equal_generate_data_key").asBoolean()).isTrue();
        assertThat(report.get("data_key_log_bytes_per_entry").get("median").asDouble())
                .isBetween(184.0, 1000.0);

        assertThat(report.get("edek_bytes").asInt()).isEqualTo(184);
        assertThat(report.get("data_key_reference_bytes").asInt()).isEqualTo(16);
        JsonNode versions = report.get("envelope_format_versions");
        assertThat(versions.get("encrypt")).containsExactly(JsonNodeFactory.instance.numberNode(1));
        assertThat(versions.get("encrypt-reference"))
                .containsExactly(JsonNodeFactory.instance.numberNode(2));
        JsonNode plain = report.get("bytes_per_record").get("plain");
        JsonNode encrypted = report.get("bytes_per_record").get("encrypted");
        JsonNode withReference = report.get("bytes_per_record").get("encrypted_with_reference");
        assertThat(plain.get("value").asDouble()).isBetween(900.0, 1100.0);
        for (String size : List.of("value", "uncompressed", "lz4", "zstd")) {
            assertThat(encrypted.get(size).asDouble())
                    .as(size)
                    .isGreaterThan(plain.get(size).asDouble());
            assertThat(withReference.get(size).asDouble())
                    .as(size)
                    .isGreaterThan(plain.get(size).asDouble());
        }
        assertThat(withReference.get("value").asDouble())
                .isEqualTo(valueBytes.get("encrypt-reference"), offset(0.1));
        JsonNode referenceStripped =
                report.get("bytes_per_record").get("encrypted_with_reference_without_envelope");
        for (String size : List.of("uncompressed", "lz4", "zstd")) {
            assertThat(referenceStripped.get(size).asDouble())
                    .as(size)
                    .isPositive()
                    .isLessThan(withReference.get(size).asDouble());
        }
        assertThat(plain.get("lz4").asDouble()).isLessThan(plain.get("uncompressed").asDouble());
        // The EDEK alone is 184 random bytes, and the uncompressed envelope carries it whole.
        assertThat(report.get("metadata_bytes_per_record_uncompressed").asDouble())
                .isGreaterThan(184.0);
        assertThat(report.get("metadata_bytes_per_record_lz4").asDouble()).isPositive();
        assertThat(report.get("metadata_bytes_per_record_lz4_by_batch_size")).hasSize(3);
        assertThat(report.has("metadata_bytes_per_record_lz4_with_data_key_reference")).isFalse();
        // The reference envelope keeps the encryption context, a 16-byte reference, the nonce,
        // tag, record id and fingerprint: more than 16 + 12 + 16 bytes, less than the EDEK alone.
        double referenceMetadata =
                report.get("reference_metadata_bytes_per_record_uncompressed").asDouble();
        assertThat(referenceMetadata).isBetween(16.0 + 12 + 16, 184.0);
        assertThat(report.get("reference_metadata_bytes_per_record_lz4").asDouble())
                .isPositive()
                .isLessThan(report.get("metadata_bytes_per_record_lz4").asDouble());
        assertThat(report.get("reference_metadata_bytes_per_record_zstd").asDouble()).isPositive();
        assertThat(report.get("targets_met")).hasSize(7);
        // 600 records pass too fast to sample the CPU between 10% and 90% of them, so only the
        // layout is checked here; CpuSharesTest checks the arithmetic.
        assertThat(report.get("cpu_us_per_record").fieldNames())
                .toIterable()
                .containsExactly(
                        "pass-through",
                        "encrypt",
                        "encrypted-bytes-pass-through",
                        "encrypt-reference",
                        "reference-bytes-pass-through",
                        "decrypt-pass-through",
                        "decrypt",
                        "added_by_crypto",
                        "added_by_encrypted_bytes",
                        "added_by_reference_bytes",
                        "added_by_crypto_over_encrypted_bytes",
                        "added_by_crypto_over_reference_bytes");
        assertThat(report.get("cpu_us_per_record").get("added_by_crypto").fieldNames())
                .toIterable()
                .containsExactly("encrypt", "encrypt-reference", "decrypt");
    }

    @Test
    void scalingReportsPointsAndPlots(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("scaling.png");
        JsonNode report =
                run(
                        "bench",
                        "--scaling",
                        "--scaling-orgs",
                        "10,20",
                        "--records",
                        "400",
                        "--rounds",
                        "1",
                        "--kms-latency",
                        "0ms",
                        "--plot",
                        png.toString());

        assertThat(report.get("benchmark").asText()).isEqualTo("scaling");
        assertThat(report.get("points")).hasSize(4);
        for (JsonNode point : report.get("points")) {
            int orgs = point.get("orgs").asInt();
            assertThat(point.get("records_per_second").get("median").asDouble()).isPositive();
            assertThat(point.get("generate_data_key_calls").get("max").asDouble()).isEqualTo(orgs);
        }
        assertThat(report.get("broadcast_state_bytes_per_link").asDouble()).isBetween(100.0, 400.0);
        JsonNode skew = report.get("skew");
        assertThat(skew.get("runs")).hasSize(4);
        java.util.Map<Boolean, Long> generateDataKey = new java.util.HashMap<>();
        for (JsonNode run : skew.get("runs")) {
            long total = 0;
            long max = 0;
            long min = Long.MAX_VALUE;
            for (JsonNode n : run.get("step_records_per_instance")) {
                total += n.asLong();
                max = Math.max(max, n.asLong());
                min = Math.min(min, n.asLong());
            }
            assertThat(total).isEqualTo(400);
            if (run.get("salting").asBoolean()) {
                // The hot org's salts split its records by a hash of their position, so each
                // instance gets part of them. The split of these 400 seeded records is fixed.
                assertThat(min).as("records of the smaller instance").isGreaterThanOrEqualTo(100);
            } else {
                // 90% of the records come from one org, which one parallel instance handles.
                assertThat(max).isGreaterThanOrEqualTo(340);
            }
            if (run.get("variant").asText().equals("encrypt")) {
                generateDataKey.put(
                        run.get("salting").asBoolean(),
                        run.get("generate_data_key_calls").asLong());
            }
        }
        // One DEK per org and instance that met it: the salted hot org meets both instances.
        assertThat(generateDataKey.get(true)).isEqualTo(generateDataKey.get(false) + 1);
        assertThat(ImageIO.read(png.toFile()).getWidth()).isEqualTo(900);

        Path saved = dir.resolve("scaling.jsonl");
        Files.writeString(saved, "progress line\n" + report + "\n");
        Path replot = dir.resolve("replot.png");
        assertThat(
                        runExitCode(
                                "bench",
                                "--plot-from",
                                saved.toString(),
                                "--plot",
                                replot.toString()))
                .isZero();
        assertThat(ImageIO.read(replot.toFile()).getHeight()).isEqualTo(520);
    }

    private static JsonNode run(String... args) throws Exception {
        PrintStream stdout = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            exit = Main.execute(new LocalMain(), args);
        } finally {
            System.setOut(stdout);
        }
        assertThat(exit).isZero();
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines).isNotEmpty();
        return new ObjectMapper().readTree(lines.get(lines.size() - 1));
    }

    private static int runExitCode(String... args) {
        return Main.execute(new LocalMain(), args);
    }
}
