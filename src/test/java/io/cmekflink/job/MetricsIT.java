package io.cmekflink.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.cmekflink.config.JobConfig;
import io.cmekflink.deadletter.ErrorCode;
import io.cmekflink.link.KeyChangeEvent;
import io.cmekflink.local.EmbeddedKafka;
import io.cmekflink.local.Topics;
import io.cmekflink.local.demo.GeneratedKongEntry;
import io.cmekflink.local.demo.KongLogGenerator;
import io.cmekflink.local.kms.KmsEmulator;
import io.cmekflink.testing.JobHarness;
import io.cmekflink.testing.TestAws;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Reads the encrypt job's metrics (docs/metrics.md) back for a known input: 10 records of a linked
 * org, 3 of an org that never links, 1 malformed record, one signed and one unsigned key-change
 * event. Values are summed over the job's 2 parallel instances. The health-check gauges are not
 * covered, because the checks are off for an exact count of KMS calls.
 */
class MetricsIT {

    private static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .setConfiguration(REPORTER.addToConfiguration(new Configuration()))
                            .build());

    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    private static EmbeddedKafka kafka;
    private static KmsEmulator kms;
    private static Schema schema;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start(0);
        kms = KmsEmulator.start(0);
        TestAws.useEmulatorCredentials();
        schema = new Schema.Parser().parse(new java.io.File("schemas/kong-log-entry.avsc"));
    }

    @AfterAll
    static void stop() throws Exception {
        kms.close();
        kafka.close();
    }

    @Test
    void metricsCountAKnownInput() throws Exception {
        JobHarness h = new JobHarness(kafka, "metrics");
        h.awaitTopics(TIMEOUT);
        String key = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
        // Health checks off, so that GenerateDataKey is the only KMS call.
        JobConfig config =
                h.config(
                        kms.endpoint().toString(),
                        "avro",
                        "link.wait: 4s\nkey.health-check-interval: 0s\n");
        JobClient job;
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            KeyChangeEvent unsigned =
                    KeyChangeEvent.linked("org-forged", "forged", key, "eu-west-1", null, 1, 1L);
            producer.send(
                            new ProducerRecord<>(
                                    h.keyChanges(),
                                    "org-forged".getBytes(StandardCharsets.UTF_8),
                                    unsigned.toBytes()))
                    .get();
            h.publish(
                    producer,
                    KeyChangeEvent.linked("org-linked", "linked", key, "eu-west-1", null, 1, 2L));
            job = JobHarness.start(config);
            JobID id = job.getJobID();

            // Each of the 2 instances applies the signed event and rejects the unsigned one.
            // Records sent after that never wait for the key-change replay.
            JobHarness.await(
                    "both key-change events in both instances",
                    TIMEOUT,
                    () ->
                            JobHarness.counter(REPORTER, id, "linksApplied") == 2
                                    && JobHarness.counter(REPORTER, id, "linksRejected") == 2);

            // One record first, so that the other 9 find its DEK cached: 1 miss, 9 hits.
            send(h, producer, "org-linked", 1, 21);
            JobHarness.await(
                    "the first record to be encrypted",
                    TIMEOUT,
                    () -> JobHarness.counter(REPORTER, id, "recordsEncrypted") == 1);
            send(h, producer, "org-linked", 9, 22);
            send(h, producer, "org-never", 3, 23);
            h.send(producer, 0, "org-linked", "not avro".getBytes(StandardCharsets.UTF_8));

            JobHarness.await(
                    "3 records pending a link",
                    TIMEOUT,
                    () -> gauge(id, "recordsPendingLink") == 3);
        }

        Topics.readUntil(kafka.bootstrapServers(), h.encrypted(), r -> r.size() >= 10, TIMEOUT);
        Topics.readUntil(kafka.bootstrapServers(), h.deadLetters(), r -> r.size() >= 4, TIMEOUT);
        JobID id = job.getJobID();
        JobHarness.await(
                "no records pending after link.wait",
                TIMEOUT,
                () -> gauge(id, "recordsPendingLink") == 0);

        assertThat(JobHarness.counter(REPORTER, id, "recordsIn")).isEqualTo(14);
        assertThat(JobHarness.counter(REPORTER, id, "recordsAlreadyEncrypted")).isZero();
        assertThat(JobHarness.counter(REPORTER, id, "recordsEncrypted")).isEqualTo(10);
        assertThat(JobHarness.counter(REPORTER, id, "recordsPassedThrough")).isZero();
        assertThat(JobHarness.counter(REPORTER, id, "recordsWaitedForLink")).isEqualTo(3);
        for (ErrorCode code : ErrorCode.values()) {
            long expected =
                    switch (code) {
                        case MALFORMED_RECORD -> 1;
                        case NO_KEY_LINKED -> 3;
                        default -> 0;
                    };
            assertThat(JobHarness.counter(REPORTER, id, "deadLetters." + code.name()))
                    .as("deadLetters." + code.name())
                    .isEqualTo(expected);
        }
        // Parse, resolve key and encrypt each register every code, in both instances.
        assertThat(metrics(id, "deadLetters.UNKNOWN").keySet())
                .filteredOn(name -> name.endsWith(".deadLetters.UNKNOWN"))
                .hasSize(3 * 2);

        assertThat(JobHarness.counter(REPORTER, id, "kmsCalls.GenerateDataKey.ok")).isEqualTo(1);
        assertThat(metrics(id, "kmsCalls.")).hasSize(1);
        assertThat(kms.callCount("GenerateDataKey")).isEqualTo(1);
        assertThat(histogramCount(id, "kmsLatencyMillis")).isEqualTo(1);
        assertThat(JobHarness.counter(REPORTER, id, "kmsBudgetDelayed")).isZero();
        assertThat(JobHarness.counter(REPORTER, id, "kmsBudgetDelayMillis")).isZero();
        assertThat(gauge(id, "dekCachedFailureHits")).isZero();
        assertThat(gauge(id, "dekCacheMisses")).isEqualTo(1);
        assertThat(gauge(id, "dekCacheHits")).isEqualTo(9);
        assertThat(gauge(id, "dekCacheSize")).isEqualTo(1);

        assertThat(JobHarness.counter(REPORTER, id, "linksApplied")).isEqualTo(2);
        assertThat(JobHarness.counter(REPORTER, id, "linksRejected")).isEqualTo(2);
        assertThat(JobHarness.counter(REPORTER, id, "linksStale")).isZero();
        assertThat(gauge(id, "linksHeld")).isEqualTo(2);
        assertThat(metrics(id, "linkStateDigest").values())
                .hasSize(2)
                .extracting(m -> (Object) ((Gauge<?>) m).getValue())
                .containsOnly((Object) ResolveKeyFunction.digestOf(linkOf("org-linked", key)));
        job.cancel().get();
    }

    private static io.cmekflink.link.KeyLink linkOf(String org, String keyArn) {
        io.cmekflink.link.KeyLink link = new io.cmekflink.link.KeyLink();
        link.orgId = org;
        link.version = 1;
        link.linked = true;
        link.keyArn = keyArn;
        return link;
    }

    private static Map<String, Metric> metrics(JobID job, String name) {
        return REPORTER.findMetrics(job, name);
    }

    /** Sums a numeric gauge over all parallel instances of a job. */
    private static long gauge(JobID job, String name) {
        long sum = 0;
        for (Map.Entry<String, Metric> e : metrics(job, name).entrySet()) {
            if (e.getKey().endsWith("." + name) && e.getValue() instanceof Gauge<?> g) {
                sum += ((Number) g.getValue()).longValue();
            }
        }
        return sum;
    }

    /** Sums the number of values of a histogram over all parallel instances of a job. */
    private static long histogramCount(JobID job, String name) {
        long sum = 0;
        for (Map.Entry<String, Metric> e : metrics(job, name).entrySet()) {
            if (e.getKey().endsWith("." + name) && e.getValue() instanceof Histogram histogram) {
                sum += histogram.getCount();
            }
        }
        return sum;
    }

    private static void send(
            JobHarness h, KafkaProducer<byte[], byte[]> producer, String org, int count, long seed)
            throws Exception {
        KongLogGenerator generator = new KongLogGenerator(schema, List.of(org), seed);
        for (GeneratedKongEntry entry : generator.next(count)) {
            h.send(producer, 0, org, JobHarness.avro(entry.record()));
        }
    }
}
