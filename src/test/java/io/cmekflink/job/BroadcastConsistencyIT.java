package io.cmekflink.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.cmekflink.config.JobConfig;
import io.cmekflink.config.JobOptions;
import io.cmekflink.crypto.Envelope;
import io.cmekflink.crypto.RecordOpener;
import io.cmekflink.link.Geo;
import io.cmekflink.link.KeyChangeEvent;
import io.cmekflink.link.KeyLink;
import io.cmekflink.link.KeyLinkRules;
import io.cmekflink.local.EmbeddedKafka;
import io.cmekflink.local.Topics;
import io.cmekflink.local.demo.KongLogGenerator;
import io.cmekflink.local.kms.KmsEmulator;
import io.cmekflink.schema.DerivedSchemaRegistry;
import io.cmekflink.testing.JobHarness;
import io.cmekflink.testing.TestAws;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.checkpoint.CompletedCheckpointStats;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broadcast state of the resolve step on the Flink mini cluster, the in-JVM broker and the KMS
 * emulator. After a restore from a savepoint or a retained checkpoint, at any parallelism, every
 * parallel instance has the same key links: the highest version of each org.
 *
 * <p>Each instance reports how many links its state contains ({@code linksHeld}) and an XOR of
 * per-link hashes ({@code linkStateDigest}). Both are recomputed from state at the first element
 * after a restore, so every restore is followed by one stale key-change event, which reaches all
 * instances and changes nothing. That the restored instances apply no event of the earlier run
 * (their {@code linksApplied} stays 0) shows that their links come from the snapshot, not from a
 * replay of the topic.
 */
class BroadcastConsistencyIT {

    /** A reporter that drops the metrics of finished tasks, so a job shows only live instances. */
    private static final InMemoryReporter REPORTER = InMemoryReporter.create();

