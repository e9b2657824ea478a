package io.cmekflink.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.cmekflink.config.ConfigException;
import io.cmekflink.config.JobConfig;
import io.cmekflink.crypto.RecordId;
import io.cmekflink.crypto.RecordOpener;
import io.cmekflink.deadletter.DeadLetter;
import io.cmekflink.deadletter.ErrorCode;
import io.cmekflink.deadletter.Stage;
import io.cmekflink.link.KeyChangeEvent;
import io.cmekflink.local.EmbeddedKafka;
import io.cmekflink.local.Topics;
import io.cmekflink.local.kms.KmsEmulator;
import io.cmekflink.testing.JobControl;
import io.cmekflink.testing.JobHarness;
import io.cmekflink.testing.KongValues;
import io.cmekflink.testing.Outcomes;
import io.cmekflink.testing.TestAws;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.checkpoint.CompletedCheckpointStats;
import org.apache.flink.runtime.checkpoint.RestoredCheckpointStats;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly-once output of the encrypt job across failures, on the Flink mini cluster, the in-JVM
 * broker and the KMS emulator. After a lost task manager, and after a restore from a retained
 * checkpoint, every input record ends in exactly one committed output record: an encrypted record
 * or a dead letter. Records are matched by source position: the record id in an encrypted record's
 * envelope and the source topic, partition and offset of a dead letter.
 */
class FailureRecoveryIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .setConfiguration(new Configuration())
                            .build());

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    /** Orgs with a key link: their records are encrypted. */
    private static final List<String> LINKED =
            List.of("org-a", "org-b", "org-c", "org-d", "org-e", "org-f");

    /** Orgs without a key link: their records become NO_KEY_LINKED dead letters. */
    private static final List<String> UNLINKED = List.of("org-x", "org-y");

    /** The broker's default transaction.max.timeout.ms, which EmbeddedKafka does not change. */
    private static final long BROKER_MAX_TRANSACTION_TIMEOUT_MS = 900_000;

    private static EmbeddedKafka kafka;
    private static KmsEmulator kms;

    @TempDir Path tmp;

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

    @Test
    void lostTaskManagerRestartsExactlyOnce(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        JobHarness h = new JobHarness(kafka, "tm-loss");
        h.awaitTopics(TIMEOUT);
        JobConfig config =
                h.config(
                        kms.endpoint().toString(),
                        "avro",
                        "records.starting-offsets: earliest\n"
                                + "link.wait: 1s\n"
                                + "flink: {restart-strategy.type: fixed-delay,"
                                + " restart-strategy.fixed-delay.attempts: 3,"
                                + " restart-strategy.fixed-delay.delay: 200ms}\n");
        Input input = new Input(h);
        int before = 1500;
        int during = 2500;
        JobClient job;
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            linkAll(h, producer);
            job = JobHarness.start(config);
            input.send(producer, before);
            JobControl.awaitAllTasksRunning(cluster, job, TIMEOUT);
            // A checkpoint with part of the input behind it, so that the restart restores
            // offsets, waiting records and pending transactions from it.
            Topics.readUntil(kafka.bootstrapServers(), h.encrypted(), r -> !r.isEmpty(), TIMEOUT);
            JobControl.awaitCheckpointAfter(cluster, job, System.currentTimeMillis(), TIMEOUT);

            Thread sender = input.sendInBackground(producer, during);
            JobHarness.await(
                    "500 records sent after the checkpoint",
                    TIMEOUT,
                    () -> input.sent() >= before + 500);
            // The new task manager takes over the slots of the one that is terminated.
            cluster.startTaskManager();
            cluster.terminateTaskManager(0).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            sender.join();
            input.awaitAcks();
        }

        JobHarness.await(
                "the job to restart after the task manager loss",
                TIMEOUT,
                () -> JobControl.maxAttemptNumber(cluster, job.getJobID()) >= 1);
        JobControl.awaitAllTasksRunning(cluster, job, TIMEOUT);
        Outcomes outcomes = awaitFinalOutcomes(cluster, job, h, config, input.count());
        RestoredCheckpointStats restored = JobControl.restoredCheckpoint(cluster, job.getJobID());
        assertThat(job.getJobStatus().join()).isEqualTo(JobStatus.RUNNING);
        JobControl.cancel(job, TIMEOUT);

        assertExactlyOnce(input, outcomes);
        assertThat(restored).as("checkpoint restored by the restart").isNotNull();
        assertThat(writtenTotal(h) - outcomes.total())
                .as("output records of transactions aborted by the task manager loss")
                .isPositive();
    }

    @Test
    void restoreFromRetainedCheckpointIsExactlyOnce(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        JobHarness h = new JobHarness(kafka, "restore");
        h.awaitTopics(TIMEOUT);
        // Earliest offsets: a job that ignored the checkpoint would read everything again.
        JobConfig config =
                h.config(
                        kms.endpoint().toString(),
                        "avro",
                        ("records.starting-offsets: earliest\n"
                             + "link.wait: 1s\n"
                             + "flink: {execution.checkpointing.dir: \"%s\","
                             + " execution.checkpointing.externalized-checkpoint-retention:"
                             + " RETAIN_ON_CANCELLATION, restart-strategy.type: none}\n")
                                .formatted(tmp.resolve("checkpoints").toUri()));
        Input input = new Input(h);
        int first = 1500;
        int during = 1000;
        int after = 1500;
        CompletedCheckpointStats retained;

        JobClient restoredJob;
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            linkAll(h, producer);
            JobClient job = JobHarness.start(config);
            input.send(producer, first);
            JobControl.awaitAllTasksRunning(cluster, job, TIMEOUT);
            Topics.readUntil(kafka.bootstrapServers(), h.encrypted(), r -> !r.isEmpty(), TIMEOUT);
            JobControl.awaitCheckpointAfter(cluster, job, System.currentTimeMillis(), TIMEOUT);

            Thread sender = input.sendInBackground(producer, during);
            JobHarness.await(
                    "300 records sent after the checkpoint",
                    TIMEOUT,
                    () -> input.sent() >= first + 300);
            JobControl.cancel(job, TIMEOUT);
            retained = JobControl.latestCheckpoint(cluster, job.getJobID());
            sender.join();

            restoredJob = JobControl.startFrom(config, retained.getExternalPath());
            input.send(producer, after);
            input.awaitAcks();
        }
        JobControl.awaitAllTasksRunning(cluster, restoredJob, TIMEOUT);
        Outcomes outcomes = awaitFinalOutcomes(cluster, restoredJob, h, config, input.count());
        RestoredCheckpointStats restored =
                JobControl.restoredCheckpoint(cluster, restoredJob.getJobID());
        JobControl.cancel(restoredJob, TIMEOUT);

        assertExactlyOnce(input, outcomes);
        assertThat(restored).as("checkpoint restored by the second job").isNotNull();
        assertThat(restored.getCheckpointId()).isEqualTo(retained.getCheckpointId());
        assertThat(writtenTotal(h) - outcomes.total())
                .as("output records of transactions aborted by the cancellation")
                .isPositive();
    }

    @Test
    void transactionTimeoutAboveBrokerMaximumFailsAtStart() throws Exception {
        JobHarness h = new JobHarness(kafka, "txn-above-max");
        h.awaitTopics(TIMEOUT);
        long timeout = Duration.ofHours(1).toMillis();
        assertRejectedAtStart(
                h,
                "kafka.transaction.timeout.ms: " + timeout + "\n",
                List.of(
                        "kafka.transaction.timeout.ms",
                        String.valueOf(timeout),
                        "transaction.max.timeout.ms",
                        String.valueOf(BROKER_MAX_TRANSACTION_TIMEOUT_MS),
                        "lower the timeout or raise the broker's maximum"));
    }

    @Test
    void transactionTimeoutBelowCheckpointIntervalFailsAtStart() throws Exception {
        JobHarness h = new JobHarness(kafka, "txn-below-interval");
        h.awaitTopics(TIMEOUT);
        // JobHarness sets checkpoint.interval to 500ms.
        assertRejectedAtStart(
                h,
                "kafka.transaction.timeout.ms: 200\n",
                List.of(
                        "kafka.transaction.timeout.ms (200)",
                        "checkpoint.interval (500 ms)",
                        "raise the timeout or shorten the interval"));
    }

    /**
     * Checks that building or starting the job fails with a {@link ConfigException} that contains
     * each of {@code expectedInMessage}, before any record is read. A malformed record, which a
     * running job turns into a dead letter at once, waits in the input topic. When the job starts
     * anyway, what it does in its first seconds goes into the failure message.
     */
    private void assertRejectedAtStart(
            JobHarness h, String extraYaml, List<String> expectedInMessage) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            h.send(producer, 0, "org-x", "not avro".getBytes(StandardCharsets.UTF_8));
        }
        String yaml = extraYaml + "flink: {restart-strategy.type: none}\n";
        List<JobClient> started = new ArrayList<>();
        Throwable thrown =
                catchThrowable(
                        () -> started.add(JobHarness.start(h.config(endpoint(), "avro", yaml))));
        String observed = started.isEmpty() ? "no job was submitted" : observe(h, started.get(0));

        assertThat(started).as("jobs submitted; observed: %s", observed).isEmpty();
        assertThat(thrown).as("failure at start").isInstanceOf(ConfigException.class);
        for (String part : expectedInMessage) {
            assertThat(thrown.getMessage()).contains(part);
        }
        assertThat(writtenTotal(h)).as("output records written, committed or not").isZero();
    }

    /**
     * Watches a job that should not have started for up to ten seconds, until it fails, then
     * cancels it if it still runs, and describes what it did.
     */
    private String observe(JobHarness h, JobClient job) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!job.getJobStatus().join().isGloballyTerminalState()
                && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        JobStatus status = job.getJobStatus().join();
        String cause = "none";
        if (status == JobStatus.FAILED) {
            Throwable failure = catchThrowable(() -> job.getJobExecutionResult().get());
            Throwable root = failure;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            cause = root.getClass().getName() + ": " + root.getMessage();
        } else if (!status.isGloballyTerminalState()) {
            JobControl.cancel(job, TIMEOUT);
        }
        int committed =
                Topics.readAll(kafka.bootstrapServers(), h.encrypted(), true, TIMEOUT).size()
                        + Topics.readAll(kafka.bootstrapServers(), h.deadLetters(), true, TIMEOUT)
                                .size();
        return "the job started and was "
                + status
                + " after up to 10 s, root cause "
                + cause
                + ", output records written "
                + writtenTotal(h)
                + ", committed "
                + committed;
    }

    /**
     * Waits until the committed output counts {@code expected} records, then for one more
     * checkpoint, so that a late duplicate would be committed too, and reads the output again.
     */
    private Outcomes awaitFinalOutcomes(
            MiniCluster cluster, JobClient job, JobHarness h, JobConfig config, int expected)
            throws Exception {
        RecordOpener opener = opener(config);
        Outcomes.awaitTotal(kafka, h, opener, expected, TIMEOUT);
        JobControl.awaitCheckpointAfter(cluster, job, System.currentTimeMillis(), TIMEOUT);
        return Outcomes.read(kafka, h, opener, TIMEOUT);
    }

    /**
     * Asserts that every sent record occurs once: encrypted for linked orgs, NO_KEY_LINKED else.
     */
    private static void assertExactlyOnce(Input input, Outcomes outcomes) {
        assertThat(outcomes.duplicates()).as("records in the output more than once").isEmpty();
        assertThat(outcomes.missing(input.ids())).as("records missing from the output").isEmpty();
        assertThat(outcomes.unexpected(input.ids())).as("output of unknown records").isEmpty();
        assertThat(outcomes.total()).isEqualTo(input.count());

        Map<String, Integer> encryptedPerOrg = new TreeMap<>();
        for (RecordId id : outcomes.encryptedIds()) {
            encryptedPerOrg.merge(input.orgOf(id), 1, Integer::sum);
        }
        Map<String, Integer> deadLettersPerOrg = new TreeMap<>();
        for (DeadLetter letter : outcomes.deadLetters()) {
            deadLettersPerOrg.merge(letter.orgId(), 1, Integer::sum);
            assertThat(letter.stage()).isEqualTo(Stage.RESOLVE);
            assertThat(letter.orgId()).isEqualTo(input.orgOf(Outcomes.sourceOf(letter)));
        }
        assertThat(encryptedPerOrg).isEqualTo(input.perOrg(LINKED));
        assertThat(deadLettersPerOrg).isEqualTo(input.perOrg(UNLINKED));
        assertThat(outcomes.codes())
                .isEqualTo(Map.of(ErrorCode.NO_KEY_LINKED, input.count(UNLINKED)));
    }

    /** Output records written to both topics, committed or not, read with read_uncommitted. */
    private static int writtenTotal(JobHarness h) {
        return Topics.readAll(kafka.bootstrapServers(), h.encrypted(), false, TIMEOUT).size()
                + Topics.readAll(kafka.bootstrapServers(), h.deadLetters(), false, TIMEOUT).size();
    }

    private static void linkAll(JobHarness h, KafkaProducer<byte[], byte[]> producer)
            throws Exception {
        for (String org : LINKED) {
            String key = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, TestAws.REGION);
            h.publish(producer, KeyChangeEvent.linked(org, "k", key, TestAws.REGION, null, 1, 1L));
        }
    }

    private static RecordOpener opener(JobConfig config) {
        return RecordOpener.create(JobSchemas.of(config).derived(0));
    }

    private static String endpoint() {
        return kms.endpoint().toString();
    }

    /**
     * The records sent to a test's input topic, spread round-robin over all orgs and both
     * partitions, and the org of each. Thread safety: one thread sends at a time.
     */
    private static final class Input {
        private static final List<String> ORGS =
                java.util.stream.Stream.concat(LINKED.stream(), UNLINKED.stream()).toList();

        private final JobHarness h;
        private final Map<String, byte[]> values = new ConcurrentHashMap<>();
        private final List<Future<RecordMetadata>> acks = new ArrayList<>();
        private final List<String> orgs = new ArrayList<>();
        private final AtomicInteger sent = new AtomicInteger();
        private final Map<String, String> orgById = new ConcurrentHashMap<>();
        private List<RecordId> ids;

        Input(JobHarness h) {
            this.h = h;
            for (int i = 0; i < ORGS.size(); i++) {
                values.put(ORGS.get(i), KongValues.entry(ORGS.get(i), 100 + i));
            }
        }

        /** Sends {@code count} records without waiting for the broker. */
        void send(KafkaProducer<byte[], byte[]> producer, int count) {
            for (int i = 0; i < count; i++) {
                int n = sent.get();
                String org = ORGS.get(n % ORGS.size());
                Future<RecordMetadata> ack =
                        producer.send(
                                new ProducerRecord<>(
                                        h.records(),
                                        (n / ORGS.size()) % 2,
                                        org.getBytes(StandardCharsets.UTF_8),
                                        values.get(org)));
                synchronized (acks) {
                    acks.add(ack);
                    orgs.add(org);
                }
                sent.incrementAndGet();
            }
            producer.flush();
        }

        /** Sends {@code count} records on a new thread, flushing every 50 records. */
        Thread sendInBackground(KafkaProducer<byte[], byte[]> producer, int count) {
            Thread thread =
                    new Thread(
                            () -> {
                                for (int left = count; left > 0; left -= 50) {
                                    send(producer, Math.min(50, left));
                                }
                            },
                            "input-sender");
            thread.start();
            return thread;
        }

        int sent() {
            return sent.get();
        }

        /** Waits for the broker to acknowledge every record sent, and keeps their record ids. */
        void awaitAcks() throws Exception {
            List<RecordId> all = new ArrayList<>();
            synchronized (acks) {
                for (int i = 0; i < acks.size(); i++) {
                    RecordId id =
                            KongValues.idOf(acks.get(i).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS));
                    all.add(id);
                    orgById.put(id.toString(), orgs.get(i));
                }
            }
            ids = all;
        }

        List<RecordId> ids() {
            return ids;
        }

        int count() {
            return ids.size();
        }

        String orgOf(RecordId id) {
            return orgById.get(id.toString());
        }

        /** Counts the records sent per org of {@code group}. */
        Map<String, Integer> perOrg(List<String> group) {
            Map<String, Integer> counts = new TreeMap<>();
            for (String org : orgById.values()) {
                if (group.contains(org)) {
                    counts.merge(org, 1, Integer::sum);
                }
            }
            return counts;
        }

        int count(List<String> group) {
            return perOrg(group).values().stream().mapToInt(Integer::intValue).sum();
        }
    }
}
