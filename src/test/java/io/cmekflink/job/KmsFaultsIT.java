package io.cmekflink.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.cmekflink.config.JobConfig;
import io.cmekflink.crypto.RecordId;
import io.cmekflink.crypto.RecordOpener;
import io.cmekflink.deadletter.DeadLetter;
import io.cmekflink.deadletter.ErrorCode;
import io.cmekflink.deadletter.Stage;
import io.cmekflink.link.KeyChangeEvent;
import io.cmekflink.local.EmbeddedKafka;
import io.cmekflink.local.Topics;
import io.cmekflink.local.kms.FaultInjector.OutageMode;
import io.cmekflink.local.kms.KmsEmulator;
import io.cmekflink.testing.JobControl;
import io.cmekflink.testing.JobHarness;
import io.cmekflink.testing.KmsCallRate;
import io.cmekflink.testing.KongValues;
import io.cmekflink.testing.Outcomes;
import io.cmekflink.testing.TestAws;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The encrypt job under KMS faults that the emulator injects: throttling, latency and outages. The
 * job runs on the Flink mini cluster with the in-JVM broker and calls the emulator through the AWS
 * SDK. Every test links its orgs, starts the job, waits until one record of a warm-up org is
 * encrypted, and only then turns a fault on, so that job start-up is not part of what is measured.
 */
class KmsFaultsIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .setConfiguration(new Configuration())
                            .build());

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private static final String GENERATE_DATA_KEY = "GenerateDataKey";

    /** The org whose record shows that the job runs and has applied every key link. */
    private static final String WARM_ORG = "org-warm";

    /** One generated input value per org, made before a test measures anything. */
    private static final Map<String, byte[]> VALUES = new ConcurrentHashMap<>();

    private static EmbeddedKafka kafka;
    private static KmsEmulator kms;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start(0);
        kms = KmsEmulator.start(0);
        TestAws.useEmulatorCredentials();
    }

    @AfterAll
    static void stop() throws Exception {
        kms.close();
        kafka.close();
    }

    @AfterEach
    void clearFaults() {
        kms.faults().clear();
    }

    @Test
    void throttledCallsAreRetriedToSuccess(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        JobHarness h = new JobHarness(kafka, "throttled");
        h.awaitTopics(TIMEOUT);
        List<String> orgs = orgs("thr", 50);
        // 20 encryptions per DEK make each org load at least two DEKs for its 30 records. With 20
        // attempts, a call fails only when all of them are throttled: 0.3^20, about 3.5e-11.
        JobConfig config =
                h.config(
                        endpoint(),
                        "avro",
                        "records.starting-offsets: earliest\n"
                                + "dek.max-encryptions: 20\n"
                                + "kms.retry.max-attempts: 20\n"
                                + "kms.retry.base-delay: 20ms\n"
                                + "kms.retry.max-delay: 200ms\n");
        List<Sent> sent = new ArrayList<>();
        Outcomes outcomes;
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            linkAll(h, producer, orgs);
            JobClient job = JobHarness.start(config);
            sent.add(warmUp(cluster, job, h, producer));
            kms.resetCallCounts();

            kms.faults().throttleProbability(0.3);
            sent.addAll(send(h, producer, orgs, 30));
            outcomes = awaitFinalOutcomes(cluster, job, h, config, sent.size());
            kms.faults().clear();
            assertStillRunningWithoutRestart(cluster, job);
            JobControl.cancel(job, TIMEOUT);
        }

        long succeeded = kms.callCount(GENERATE_DATA_KEY, KmsEmulator.OUTCOME_SUCCESS);
        long throttled = kms.callCount(GENERATE_DATA_KEY, "ThrottlingException");
        System.out.printf(
                "30%% throttling: %d records encrypted, GenerateDataKey calls %d succeeded and %d"
                        + " throttled (%.1f%%)%n",
                outcomes.encryptedIds().size(),
                succeeded,
                throttled,
                100.0 * throttled / (succeeded + throttled));

        assertExactlyOnce(sent, outcomes);
        assertThat(outcomes.deadLetters()).as("dead letters").isEmpty();
        assertThat(outcomes.encryptedIds()).hasSize(1 + orgs.size() * 30);
        assertThat(succeeded)
                .as("successful GenerateDataKey calls")
                .isGreaterThanOrEqualTo(2L * orgs.size());
        assertThat(throttled).as("throttled GenerateDataKey calls").isPositive();
        assertThat((double) throttled / (succeeded + throttled))
                .as("throttled share of GenerateDataKey calls")
                .isBetween(0.1, 0.5);
    }

    @Test
    void coldStartOfThousandOrgsIsConcurrent(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        JobHarness h = new JobHarness(kafka, "cold-start");
        h.awaitTopics(TIMEOUT);
        // The broker stamps each encrypted record when it appends it: the time of its output.
        kafka.setTopicConfig(h.encrypted(), "message.timestamp.type", "LogAppendTime");
        List<String> orgs = orgs("cold", 1000);
        // Their first records warm up the JIT compiler on the KMS call path before the cold start.
        List<String> warmOrgs = orgs("jit", 200);
        int budget = 800;
        Duration latency = Duration.ofMillis(50);
        JobConfig config =
                h.config(
                        endpoint(),
                        "avro",
                        "records.starting-offsets: earliest\n"
                                + "kms.request-budget-per-second: "
                                + budget
                                + "\n");
        List<Sent> sent = new ArrayList<>();
        Outcomes outcomes;
        long maxCallsPerSecond;
        long maxCallsPerInterval;
        int measuredFrom;
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            List<String> linked = new ArrayList<>(warmOrgs);
            linked.addAll(orgs);
            linkAll(h, producer, linked);
            JobClient job = JobHarness.start(config);
            sent.add(warmUp(cluster, job, h, producer));
            sent.addAll(send(h, producer, warmOrgs, 1));
            Outcomes.awaitTotal(kafka, h, opener(config), sent.size(), TIMEOUT);
            measuredFrom = sent.size();
            kms.resetCallCounts();

            kms.faults().setLatency(latency);
            KmsCallRate rate = KmsCallRate.start(kms, GENERATE_DATA_KEY, Duration.ofMillis(10));
            try {
                sent.addAll(send(h, producer, orgs, 1));
                outcomes = Outcomes.awaitTotal(kafka, h, opener(config), sent.size(), TIMEOUT);
            } finally {
                rate.close();
            }
            maxCallsPerSecond = rate.maxInWindow(Duration.ofSeconds(1));
            maxCallsPerInterval = rate.maxPerInterval();
            kms.faults().clear();
            assertStillRunningWithoutRestart(cluster, job);
            JobControl.cancel(job, TIMEOUT);
        }

        List<Long> latencies =
                firstRecordLatencies(sent.subList(measuredFrom, sent.size()), outcomes);
        List<Long> sorted = latencies.stream().sorted().toList();
        long max = sorted.get(sorted.size() - 1);
        long p99 = sorted.get((int) Math.ceil(0.99 * sorted.size()) - 1);
        long calls = kms.callCount(GENERATE_DATA_KEY);
        System.out.printf(
                "cold start of %d orgs with %d ms KMS latency and a budget of %d requests/s:"
                        + " first-record latency max %d ms, p99 %d ms, median %d ms;"
                        + " GenerateDataKey calls %d, max %d in any 1 s window, max %d per 10 ms%n",
                orgs.size(),
                latency.toMillis(),
                budget,
                max,
                p99,
                sorted.get(sorted.size() / 2),
                calls,
                maxCallsPerSecond,
                maxCallsPerInterval);

        assertExactlyOnce(sent, outcomes);
        assertThat(outcomes.deadLetters()).as("dead letters").isEmpty();
        assertThat(latencies).as("orgs with a measured first record").hasSize(orgs.size());
        // One call per org at 50 ms each would take 50 s one after another. NOTE: this bound is
        // wall-clock time; on 2 cores shared with other builds (load average 11 to 16) the max
        // was 2.4 to 2.9 s.
        assertThat(max).as("max first-record latency, ms").isLessThan(5_000);
        assertThat(calls).as("GenerateDataKey calls: one per cold org").isEqualTo(orgs.size());
        // A spaced budget sends at most one call per instance more than its rate in a window.
        // The emulator counts a call when one of its server threads has verified it and sent the
        // response. On a loaded machine those threads fall behind and catch up, so a window of
        // counted calls can exceed what the job sent in it: 859 against a budget of 800 was
        // measured at load average 8. The 20% allowance keeps the test about the job, and a
        // budget that lets a cold start burst (1,000 calls in well under a second) still fails.
        assertThat(maxCallsPerSecond)
                .as("max GenerateDataKey calls in a 1 s window, budget %d per second", budget)
                .isLessThanOrEqualTo(budget + budget / 5 + 2);
    }

    @Test
    void outageWithinRetryBudgetLosesNothing(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        JobHarness h = new JobHarness(kafka, "short-outage");
        h.awaitTopics(TIMEOUT);
        List<String> orgs = orgs("short", 20);
        Duration retryBudget = Duration.ofSeconds(10);
        JobConfig config =
                h.config(
                        endpoint(),
                        "avro",
                        "records.starting-offsets: earliest\nkms.retry.budget: "
                                + retryBudget.toSeconds()
                                + "s\n");
        List<Sent> sent = new ArrayList<>();
        Outcomes outcomes;
        long outageMillis;
        long failedCalls;
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            linkAll(h, producer, orgs);
            JobClient job = JobHarness.start(config);
            sent.add(warmUp(cluster, job, h, producer));
            kms.resetCallCounts();

            long outageStart = System.nanoTime();
            kms.faults().startOutage(OutageMode.HTTP_503);
            sent.addAll(send(h, producer, orgs, 10));
            // Each org's DEK load has failed five times on average: with 100 ms doubling backoff
            // that is at least 0.75 s of outage.
            JobHarness.await(
                    "5 failed GenerateDataKey calls per org",
                    TIMEOUT,
                    () ->
                            kms.callCount(
                                            GENERATE_DATA_KEY,
                                            KmsEmulator.OUTCOME_SERVICE_UNAVAILABLE)
                                    >= 5L * orgs.size());
            kms.faults().endOutage();
            outageMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - outageStart);
            failedCalls = kms.callCount(GENERATE_DATA_KEY, KmsEmulator.OUTCOME_SERVICE_UNAVAILABLE);

            outcomes = awaitFinalOutcomes(cluster, job, h, config, sent.size());
            assertStillRunningWithoutRestart(cluster, job);
            JobControl.cancel(job, TIMEOUT);
        }
        System.out.printf(
                "outage of %d ms within a retry budget of %d s: %d GenerateDataKey calls failed,"
                        + " %d records encrypted, %d dead letters%n",
                outageMillis,
                retryBudget.toSeconds(),
                failedCalls,
                outcomes.encryptedIds().size(),
                outcomes.deadLetters().size());

        assertThat(outageMillis).as("outage, ms").isLessThan(retryBudget.toMillis());
        assertExactlyOnce(sent, outcomes);
        assertThat(outcomes.deadLetters()).as("dead letters").isEmpty();
        assertThat(outcomes.encryptedIds()).hasSize(1 + orgs.size() * 10);
    }

    @Test
    void outageBeyondRetryBudgetDeadLettersThenRecovers(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        JobHarness h = new JobHarness(kafka, "long-outage");
        h.awaitTopics(TIMEOUT);
        List<String> orgs = orgs("long", 20);
        JobConfig config =
                h.config(
                        endpoint(),
                        "avro",
                        "records.starting-offsets: earliest\nkms.retry.budget: 2s\n");
        RecordOpener opener = opener(config);
        List<Sent> sent = new ArrayList<>();
        List<Sent> duringOutage;
        List<Sent> afterRecovery;
        Outcomes atOutageEnd;
        Outcomes outcomes;
        long recoveryMillis;
        int probeRounds = 0;
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            linkAll(h, producer, orgs);
            JobClient job = JobHarness.start(config);
            sent.add(warmUp(cluster, job, h, producer));
            kms.resetCallCounts();

            kms.faults().startOutage(OutageMode.HTTP_503);
            duringOutage = send(h, producer, orgs, 10);
            sent.addAll(duringOutage);
            atOutageEnd = Outcomes.awaitTotal(kafka, h, opener, sent.size(), TIMEOUT);
            assertStillRunningWithoutRestart(cluster, job);
            kms.faults().endOutage();

            // A key whose calls failed after all retries is refused for a few seconds without a
            // call, so the first records after the outage may still become dead letters. Probe
            // with one record per org until a whole round is encrypted.
            long outageEnd = System.nanoTime();
            while (true) {
                List<Sent> probe = send(h, producer, orgs, 1);
                sent.addAll(probe);
                probeRounds++;
                Outcomes now = Outcomes.awaitTotal(kafka, h, opener, sent.size(), TIMEOUT);
                if (encryptedIds(now).containsAll(ids(probe))) {
                    break;
                }
                assertThat(Duration.ofNanos(System.nanoTime() - outageEnd))
                        .as("time to recover after the outage")
                        .isLessThan(Duration.ofSeconds(30));
            }
            recoveryMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - outageEnd);

            afterRecovery = send(h, producer, orgs, 10);
            sent.addAll(afterRecovery);
            outcomes = awaitFinalOutcomes(cluster, job, h, config, sent.size());
            assertStillRunningWithoutRestart(cluster, job);
            JobControl.cancel(job, TIMEOUT);
        }
        System.out.printf(
                "outage beyond a retry budget of 2 s: %d dead letters during the outage, encrypted"
                        + " again %d ms after it ended (%d probe rounds), %d records encrypted"
                        + " and %d dead letters in all%n",
                atOutageEnd.deadLetters().size(),
                recoveryMillis,
                probeRounds,
                outcomes.encryptedIds().size(),
                outcomes.deadLetters().size());

        assertThat(atOutageEnd.encryptedIds()).as("encrypted during the outage").hasSize(1);
        assertThat(atOutageEnd.deadLetters()).hasSize(duringOutage.size());
        for (DeadLetter letter : outcomes.deadLetters()) {
            assertThat(letter.errorCode()).isEqualTo(ErrorCode.KMS_UNAVAILABLE);
            assertThat(letter.retriable()).as("retriable flag").isTrue();
            assertThat(letter.stage()).isEqualTo(Stage.ENCRYPT);
            assertThat(letter.awsErrorCode()).isEqualTo("ServiceUnavailableException");
            assertThat(letter.attempts()).as("KMS attempts").isGreaterThan(1);
            assertThat(orgs).contains(letter.orgId());
        }
        assertExactlyOnce(sent, outcomes);
        Set<String> deadLettered = new HashSet<>();
        for (DeadLetter letter : outcomes.deadLetters()) {
            deadLettered.add(Outcomes.sourceOf(letter).toString());
        }
        assertThat(deadLettered).as("dead letters").containsAll(ids(duringOutage));
        assertThat(encryptedIds(outcomes))
                .as("records sent after recovery, encrypted")
                .containsAll(ids(afterRecovery));
    }

    /** A record sent to the records topic: its org and where it landed. */
    private record Sent(String org, RecordMetadata metadata) {
        String id() {
            return KongValues.idOf(metadata).toString();
        }
    }

    /** Returns {@code count} org ids with the given prefix. */
    private static List<String> orgs(String prefix, int count) {
        List<String> orgs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            orgs.add("org-%s-%04d".formatted(prefix, i));
        }
        return orgs;
    }

    /**
     * Creates a key for each org and for {@link #WARM_ORG}, and publishes their key links to the
     * one partition of the key-change topic, the warm-up org last.
     */
    private static void linkAll(
            JobHarness h, KafkaProducer<byte[], byte[]> producer, List<String> orgs)
            throws Exception {
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        List<String> all = new ArrayList<>(orgs);
        all.add(WARM_ORG);
        for (String org : all) {
            VALUES.computeIfAbsent(org, o -> KongValues.entry(o, o.hashCode()));
            String key = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, TestAws.REGION);
            acks.add(
                    h.publishTo(
                            producer,
                            0,
                            KeyChangeEvent.linked(org, "k", key, TestAws.REGION, null, 1, 1L)));
        }
        producer.flush();
        for (Future<RecordMetadata> ack : acks) {
            ack.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    /**
     * Sends one record of {@link #WARM_ORG} and waits until it is encrypted. Its link is the last
     * key-change event, so by then the job has applied every link and loaded its KMS clients.
     */
    private static Sent warmUp(
            MiniCluster cluster,
            JobClient job,
            JobHarness h,
            KafkaProducer<byte[], byte[]> producer)
            throws Exception {
        JobControl.awaitAllTasksRunning(cluster, job, TIMEOUT);
        Sent warm = send(h, producer, List.of(WARM_ORG), 1).get(0);
        Topics.readUntil(kafka.bootstrapServers(), h.encrypted(), r -> !r.isEmpty(), TIMEOUT);
        return warm;
    }

    /**
     * Sends {@code perOrg} records of each org, interleaved org by org, keyed by org id, and waits
     * for the broker to acknowledge them.
     */
    private static List<Sent> send(
            JobHarness h, KafkaProducer<byte[], byte[]> producer, List<String> orgs, int perOrg)
            throws Exception {
        for (String org : orgs) {
            VALUES.computeIfAbsent(org, o -> KongValues.entry(o, o.hashCode()));
        }
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        List<String> sentOrgs = new ArrayList<>();
        for (int round = 0; round < perOrg; round++) {
            for (String org : orgs) {
                acks.add(
                        producer.send(
                                new ProducerRecord<>(
                                        h.records(),
                                        org.getBytes(StandardCharsets.UTF_8),
                                        VALUES.get(org))));
                sentOrgs.add(org);
            }
        }
        producer.flush();
        List<Sent> sent = new ArrayList<>();
        for (int i = 0; i < acks.size(); i++) {
            sent.add(
                    new Sent(
                            sentOrgs.get(i),
                            acks.get(i).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS)));
        }
        return sent;
    }

    /**
     * Returns, for each org's first record in {@code sent}, the time from its producer timestamp to
     * the broker's log-append time of its encrypted record, in milliseconds.
     */
    private static List<Long> firstRecordLatencies(List<Sent> sent, Outcomes outcomes) {
        Map<String, Long> appendTimes = new HashMap<>();
        for (int i = 0; i < outcomes.encryptedIds().size(); i++) {
            ConsumerRecord<byte[], byte[]> record = outcomes.encryptedRecords().get(i);
            appendTimes.put(outcomes.encryptedIds().get(i).toString(), record.timestamp());
        }
        Set<String> seenOrgs = new HashSet<>();
        List<Long> latencies = new ArrayList<>();
        for (Sent s : sent) {
            Long appended = appendTimes.get(s.id());
            if (seenOrgs.add(s.org()) && appended != null) {
                latencies.add(appended - s.metadata().timestamp());
            }
        }
        return latencies;
    }

    /**
     * Waits until the committed output counts {@code expected} records, then for one more
     * checkpoint, so that a late duplicate would be committed too, and reads the output again.
     */
    private static Outcomes awaitFinalOutcomes(
            MiniCluster cluster, JobClient job, JobHarness h, JobConfig config, int expected)
            throws Exception {
        RecordOpener opener = opener(config);
        Outcomes.awaitTotal(kafka, h, opener, expected, TIMEOUT);
        JobControl.awaitCheckpointAfter(cluster, job, System.currentTimeMillis(), TIMEOUT);
        return Outcomes.read(kafka, h, opener, TIMEOUT);
    }

    /** Asserts that every sent record occurs exactly once across both output topics. */
    private static void assertExactlyOnce(List<Sent> sent, Outcomes outcomes) {
        List<RecordId> ids = new ArrayList<>();
        for (Sent s : sent) {
            ids.add(KongValues.idOf(s.metadata()));
        }
        assertThat(outcomes.duplicates()).as("records in the output more than once").isEmpty();
        assertThat(outcomes.missing(ids)).as("records missing from the output").isEmpty();
        assertThat(outcomes.unexpected(ids)).as("output of unknown records").isEmpty();
        assertThat(outcomes.total()).as("output records").isEqualTo(sent.size());
    }

    private static void assertStillRunningWithoutRestart(MiniCluster cluster, JobClient job) {
        assertThat(job.getJobStatus().join()).isEqualTo(JobStatus.RUNNING);
        assertThat(JobControl.maxAttemptNumber(cluster, job.getJobID()))
                .as("task restarts")
                .isZero();
    }

    private static Set<String> ids(List<Sent> sent) {
        Set<String> ids = new HashSet<>();
        for (Sent s : sent) {
            ids.add(s.id());
        }
        return ids;
    }

    private static Set<String> encryptedIds(Outcomes outcomes) {
        Set<String> ids = new HashSet<>();
        for (RecordId id : outcomes.encryptedIds()) {
            ids.add(id.toString());
        }
        return ids;
    }

    private static RecordOpener opener(JobConfig config) {
        return RecordOpener.create(JobSchemas.of(config).derived(0));
    }

    private static String endpoint() {
        return kms.endpoint().toString();
    }
}
