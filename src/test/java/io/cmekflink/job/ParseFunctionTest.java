package io.cmekflink.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.cmekflink.config.JobConfig;
import io.cmekflink.testing.KongValues;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.apache.avro.SchemaNormalization;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

class ParseFunctionTest {

    private static final JobConfig CONFIG =
            JobConfig.parse(
                    """
                    job.type: encrypt
                    geo: EU
                    records: {topic: r, format: avro, schema: schemas/kong-log-entry.avsc}
                    output.topic: o
                    dead-letters.topic: d
                    key-changes.topic: k
                    key-changes.public-keys: ["unused.pem"]
                    kms.local-region: eu-west-1
                    kafka.bootstrap.servers: "127.0.0.1:1"
                    """,
                    "parse-test.yaml",
                    name -> null);

    @Test
    void parsedRecordCarriesWriterFingerprint() throws Exception {
        var parse = ProcessFunctionTestHarnesses.forProcessFunction(new ParseFunction(CONFIG));
        parse.processElement(source(0), 0);

        ParsedRecord parsed = parse.extractOutputValues().get(0);
        assertThat(parsed.schemaIndex).isZero();
        assertThat(parsed.schemaFingerprint)
                .isEqualTo(SchemaNormalization.parsingFingerprint64(KongValues.schema()));
    }

    /**
     * Checks that no schema is parsed per record: parsing the Kong log schema's JSON for its
     * fingerprint took about 270 µs of CPU per record, and a record without it takes about 7 µs.
     * Measured as CPU time of this thread after a warm-up, so that other processes do not count.
     */
    @Test
    void recordCostExcludesSchemaParsing() throws Exception {
        var parse = ProcessFunctionTestHarnesses.forProcessFunction(new ParseFunction(CONFIG));
        SourceRecord record = source(0);
        for (int i = 0; i < 20_000; i++) {
            parse.processElement(record, i);
        }
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        int measured = 5_000;
        long start = threads.getCurrentThreadCpuTime();
        for (int i = 0; i < measured; i++) {
            parse.processElement(record, i);
        }
        long nanosPerRecord = (threads.getCurrentThreadCpuTime() - start) / measured;
        System.out.println("parse: " + nanosPerRecord + " ns of CPU per record");

        assertThat(parse.extractOutputValues()).hasSize(25_000);
        assertThat(nanosPerRecord).as("CPU per record, ns").isLessThan(50_000);
    }

    @Test
    void hotOrgRecordsCarryTheirSalts() throws Exception {
        var parse =
                new org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness<>(
                        new org.apache.flink.streaming.api.operators.ProcessOperator<>(
                                new ParseFunction(
                                        JobSchemas.of(CONFIG),
                                        false,
                                        new HotOrgs(java.util.List.of("org-hot"), 0))),
                        128,
                        2,
                        0);
        parse.open();
        HotOrgs.Salts salts = new HotOrgs(java.util.List.of("org-hot"), 0).salts(128, 2);
        for (long offset = 0; offset < 20; offset++) {
            SourceRecord hot = source(offset);
            hot.value = KongValues.entry("org-hot", 1);
            parse.processElement(hot, 0);
            parse.processElement(source(offset), 0);
        }

        var out = parse.extractOutputValues();
        assertThat(out).hasSize(40);
        java.util.Map<Integer, Integer> hotSalts = new java.util.TreeMap<>();
        for (ParsedRecord r : out) {
            if (r.orgId.equals("org-a")) {
                assertThat(r.salt).as("salt of a cold org").isZero();
            } else {
                assertThat(r.salt).isEqualTo(salts.saltOf("org-hot", 0, r.offset));
                hotSalts.merge(r.salt, 1, Integer::sum);
            }
        }
        // org-hot's salts at max parallelism 128 and parallelism 2 are 0 and 2.
        assertThat(hotSalts.keySet()).containsExactly(0, 2);
        assertThat(hotSalts.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(20);
    }

    @Test
    void unlistedHotOrgIsLogged(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        String log = parseWithLog(dir, java.util.List.of(), 90);

        assertThat(log)
                .contains(
                        "org org-a sent 100% of the last 10000 records of parse instance 0, above"
                                + " hot-orgs.warn-percent 90: one instance of the resolve and"
                                + " encrypt steps handles all of them. List the org in"
                                + " hot-orgs.ids to spread its records over up to 2 instances.");
    }

    @Test
    void listedHotOrgIsNotLogged(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        assertThat(parseWithLog(dir, java.util.List.of("org-a"), 90)).doesNotContain("org-a sent");
    }

    @Test
    void warningOffIsNotLogged(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        assertThat(parseWithLog(dir, java.util.List.of(), 0)).doesNotContain("org-a sent");
    }

    /**
     * Parses one share window of org-a's records at parallelism 2 and returns what the JVM logged
     * at INFO and above meanwhile.
     */
    private static String parseWithLog(
            java.nio.file.Path dir, java.util.List<String> hot, int percent) throws Exception {
        var parse =
                new org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness<>(
                        new org.apache.flink.streaming.api.operators.ProcessOperator<>(
                                new ParseFunction(
                                        JobSchemas.of(CONFIG),
                                        false,
                                        new HotOrgs(hot, 0, percent))),
                        128,
                        2,
                        0);
        parse.open();
        java.nio.file.Path file;
        try (io.cmekflink.testing.LogCapture capture = io.cmekflink.testing.LogCapture.start(dir)) {
            for (int i = 0; i < ParseFunction.SHARE_WINDOW_RECORDS; i++) {
                parse.processElement(source(i), 0);
            }
            file = capture.infoFile();
        }
        assertThat(parse.extractOutputValues()).hasSize(ParseFunction.SHARE_WINDOW_RECORDS);
        return java.nio.file.Files.readString(file);
    }

    private static SourceRecord source(long offset) {
        SourceRecord record = new SourceRecord();
        record.topic = "r";
        record.offset = offset;
        record.value = KongValues.entry("org-a", 1);
        record.headerKeys = new String[0];
        record.headerValues = new byte[0][];
        return record;
    }
}
