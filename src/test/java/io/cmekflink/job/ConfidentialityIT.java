package io.cmekflink.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.cmekflink.config.JobConfig;
import io.cmekflink.crypto.Decrypter;
import io.cmekflink.crypto.RecordOpener;
import io.cmekflink.link.KeyChangeEvent;
import io.cmekflink.local.EmbeddedKafka;
import io.cmekflink.local.Topics;
import io.cmekflink.local.demo.GeneratedKongEntry;
import io.cmekflink.local.demo.KongLogGenerator;
import io.cmekflink.local.kms.KmsEmulator;
import io.cmekflink.local.kms.KmsOperation;
import io.cmekflink.local.scan.Form;
import io.cmekflink.local.scan.Hit;
import io.cmekflink.local.scan.PlaintextScanner;
import io.cmekflink.local.scan.Scan;
import io.cmekflink.local.scan.ScanResult;
import io.cmekflink.local.scan.TopicBytes;
import io.cmekflink.schema.DerivedSchemaRegistry;
import io.cmekflink.testing.JobHarness;
import io.cmekflink.testing.LogCapture;
import io.cmekflink.testing.TestAws;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.Meter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * Searches every byte the encrypt job writes for the sensitive values it was sent and for the
 * plaintext of every DEK the KMS emulator issued. That covers the encrypted and dead-letter topics
 * (aborted transactions included), the JVM's log files at INFO and at DEBUG, every metric's name,
 * scope and value, and the files of checkpoints and savepoints.
 *
 * <p>Each run holds records in state on purpose: an org without a key link has records waiting for
 * one, and a cold org's records wait in the encrypt step while GenerateDataKey is throttled. A
 * savepoint is taken while both wait, a checkpoint after that, and a second savepoint when the job
 * stops; the job then restores from it and the waiting records are encrypted once their org links a
 * key. With a platform state key the state files hold none of the values; without one they hold
 * only values of the records that waited, and no more of them than waited.
 */
class ConfidentialityIT {

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
    private static final String REGION = "eu-west-1";

    /** Records of the org whose key is linked from the start. */
    private static final int LINKED = 30;

    /**
     * Records of the org that links a key only after the job restored from its savepoint, and the
     * job's bound on records waiting for a link per org.
     */
    private static final int WAITING = 20;

    /** Records of the org whose first GenerateDataKey is throttled while the savepoint is taken. */
    private static final int IN_FLIGHT = 10;

    /** Throttled GenerateDataKey attempts; with a 1 s base delay they take several seconds. */
    private static final int THROTTLED_ATTEMPTS = 4;

    @TempDir static Path tmp;