    /** Three slots, for the job at parallelism 3, because all its operators share one slot. */
    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(3)
                            .setConfiguration(REPORTER.addToConfiguration(new Configuration()))
                            .build());

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final int ORGS = 1000;
    private static final long HIGHEST_VERSION = 3;
    private static final long CHANGED_AT = 1_767_225_600_000L;
    private static final KeyLinkRules RULES = new KeyLinkRules(Geo.EU, 1000);

    private static EmbeddedKafka kafka;
    private static KmsEmulator kms;
    private static Schema schema;

    @TempDir Path tmp;

    /** The link each instance must hold per org, built by the job's own rules. */
    private final Map<String, KeyLink> expected = new HashMap<>();

    private JobHarness harness;
    private JobConfig config;

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
    void instancesAgreeAfterRestoresAndRescales(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        harness = new JobHarness(kafka, "bcast", 2);
        harness.awaitTopics(TIMEOUT);
        config = harness.config(kms.endpoint().toString(), "avro", flinkSettings());
        Path savepoints = tmp.resolve("savepoints");
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            // 1. A fresh start at parallelism 1 replays three versions of 1,000 orgs, shuffled.
            int published = publishShuffledVersions(producer);
            Run first = start(1, null, published);
            first.awaitAgreement();
            String fromOne = first.stopWithSavepoint(savepoints);

            // 2. Rescale 1 to 3 from that savepoint, then publish newer versions to all three.
            Run wide = start(3, fromOne, 0);
            wide.publish(producer, staleEvent());
            wide.awaitAgreement();
            publishNewerVersions(wide, producer);
            wide.awaitAgreement();
            String fromThree = wide.stopWithSavepoint(savepoints);

            // 3. Rescale 3 to 1 from the second savepoint, then publish a newer version, which the
            // retained checkpoint below must contain.
            Run narrow = start(1, fromThree, 0);
            narrow.publish(producer, staleEvent());
            narrow.awaitAgreement();
            narrow.publish(producer, linked(12, HIGHEST_VERSION + 1));
            narrow.awaitAgreement();
            String checkpoint = narrow.cancelKeepingCheckpoint(cluster);

            // 4. Restore the retained checkpoint at parallelism 2.
            Run restored = start(2, checkpoint, 0);
            restored.publish(producer, staleEvent());
            restored.awaitAgreement();
            restored.cancel();
        }
    }

    @Test
    void keyChangeReachesEncryptBeforeNextRecord() throws Exception {
        harness = new JobHarness(kafka, "bcast-control");
        harness.awaitTopics(TIMEOUT);
        config = harness.config(kms.endpoint().toString(), "avro", flinkSettings());
        String org = "org-control";
        String keyA = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, TestAws.REGION);
        String keyB = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, TestAws.REGION);
        // Relink to B, back to A, then to A again at a new version: only the dropped DEKs can make
        // records 3 and 4 use new data keys of a key that already has one in the cache.
        List<String> arns = List.of(keyA, keyB, keyA, keyA);
        long dataKeyCalls = kms.callCount("GenerateDataKey");
        KongLogGenerator generator = new KongLogGenerator(schema, List.of(org), 71);
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            Run run = start(2, null, 0);
            for (int i = 0; i < arns.size(); i++) {
                long version = i + 1;
                run.publish(
                        producer,
                        KeyChangeEvent.linked(
                                org,
                                "key-" + version,
                                arns.get(i),
                                TestAws.REGION,
                                null,
                                version,
                                CHANGED_AT + version));
                // Every instance applied the change, so its control element is ahead of the
                // next record in the encrypt step's input.
                run.awaitAgreement();
                harness.send(producer, 0, org, avro(generator.next().record()));
                int sent = i + 1;
                Topics.readUntil(
                        kafka.bootstrapServers(),
                        harness.encrypted(),
                        r -> r.size() >= sent,
                        TIMEOUT);
            }
            run.cancel();
        }

        List<ConsumerRecord<byte[], byte[]>> encrypted =
                Topics.readAll(kafka.bootstrapServers(), harness.encrypted(), true, TIMEOUT);
        assertThat(encrypted).hasSize(arns.size());
        DerivedSchemaRegistry registry = new DerivedSchemaRegistry();
        registry.register(JobSchemas.of(config).derived(0));
        RecordOpener opener = RecordOpener.create(registry);
        List<Envelope> envelopes = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : encrypted) {
            envelopes.add(RecordOpener.envelopeOf(opener.decode(r.value())));
        }
        assertThat(envelopes).extracting(Envelope::keyArn).containsExactlyElementsOf(arns);
        assertThat(envelopes.get(2).edek())
                .as("EDEK of record 3, after the relink from B back to A")
                .isNotEqualTo(envelopes.get(0).edek());
        assertThat(envelopes.get(3).edek())
                .as("EDEK of record 4, after a new version of the link to A")
                .isNotEqualTo(envelopes.get(2).edek());
        assertThat(kms.callCount("GenerateDataKey") - dataKeyCalls).isEqualTo(arns.size());
        assertThat(Topics.readAll(kafka.bootstrapServers(), harness.deadLetters(), true, TIMEOUT))
                .isEmpty();
    }

    /**
     * Publishes versions 1 to 3 of every org, each under its own key ARN, plus a duplicate of one
     * version for every fifth org. The order is shuffled, and each org's events alternate between
     * the two partitions of the key-change topic.
     *
     * @return how many events were published
     */
    private int publishShuffledVersions(KafkaProducer<byte[], byte[]> producer) throws Exception {
        Random random = new Random(20260101L);
        List<KeyChangeEvent> events = new ArrayList<>();
        for (int org = 0; org < ORGS; org++) {
            for (long version = 1; version <= HIGHEST_VERSION; version++) {
                events.add(linked(org, version));
            }
            if (org % 5 == 0) {
                events.add(linked(org, 1 + random.nextInt((int) HIGHEST_VERSION)));
            }
            expectApplied(linked(org, HIGHEST_VERSION));
        }
        Collections.shuffle(events, random);

        Map<String, Integer> sentPerOrg = new HashMap<>();
        Map<String, Long> lastVersion = new HashMap<>();
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        for (KeyChangeEvent event : events) {
            int index = sentPerOrg.merge(event.orgId(), 1, Integer::sum);
            int partition = (index + event.orgId().hashCode()) % 2 == 0 ? 0 : 1;
            acks.add(harness.publishTo(producer, partition, event));
            lastVersion.put(event.orgId(), event.version());
        }
        producer.flush();
        for (Future<RecordMetadata> ack : acks) {
            ack.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }

        // If the last event of an org won instead of its highest version, these orgs would end
        // at a lower version.
        long lastNotHighest =
                lastVersion.values().stream().filter(v -> v != HIGHEST_VERSION).count();
        assertThat(lastNotHighest).isGreaterThan(ORGS / 2);
        assertThat(events).hasSize(ORGS * (int) HIGHEST_VERSION + ORGS / 5);
        return events.size();
    }

    /**
     * Publishes, one at a time and keyed by org, relinks of ten orgs, an unlink, a skipped version,
     * a newer version followed by an older one, and a first link of a new org.
     */
    private void publishNewerVersions(Run run, KafkaProducer<byte[], byte[]> producer)
            throws Exception {
        for (int org = 0; org < 10; org++) {
            run.publish(producer, linked(org, HIGHEST_VERSION + 1));
        }
        run.publish(producer, KeyChangeEvent.unlinked(orgId(10), HIGHEST_VERSION + 1, CHANGED_AT));
        run.publish(producer, linked(11, HIGHEST_VERSION + 3));
        run.publish(producer, linked(11, HIGHEST_VERSION + 2));
        run.publish(producer, linked(ORGS, 1));
    }

    /** A LINKED event whose key ARN and region differ by org and version. */
    private static KeyChangeEvent linked(int org, long version) {
        String region = (org + version) % 2 == 0 ? "eu-west-1" : "eu-central-1";
        String arn =
                "arn:aws:kms:%s:%s:key/%08x-0000-4000-8000-%012x"
                        .formatted(region, KmsEmulator.DEFAULT_ACCOUNT, org, version);
        return KeyChangeEvent.linked(
                orgId(org),
                "key-" + version,
                arn,
                region,
                "version " + version + " of " + orgId(org),
                version,
                CHANGED_AT + version);
    }

    private static String orgId(int org) {
        return "org-%04d".formatted(org);
    }

    /** An event older than the version every instance has for its org, so it changes nothing. */
    private static KeyChangeEvent staleEvent() {
        return linked(0, 1);
    }

    /** Applies {@code event} to the expected links with the job's rules. The event must apply. */
    private void expectApplied(KeyChangeEvent event) {
        KeyLinkRules.Decision decision = RULES.decide(expected.get(event.orgId()), event);
        assertThat(decision).as("decision on %s", event).isInstanceOf(KeyLinkRules.Applied.class);
        expected.put(event.orgId(), ((KeyLinkRules.Applied) decision).link());
    }

    private long expectedDigest() {
        long digest = 0;
        for (KeyLink link : expected.values()) {
            digest ^= ResolveKeyFunction.digestOf(link);
        }
        return digest;
    }

    /** Retains checkpoints on cancellation and fails the job at once instead of restarting it. */
    private String flinkSettings() {
        return ("flink: {execution.checkpointing.dir: \"%s\","
                        + " execution.checkpointing.externalized-checkpoint-retention:"
                        + " RETAIN_ON_CANCELLATION, restart-strategy.type: none}")
                .formatted(tmp.resolve("checkpoints").toUri());
    }

    /** Starts the job at {@code parallelism}, restored from {@code restorePath} unless null. */
    private Run start(int parallelism, String restorePath, int replayedEvents) throws Exception {
        JobConfig run = config.with(JobOptions.PARALLELISM, parallelism);
        Configuration flink = EncryptJob.flinkConfiguration(run);
        if (restorePath != null) {
            flink.set(StateRecoveryOptions.SAVEPOINT_PATH, restorePath);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
        Jobs.build(env, run);
        JobClient client = env.executeAsync("broadcast consistency, parallelism " + parallelism);
        return new Run(client, parallelism, replayedEvents);
    }

    /**
     * One run of the job and the key-change events that each of its instances must process. A fresh
     * start first replays {@code replayed} events, and their arrival order decides how many of them
     * apply. Every event published during the run is counted as applied or stale.
     */
    private final class Run {
        private final JobClient client;
        private final int parallelism;
        private final int replayed;
        private long applied;
        private long stale;

        Run(JobClient client, int parallelism, int replayed) {
            this.client = client;
            this.parallelism = parallelism;
            this.replayed = replayed;
        }

        /** Publishes an event keyed by org, so that one org's events keep their order. */
        void publish(KafkaProducer<byte[], byte[]> producer, KeyChangeEvent event)
                throws Exception {
            harness.publish(producer, event);
            KeyLinkRules.Decision decision = RULES.decide(expected.get(event.orgId()), event);
            if (decision instanceof KeyLinkRules.Applied a) {
                expected.put(event.orgId(), a.link());
                applied++;
            } else if (decision instanceof KeyLinkRules.Stale) {
                stale++;
            } else {
                throw new AssertionError("the test published an invalid event: " + decision);
            }
        }

        /**
         * Polls until every instance has processed the events published so far, then checks that
         * each has exactly the expected links.
         */
        void awaitAgreement() throws Exception {
            long count = expected.size();
            long digest = expectedDigest();
            long events = replayed + applied + stale;
            Map<String, Instance> seen =
                    poll(
                            () -> instances(client.getJobID()),
                            s ->
                                    s.size() == parallelism
                                            && s.values().stream()
                                                    .allMatch(
                                                            i ->
                                                                    i.processed() == events
                                                                            && i.linksHeld()
                                                                                    == count
                                                                            && i.linkStateDigest()
                                                                                    == digest));
            assertThat(seen.keySet()).as("instances of the resolve step").hasSize(parallelism);
            for (Map.Entry<String, Instance> e : seen.entrySet()) {
                String scope = e.getKey();
                Instance instance = e.getValue();
                assertThat(instance.linksHeld()).as("linksHeld of %s", scope).isEqualTo(count);
                assertThat(instance.linkStateDigest())
                        .as("linkStateDigest of %s", scope)
                        .isEqualTo(digest);
                assertThat(instance.linksRejected()).as("linksRejected of %s", scope).isZero();
                if (replayed == 0) {
                    assertThat(instance.linksApplied())
                            .as("linksApplied of %s", scope)
                            .isEqualTo(applied);
                    assertThat(instance.linksStale())
                            .as("linksStale of %s", scope)
                            .isEqualTo(stale);
                } else {
                    assertThat(instance.processed())
                            .as("key-change events processed by %s", scope)
                            .isEqualTo(events);
                }
            }
        }

        /** Stops the job with a canonical savepoint and returns the savepoint's path. */
        String stopWithSavepoint(Path dir) throws Exception {
            String path =
                    client.stopWithSavepoint(
                                    false, dir.toUri().toString(), SavepointFormatType.CANONICAL)
                            .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            client.getJobExecutionResult().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            return path;
        }

        /**
         * Waits for a checkpoint triggered after this call, cancels the job and returns the path of
         * its last completed checkpoint, which the job retains on cancellation.
         */
        String cancelKeepingCheckpoint(MiniCluster cluster) throws Exception {
            JobID job = client.getJobID();
            long after = System.currentTimeMillis();
            poll(
                    () -> latestCheckpoint(cluster, job),
                    c -> c != null && c.getTriggerTimestamp() > after);
            cancel();
            CompletedCheckpointStats latest = latestCheckpoint(cluster, job);
            assertThat(latest).as("latest completed checkpoint of the cancelled job").isNotNull();
            assertThat(latest.getTriggerTimestamp()).isGreaterThan(after);
            assertThat(new org.apache.flink.core.fs.Path(latest.getExternalPath()).getName())
                    .as("retained checkpoint directory")
                    .startsWith("chk-");
            return latest.getExternalPath();
        }

        void cancel() throws Exception {
            client.cancel().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            poll(() -> client.getJobStatus().join(), status -> status.isGloballyTerminalState());
            assertThat(client.getJobStatus().join()).isEqualTo(JobStatus.CANCELED);
        }

        /**
         * Polls {@code read} until {@code done} accepts its value, and returns the last value read
         * either way, so that the caller's assertions show what differed.
         *
         * @throws AssertionError when the job fails while this polls
         */
        private <T> T poll(Supplier<T> read, Predicate<T> done) throws Exception {
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            T value = read.get();
            while (!done.test(value) && System.nanoTime() < deadline) {
                JobStatus status = client.getJobStatus().get();
                if (status == JobStatus.FAILED) {
                    client.getJobExecutionResult().get();
                    throw new AssertionError("job " + client.getJobID() + " failed");
                }
                Thread.sleep(50);
                value = read.get();
            }
            return value;
        }
    }

    private static CompletedCheckpointStats latestCheckpoint(MiniCluster cluster, JobID job) {
        var snapshot = cluster.getExecutionGraph(job).join().getCheckpointStatsSnapshot();
        return snapshot == null ? null : snapshot.getHistory().getLatestCompletedCheckpoint();
    }

    /** The resolve step's metrics of one parallel instance. */
    private record Instance(
            long linksHeld,
            long linkStateDigest,
            long linksApplied,
            long linksStale,
            long linksRejected) {
        long processed() {
            return linksApplied + linksStale + linksRejected;
        }
    }

    /**
     * Reads the resolve step's instances of a job by metric scope, with -1 for a missing metric.
     */
    private static Map<String, Instance> instances(JobID job) {
        Map<String, Long> linksHeld = values(job, "linksHeld");
        Map<String, Long> linkStateDigest = values(job, "linkStateDigest");
        Map<String, Long> linksApplied = values(job, "linksApplied");
        Map<String, Long> linksStale = values(job, "linksStale");
        Map<String, Long> linksRejected = values(job, "linksRejected");
        Map<String, Instance> instances = new TreeMap<>();
        for (String scope : linksHeld.keySet()) {
            instances.put(
                    scope,
                    new Instance(
                            linksHeld.get(scope),
                            linkStateDigest.getOrDefault(scope, -1L),
                            linksApplied.getOrDefault(scope, -1L),
                            linksStale.getOrDefault(scope, -1L),
                            linksRejected.getOrDefault(scope, -1L)));
        }
        return instances;
    }

    /** Reads the values of one counter or numeric gauge of a job by the scope that reports it. */
    private static Map<String, Long> values(JobID job, String name) {
        Map<String, Long> values = new TreeMap<>();
        for (Map.Entry<String, Metric> e : REPORTER.findMetrics(job, name).entrySet()) {
            String identifier = e.getKey();
            if (!identifier.endsWith("." + name)) {
                continue;
            }
            String scope = identifier.substring(0, identifier.length() - name.length() - 1);
            Metric metric = e.getValue();
            long value =
                    metric instanceof Counter c
                            ? c.getCount()
                            : ((Number) ((Gauge<?>) metric).getValue()).longValue();
            values.put(scope, value);
        }
        return values;
    }

    private static byte[] avro(GenericRecord record) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(record.getSchema(), GenericData.get())
                .write(record, encoder);
        encoder.flush();
        return out.toByteArray();
    }
}
