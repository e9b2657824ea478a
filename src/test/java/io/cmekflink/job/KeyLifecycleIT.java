package io.cmekflink.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.cmekflink.config.JobConfig;
import io.cmekflink.crypto.Decrypter;
import io.cmekflink.crypto.RecordOpener;
import io.cmekflink.deadletter.DeadLetter;
import io.cmekflink.deadletter.ErrorCode;
import io.cmekflink.link.KeyChangeEvent;
import io.cmekflink.local.EmbeddedKafka;
import io.cmekflink.local.Topics;
import io.cmekflink.local.demo.KongLogGenerator;
import io.cmekflink.local.kms.KmsEmulator;
import io.cmekflink.schema.DerivedSchemaRegistry;
import io.cmekflink.testing.JobHarness;
import io.cmekflink.testing.TestAws;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * The key lifecycle on the mini cluster, the in-JVM broker and the KMS emulator through the SDK:
 * revocation within the configured bound by health checks, recovery when the key is enabled again,
 * multi-region replicas, and orgs without a key of their own.
 */
class KeyLifecycleIT {

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
    private static KmsClient kmsClient;
    private static Schema schema;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start(0);
        kms = KmsEmulator.start(0);
        TestAws.useEmulatorCredentials();
        kmsClient = TestAws.syncClient(kms, TestAws.REGION);
        schema = new Schema.Parser().parse(new java.io.File("schemas/kong-log-entry.avsc"));
    }

    @AfterAll
    static void stop() throws Exception {
        kmsClient.close();
        kms.close();
        kafka.close();
    }

    private static byte[] entry(String org, long seed) throws Exception {
        GenericRecord record = new KongLogGenerator(schema, List.of(org), seed).next().record();
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(record.getSchema(), GenericData.get())
                .write(record, encoder);
        encoder.flush();
        return out.toByteArray();
    }

    private static long gaugeSum(JobClient job, String name) {
        long sum = 0;
        for (Map.Entry<String, Metric> e : REPORTER.findMetrics(job.getJobID(), name).entrySet()) {
            if (e.getKey().endsWith("." + name) && e.getValue() instanceof Gauge<?> g) {
                sum += ((Number) g.getValue()).longValue();
            }
        }
        return sum;
    }

    private static String keyArnOf(JobConfig config, ConsumerRecord<byte[], byte[]> record)
            throws Exception {
        RecordOpener opener = RecordOpener.create(JobSchemas.of(config).derived(0));
        return RecordOpener.envelopeOf(opener.decode(record.value())).keyArn();
    }

    @Test
    void disabledKeyStopsWithinTheBoundAndResumes() throws Exception {
        JobHarness h = new JobHarness(kafka, "revocation");
        kafka.setTopicConfig(h.encrypted(), "message.timestamp.type", "LogAppendTime");
        String key = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
        JobConfig config =
                h.config(
                        kms.endpoint().toString(),
                        "avro",
                        "key.health-check-interval: 1s\nkms.attempt-timeout: 2s\n");
        Duration bound = RevocationBound.of(config);
        assertThat(bound).isEqualTo(Duration.ofMillis(1100 + 2000 + 1000));

        AtomicBoolean sending = new AtomicBoolean(true);
        List<Long> sent = new ArrayList<>();
        JobClient job;
        Thread sender;
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            h.publish(producer, KeyChangeEvent.linked("org-k", "k", key, "eu-west-1", null, 1, 1L));
            job = JobHarness.start(config);
            byte[] value = entry("org-k", 71);
            sender =
                    new Thread(
                            () -> {
                                try {
                                    while (sending.get()) {
                                        h.send(producer, 0, "org-k", value);
                                        synchronized (sent) {
                                            sent.add(System.currentTimeMillis());
                                        }
                                        Thread.sleep(20);
                                    }
                                } catch (Exception e) {
                                    throw new IllegalStateException(e);
                                }
                            });
            sender.start();
            Topics.readUntil(kafka.bootstrapServers(), h.encrypted(), r -> r.size() >= 20, TIMEOUT);

            long generateBefore = kms.callCount("GenerateDataKey");
            long disabledAt = System.currentTimeMillis();
            kms.disableKey(key);
            // Records go on arriving for twice the bound, then the key is enabled again.
            JobHarness.await(
                    "twice the revocation bound",
                    TIMEOUT,
                    () -> System.currentTimeMillis() >= disabledAt + 2 * bound.toMillis());
            long generateWhileDisabled = kms.callCount("GenerateDataKey") - generateBefore;
            long describeWhileDisabled = kms.callCount("DescribeKey");
            kms.enableKey(key);
            long enabledAt = System.currentTimeMillis();

            List<ConsumerRecord<byte[], byte[]>> letters =
                    Topics.readUntil(
                            kafka.bootstrapServers(), h.deadLetters(), r -> !r.isEmpty(), TIMEOUT);
            assertThat(DeadLetter.fromBytes(letters.get(0).value()).errorCode())
                    .isEqualTo(ErrorCode.KEY_DISABLED);
            // Records are refused without a KMS call each: at most one GenerateDataKey probe.
            assertThat(generateWhileDisabled).isLessThanOrEqualTo(1);
            assertThat(describeWhileDisabled).isPositive();

            // Encryption resumes by itself once a check finds the key enabled.
            Topics.readUntil(
                    kafka.bootstrapServers(),
                    h.encrypted(),
                    records -> records.stream().anyMatch(r -> r.timestamp() > enabledAt + 100),
                    TIMEOUT);
            sending.set(false);
            sender.join();

            List<ConsumerRecord<byte[], byte[]>> encrypted =
                    Topics.readAll(kafka.bootstrapServers(), h.encrypted(), true, TIMEOUT);
            long lastBeforeEnable =
                    encrypted.stream()
                            .mapToLong(ConsumerRecord::timestamp)
                            .filter(t -> t < enabledAt)
                            .max()
                            .orElseThrow();
            long latency = lastBeforeEnable - disabledAt;
            assertThat(latency)
                    .as("revocation latency in ms")
                    .isLessThanOrEqualTo(bound.toMillis());
            System.out.println(
                    "revocation latency " + latency + " ms, bound " + bound.toMillis() + " ms");
            // The org's records go to one parallel instance, which is the only one to check it.
            assertThat(gaugeSum(job, "keysChecked")).isEqualTo(1);
            job.cancel().get();
        }
    }

    @Test
    void multiRegionKeyUsesTheLocalReplica() throws Exception {
        JobHarness h = new JobHarness(kafka, "replica");
        String primary =
                kms.createMultiRegionKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-central-1", "mrk");
        String replica = kms.replicateKey(primary, "eu-west-1");
        String lonely =
                kms.createMultiRegionKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-central-1", "no replica");
        JobConfig config = h.config(kms.endpoint().toString(), "avro", "");
        JobClient job;
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            h.publish(
                    producer,
                    KeyChangeEvent.linked("org-m", "k", primary, "eu-central-1", null, 1, 1L));
            h.publish(
                    producer,
                    KeyChangeEvent.linked("org-l", "k", lonely, "eu-central-1", null, 1, 1L));
            job = JobHarness.start(config);
            h.send(producer, 0, "org-m", entry("org-m", 81));
            h.send(producer, 0, "org-l", entry("org-l", 82));
        }
        List<ConsumerRecord<byte[], byte[]>> encrypted =
                Topics.readUntil(
                        kafka.bootstrapServers(), h.encrypted(), r -> r.size() >= 2, TIMEOUT);
        job.cancel().get();
        Map<String, String> arnByOrg = new java.util.HashMap<>();
        DerivedSchemaRegistry registry = new DerivedSchemaRegistry();
        registry.register(JobSchemas.of(config).derived(0));
        RecordOpener opener = RecordOpener.create(registry);
        KmsClient central = TestAws.syncClient(kms, "eu-central-1");
        Decrypter throughPrimary = new Decrypter(registry, region -> central);
        for (ConsumerRecord<byte[], byte[]> r : encrypted) {
            var envelope = RecordOpener.envelopeOf(opener.decode(r.value()));
            arnByOrg.put(envelope.orgId(), envelope.keyArn());
        }
        // The job runs in eu-west-1: the replica there wraps org-m's DEK.
        assertThat(arnByOrg.get("org-m")).isEqualTo(replica);
        // Without a replica in eu-west-1, the call falls back to the linked region.
        assertThat(arnByOrg.get("org-l")).isEqualTo(lonely);
        // Data encrypted through the replica decrypts through the primary in the other region.
        for (ConsumerRecord<byte[], byte[]> r : encrypted) {
            var envelope = RecordOpener.envelopeOf(opener.decode(r.value()));
            if (envelope.orgId().equals("org-m")) {
                byte[] moved =
                        new io.cmekflink.crypto.EnvelopeRewriter()
                                .rewrite(
                                        opener.decode(r.value()),
                                        JobSchemas.of(config).derived(0).layoutFingerprint(),
                                        primary,
                                        envelope.edek());
                assertThat(throughPrimary.decrypt(moved).get("org_id").toString())
                        .isEqualTo("org-m");
            }
        }
        central.close();
    }

    @Test
    void orgsWithoutAKeyUseThePlatformKey() throws Exception {
        JobHarness h = new JobHarness(kafka, "platform");
        String platform = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
        String own = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
        JobConfig config =
                h.config(
                        kms.endpoint().toString(),
                        "avro",
                        "encryption.platform-key-arn: \"" + platform + "\"\n");
        JobClient job;
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            h.publish(
                    producer, KeyChangeEvent.linked("org-own", "k", own, "eu-west-1", null, 1, 1L));
            h.publish(
                    producer,
                    KeyChangeEvent.linked("org-gone", "k", own, "eu-west-1", null, 1, 1L));
            h.publish(producer, KeyChangeEvent.unlinked("org-gone", 2, 2L));
            job = JobHarness.start(config);
            h.send(producer, 0, "org-own", entry("org-own", 91));
            h.send(producer, 0, "org-none", entry("org-none", 92));
            h.send(producer, 0, "org-gone", entry("org-gone", 93));
        }
        List<ConsumerRecord<byte[], byte[]>> encrypted =
                Topics.readUntil(
                        kafka.bootstrapServers(), h.encrypted(), r -> r.size() >= 3, TIMEOUT);
        job.cancel().get();
        Map<String, String> arnByOrg = new java.util.HashMap<>();
        RecordOpener opener = RecordOpener.create(JobSchemas.of(config).derived(0));
        for (ConsumerRecord<byte[], byte[]> r : encrypted) {
            var envelope = RecordOpener.envelopeOf(opener.decode(r.value()));
            arnByOrg.put(envelope.orgId(), envelope.keyArn());
        }
        assertThat(arnByOrg)
                .isEqualTo(Map.of("org-own", own, "org-none", platform, "org-gone", platform));
        assertThat(Topics.readAll(kafka.bootstrapServers(), h.deadLetters(), true, TIMEOUT))
                .isEmpty();
    }
}