    private static EmbeddedKafka kafka;
    private static KmsEmulator kms;
    private static KmsClient kmsClient;
    private static Schema schema;
    private static LogCapture logs;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start(0);
        kms = KmsEmulator.start(0);
        kms.recordIssuedDataKeys();
        TestAws.useEmulatorCredentials();
        kmsClient = TestAws.syncClient(kms, REGION);
        schema = new Schema.Parser().parse(new java.io.File("schemas/kong-log-entry.avsc"));
        logs = LogCapture.start(Files.createDirectories(tmp.resolve("logs")));
    }

    @AfterAll
    static void stop() throws Exception {
        if (logs != null) {
            logs.close();
        }
        kmsClient.close();
        kms.close();
        kafka.close();
    }

    @Test
    void stateKeyLeavesNoPlaintext(@InjectMiniCluster MiniCluster cluster) throws Exception {
        Run run = new Run("sealed", true);
        run.execute(cluster);

        PlaintextScanner scanner = run.scanner();
        assertThat(scanner.selfTest()).isGreaterThan(0);
        assertThat(scanner.skippedValueCount()).isZero();
        for (Path state : run.stateFiles()) {
            ScanResult result = scanner.newScan().add(state, true).result();
            assertThat(result.byteCount()).as("bytes of %s", state).isGreaterThan(0);
            assertThat(result.hitCount()).as("hits in %s: %s", state, result.report()).isZero();
        }
        assertOutputLogsAndMetricsClean(run);
    }

    @Test
    void plainStateContainsOnlyWaitingRecords(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        Run run = new Run("plain", false);
        run.execute(cluster);

        PlaintextScanner scanner = run.scanner();
        Set<Integer> waitingValues = run.valueIndexes(run.waiting);
        Set<Integer> inFlightValues = run.valueIndexes(run.inFlight);

        // The first savepoint was taken while both groups waited: both are readable in it.
        Set<Integer> first = hitValues(scanner, run.firstSavepoint);
        assertThat(union(waitingValues, inFlightValues)).containsAll(first);
        assertThat(first).containsAll(waitingValues);
        assertThat(first).containsAll(inFlightValues);
        assertThat(first).doesNotContainAnyElementsOf(run.valueIndexes(run.linked));

        // Later, only the records still waiting for a link are in state.
        assertThat(hitValues(scanner, run.checkpoint)).isEqualTo(waitingValues);
        assertThat(hitValues(scanner, run.lastSavepoint)).isEqualTo(waitingValues);
        for (Path state : run.stateFiles()) {
            ScanResult result = scanner.newScan().add(state, true).result();
            for (Hit hit : result.hits()) {
                assertThat(hit.form()).as("form of %s", hit).isEqualTo(Form.RAW);
                assertThat(hit.valueIndex())
                        .as("DEK bytes are never in state: %s", hit)
                        .isLessThan(run.sensitive.size());
            }
        }
        assertOutputLogsAndMetricsClean(run);
    }

    /** Asserts that the topics, the logs so far and the metrics contain no value and no DEK. */
    private static void assertOutputLogsAndMetricsClean(Run run) throws Exception {
        PlaintextScanner scanner = run.scanner();
        Scan topics = scanner.newScan();
        TopicBytes.ReadSummary read =
                TopicBytes.read(
                        kafka.clientProperties(),
                        List.of(run.h.encrypted(), run.h.deadLetters()),
                        IsolationLevel.READ_UNCOMMITTED,
                        TIMEOUT,
                        topics);
        assertThat(read.recordsPerTopic().get(run.h.encrypted()))
                .isGreaterThanOrEqualTo((long) LINKED + WAITING + IN_FLIGHT);
        ScanResult topicResult = topics.result();
        assertThat(topicResult.hitCount()).as(topicResult.report()).isZero();

        assertThat(LogCapture.debugEnabled("io.cmekflink.job")).isTrue();
        for (Path file : List.of(logs.debugFile(), logs.infoFile())) {
            ScanResult result = scanner.newScan().add(file, false).result();
            assertThat(result.byteCount()).as("bytes of %s", file).isGreaterThan(0);
            assertThat(result.hitCount()).as("hits in %s: %s", file, result.report()).isZero();
        }
        String debug = Files.readString(logs.debugFile(), StandardCharsets.UTF_8);
        assertThat(debug).contains(" DEBUG ");

        byte[] metrics = run.metricDump.getBytes(StandardCharsets.UTF_8);
        assertThat(run.metricDump).contains("recordsEncrypted=");
        ScanResult metricResult = scanner.newScan().add("metrics", metrics).result();
        assertThat(metricResult.hitCount()).as(metricResult.report()).isZero();

        // The scanner finds a value and a DEK planted in a copy of the log: the clean results
        // above are not a scanner that finds nothing.
        String value = run.sensitive.get(0);
        byte[] dek = run.deks.get(0);
        byte[] planted =
                (debug
                                + "{\"leak\":\""
                                + value.replace("\\", "\\\\").replace("\"", "\\\"")
                                + "\"} dek="
                                + HexFormat.of().formatHex(dek)
                                + "\n")
                        .getBytes(StandardCharsets.UTF_8);
        ScanResult plantedResult = scanner.newScan().add("planted", planted).result();
        assertThat(plantedResult.hits().stream().map(Hit::valueIndex).toList())
                .containsExactlyInAnyOrder(0, run.sensitive.size());
    }

    private static Set<Integer> hitValues(PlaintextScanner scanner, Path path) throws Exception {
        ScanResult result = scanner.newScan().add(path, true).result();
        Set<Integer> values = new HashSet<>();
        for (Hit hit : result.hits()) {
            values.add(hit.valueIndex());
        }
        assertThat(result.unrecordedHitCount()).isZero();
        return values;
    }

    private static Set<Integer> union(Set<Integer> a, Set<Integer> b) {
        Set<Integer> all = new HashSet<>(a);
        all.addAll(b);
        return all;
    }

    /** One run of the scenario with its inputs and the paths of the state it left. */
    private static final class Run {
        final JobHarness h;
        final boolean sealed;
        final List<String> sensitive = new ArrayList<>();
        final Map<String, Integer> valueIndex = new HashMap<>();
        final List<GeneratedKongEntry> linked = new ArrayList<>();
        final List<GeneratedKongEntry> waiting = new ArrayList<>();
        final List<GeneratedKongEntry> inFlight = new ArrayList<>();
        final Map<String, GenericRecord> sent = new HashMap<>();
        List<byte[]> deks;
        Path firstSavepoint;
        Path checkpoint;
        Path lastSavepoint;
        String metricDump;
        private JobConfig config;

        Run(String suffix, boolean sealed) throws Exception {
            this.h = new JobHarness(kafka, suffix);
            this.sealed = sealed;
        }

        void execute(MiniCluster cluster) throws Exception {
            String keyLinked = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);
            String keyInFlight = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);
            String keyWaiting = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);
            String stateKey = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION, "state key");
            Path checkpoints = tmp.resolve(h.encrypted() + "-checkpoints");
            String extra =
                    """
                    link.wait: 10m
                    link.max-pending-per-org: %d
                    kms.retry.base-delay: 1s
                    kms.retry.max-delay: 2s
                    %s
                    flink: {execution.checkpointing.dir: "%s",
                      execution.checkpointing.num-retained: 1000, restart-strategy.type: none}
                    """
                            .formatted(
                                    WAITING,
                                    sealed ? "state.platform-key-arn: \"" + stateKey + "\"" : "",
                                    checkpoints.toUri());
            config = h.config(kms.endpoint().toString(), "avro", extra);

            JobClient job;
            try (KafkaProducer<byte[], byte[]> producer =
                    Topics.producer(kafka.bootstrapServers())) {
                h.publish(producer, linkedEvent("org-linked", keyLinked, 1L));
                job = JobHarness.start(config);
                // Until both instances hold the link, the linked org's records would wait too
                // and could pass the bound on waiting records meant for the waiting org.
                JobHarness.await(
                        "both instances to apply the linked org's key link",
                        TIMEOUT,
                        () -> JobHarness.counter(REPORTER, job.getJobID(), "linksApplied") >= 2);

                send(producer, "org-linked", LINKED, 21, linked);
                send(producer, "org-waiting", WAITING, 22, waiting);
                awaitEncrypted(LINKED);
                JobHarness.await(
                        "the waiting org's records to wait in state",
                        TIMEOUT,
                        () ->
                                JobHarness.counter(REPORTER, job.getJobID(), "recordsWaitedForLink")
                                        >= WAITING);

                // The in-flight org's first DEK is throttled: its records wait in the encrypt
                // step while the savepoint is taken.
                long throttled = kms.callCount("GenerateDataKey", "ThrottlingException");
                kms.faults().throttleNext(THROTTLED_ATTEMPTS, KmsOperation.GENERATE_DATA_KEY);
                h.publish(producer, linkedEvent("org-in-flight", keyInFlight, 2L));
                send(producer, "org-in-flight", IN_FLIGHT, 23, inFlight);
                JobHarness.await(
                        "GenerateDataKey of the in-flight org to be throttled",
                        TIMEOUT,
                        () -> kms.callCount("GenerateDataKey", "ThrottlingException") > throttled);
                JobHarness.await(
                        "every in-flight record to be parsed",
                        TIMEOUT,
                        () ->
                                JobHarness.counter(REPORTER, job.getJobID(), "recordsIn")
                                        >= LINKED + WAITING + IN_FLIGHT);
                firstSavepoint =
                        savepoint(
                                job.triggerSavepoint(
                                        tmp.resolve(h.encrypted() + "-sp1").toUri().toString(),
                                        SavepointFormatType.CANONICAL));
                assertThat(kms.callCount("GenerateDataKey", "ThrottlingException"))
                        .as("the savepoint completed while the DEK was still throttled")
                        .isLessThan(throttled + THROTTLED_ATTEMPTS);

                awaitEncrypted(LINKED + IN_FLIGHT);
                checkpoint =
                        copy(
                                Path.of(
                                        java.net.URI.create(
                                                cluster.triggerCheckpoint(job.getJobID())
                                                        .get(
                                                                TIMEOUT.toSeconds(),
                                                                TimeUnit.SECONDS))));
                metricDump = metricDump();
                lastSavepoint =
                        savepoint(
                                job.stopWithSavepoint(
                                        false,
                                        tmp.resolve(h.encrypted() + "-sp2").toUri().toString(),
                                        SavepointFormatType.CANONICAL));
                job.getJobExecutionResult().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);

                // Restored from the last savepoint, the waiting records are encrypted once their
                // org links a key: state that was sealed opens on other instances.
                JobClient restored = restore(lastSavepoint);
                h.publish(producer, linkedEvent("org-waiting", keyWaiting, 3L));
                List<ConsumerRecord<byte[], byte[]>> encrypted =
                        awaitEncrypted(LINKED + IN_FLIGHT + WAITING);
                restored.cancel().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                assertDecryptsToWhatWasSent(encrypted);
            }
            assertThat(Topics.readAll(kafka.bootstrapServers(), h.deadLetters(), true, TIMEOUT))
                    .isEmpty();
            deks = kms.issuedDataKeys();
            assertThat(deks.size()).isGreaterThanOrEqualTo(sealed ? 5 : 3);
        }

        /**
         * Copies a completed checkpoint, which the job discards when it stops. The job retains up
         * to 1000 checkpoints, so none is removed while the copy is made.
         */
        private Path copy(Path checkpoint) throws Exception {
            Path target = tmp.resolve(h.encrypted() + "-" + checkpoint.getFileName());
            try (var files = Files.walk(checkpoint)) {
                for (Path file : files.toList()) {
                    Files.copy(file, target.resolve(checkpoint.relativize(file).toString()));
                }
            }
            return target;
        }

        private JobClient restore(Path savepoint) throws Exception {
            Configuration flink = EncryptJob.flinkConfiguration(config);
            flink.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint.toUri().toString());
            StreamExecutionEnvironment env =
                    StreamExecutionEnvironment.getExecutionEnvironment(flink);
            Jobs.build(env, config);
            return env.executeAsync("confidentiality, restored");
        }

        private Path savepoint(java.util.concurrent.CompletableFuture<String> future)
                throws Exception {
            return Path.of(java.net.URI.create(future.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS)));
        }

        List<Path> stateFiles() {
            return List.of(firstSavepoint, checkpoint, lastSavepoint);
        }

        private List<ConsumerRecord<byte[], byte[]>> awaitEncrypted(int count) {
            List<ConsumerRecord<byte[], byte[]>> records =
                    Topics.readUntil(
                            kafka.bootstrapServers(),
                            h.encrypted(),
                            r -> r.size() >= count,
                            TIMEOUT);
            assertThat(records).hasSize(count);
            return records;
        }

        private void assertDecryptsToWhatWasSent(List<ConsumerRecord<byte[], byte[]>> encrypted)
                throws Exception {
            DerivedSchemaRegistry registry = new DerivedSchemaRegistry();
            registry.register(JobSchemas.of(config).derived(0));
            Decrypter decrypter = new Decrypter(registry, region -> kmsClient);
            RecordOpener opener = RecordOpener.create(registry);
            Set<String> seen = new HashSet<>();
            for (ConsumerRecord<byte[], byte[]> r : encrypted) {
                GenericRecord original = decrypter.decrypt(r.value());
                var recordId = RecordOpener.envelopeOf(opener.decode(r.value())).recordId();
                String id = recordId.topic() + "@" + recordId.partition() + "/" + recordId.offset();
                assertThat(seen.add(id)).as("%s appears once", id).isTrue();
                assertThat(original.equals(sent.get(id))).as("%s decrypts as sent", id).isTrue();
            }
            assertThat(seen).hasSize(LINKED + WAITING + IN_FLIGHT);
        }

        private void send(
                KafkaProducer<byte[], byte[]> producer,
                String org,
                int count,
                long seed,
                List<GeneratedKongEntry> into)
                throws Exception {
            for (GeneratedKongEntry entry :
                    new KongLogGenerator(schema, List.of(org), seed).next(count)) {
                RecordMetadata meta = h.send(producer, 0, org, JobHarness.avro(entry.record()));
                into.add(entry);
                sent.put(
                        meta.topic() + "@" + meta.partition() + "/" + meta.offset(),
                        entry.record());
                for (String value : entry.sensitiveValues()) {
                    if (valueIndex.putIfAbsent(value, sensitive.size()) == null) {
                        sensitive.add(value);
                    }
                }
            }
        }

        /** Sensitive values first, in order, then every DEK the emulator issued. */
        PlaintextScanner scanner() {
            // Every hit is recorded, so that the test can tell which values each state file
            // contains.
            PlaintextScanner.Builder builder =
                    PlaintextScanner.builder().addValues(sensitive).maxRecordedHits(100_000);
            for (byte[] dek : deks) {
                builder.addBytes(dek);
            }
            return builder.build();
        }

        Set<Integer> valueIndexes(List<GeneratedKongEntry> entries) {
            Set<Integer> indexes = new HashSet<>();
            for (GeneratedKongEntry e : entries) {
                for (String value : e.sensitiveValues()) {
                    indexes.add(valueIndex.get(value));
                }
            }
            return indexes;
        }

        private static KeyChangeEvent linkedEvent(String org, String keyArn, long version) {
            return KeyChangeEvent.linked(org, org, keyArn, REGION, null, 1, version);
        }
    }

    /** Returns every metric's identifier and value, one per line, as a reporter exports them. */
    private static String metricDump() {
        Map<String, String> lines = new TreeMap<>();
        for (Map.Entry<MetricGroup, Map<String, Metric>> group :
                REPORTER.getMetricsByGroup().entrySet()) {
            String variables = group.getKey().getAllVariables().toString();
            for (Map.Entry<String, Metric> metric : group.getValue().entrySet()) {
                lines.put(
                        group.getKey().getMetricIdentifier(metric.getKey()),
                        variables + " " + metric.getKey() + "=" + valueOf(metric.getValue()));
            }
        }
        StringBuilder out = new StringBuilder();
        lines.forEach((id, line) -> out.append(id).append(' ').append(line).append('\n'));
        return out.toString();
    }

    private static String valueOf(Metric metric) {
        if (metric instanceof Counter c) {
            return String.valueOf(c.getCount());
        }
        if (metric instanceof Gauge<?> g) {
            Object value = g.getValue();
            return value instanceof byte[] bytes ? HexFormat.of().formatHex(bytes) : "" + value;
        }
        if (metric instanceof Meter m) {
            return m.getCount() + "/" + m.getRate();
        }
        if (metric instanceof Histogram h) {
            var stats = h.getStatistics();
            return h.getCount() + " " + stats.getMin() + ".." + stats.getMax();
        }
        return String.valueOf(metric);
    }
}
