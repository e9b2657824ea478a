package io.cmekflink.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.cmekflink.config.JobConfig;
import io.cmekflink.crypto.Decrypter;
import io.cmekflink.crypto.RecordId;
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
import io.cmekflink.testing.KongValues;
import io.cmekflink.testing.TestAws;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.generic.GenericRecord;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * A hot org at parallelism 2 on the mini cluster, the in-JVM broker and the KMS emulator: its
 * records spread over both encrypt instances, and its unlink reaches both.
 */
class HotOrgIT {

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
    private static final int PARALLELISM = 2;
    private static final String HOT = "org-hot";

    /** Flink's max parallelism of an operator of parallelism 2 whose job sets none. */
    private static final int MAX_PARALLELISM =
            KeyGroupRangeAssignment.computeDefaultMaxParallelism(PARALLELISM);

    private static EmbeddedKafka kafka;
    private static KmsEmulator kms;
    private static KmsClient kmsClient;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start(0);
        kms = KmsEmulator.start(0);
        TestAws.useEmulatorCredentials();
        kmsClient = TestAws.syncClient(kms, TestAws.REGION);
    }

    @AfterAll
    static void stop() throws Exception {
        kmsClient.close();
        kms.close();
        kafka.close();
    }

    /** A sent record: its org and where it landed. */
    private record Sent(String org, RecordMetadata at, GenericRecord value) {}

    @Test
    void hotOrgUsesBothInstances() throws Exception {
        JobHarness h = new JobHarness(kafka, "hot");
        h.awaitTopics(TIMEOUT);
        List<String> cold = List.of("org-c1", "org-c2", "org-c3", "org-c4");
        Map<String, String> keys = new HashMap<>();
        long generateBefore = kms.callCount("GenerateDataKey");
        JobConfig config =
                h.config(kms.endpoint().toString(), "avro", "hot-orgs.ids: [" + HOT + "]");
        List<Sent> sent = new ArrayList<>();
        JobClient job;
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            for (String org : concat(HOT, cold)) {
                keys.put(org, kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1"));
                h.publish(
                        producer,
                        KeyChangeEvent.linked(org, "k", keys.get(org), "eu-west-1", null, 1, 1L));
            }
            job = JobHarness.start(config);
            // 90% of the records are the hot org's: 9 of every 10, over both partitions.
            for (int i = 0; i < 400; i++) {
                String org = i % 10 == 9 ? cold.get((i / 10) % cold.size()) : HOT;
                sent.add(send(h, producer, org, i % 2, i));
            }
        }
        List<ConsumerRecord<byte[], byte[]>> encrypted =
                Topics.readUntil(
                        kafka.bootstrapServers(),
                        h.encrypted(),
                        r -> r.size() >= sent.size(),
                        TIMEOUT);
        Map<Integer, Long> perInstance = counterPerInstance(job.getJobID(), "recordsEncrypted");
        List<DeadLetter> deadLetters = h.readDeadLetters(h.deadLetters(), Duration.ofSeconds(5));
        job.cancel().get();

        // Where each record was encrypted follows from its org and position alone.
        HotOrgs.Salts salts = new HotOrgs(List.of(HOT), 0).salts(MAX_PARALLELISM, PARALLELISM);
        long[] expected = new long[PARALLELISM];
        long hotOnFirst = 0;
        for (Sent s : sent) {
            int salt = salts.saltOf(s.org(), s.at().partition(), s.at().offset());
            String key = HotOrgs.routingKey(s.org(), salt);
            int instance = HotOrgs.instanceOf(key, MAX_PARALLELISM, PARALLELISM);
            expected[instance]++;
            if (s.org().equals(HOT) && instance == 0) {
                hotOnFirst++;
            }
        }
        assertThat(salts.of(HOT)).hasSize(PARALLELISM);
        assertThat(hotOnFirst).as("hot records on instance 0").isBetween(1L, 359L);
        assertThat(perInstance).containsEntry(0, expected[0]).containsEntry(1, expected[1]);
        assertThat(perInstance.get(0)).as("records of instance 0").isPositive();
        assertThat(perInstance.get(1)).as("records of instance 1").isPositive();

        // Every record comes out once and decrypts to what was sent, under its org's key.
        assertThat(deadLetters).isEmpty();
        assertThat(encrypted).hasSize(sent.size());
        Map<RecordId, Sent> byId = new HashMap<>();
        sent.forEach(s -> byId.put(KongValues.idOf(s.at()), s));
        DerivedSchemaRegistry registry = new DerivedSchemaRegistry();
        registry.register(JobSchemas.of(config).derived(0));
        RecordOpener opener = RecordOpener.create(registry);
        Decrypter decrypter = new Decrypter(registry, region -> kmsClient);
        Map<RecordId, Integer> seen = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : encrypted) {
            var envelope = RecordOpener.envelopeOf(opener.decode(r.value()));
            RecordId id = envelope.recordId();
            seen.merge(id, 1, Integer::sum);
            Sent s = byId.get(id);
            assertThat(s).as("sent record " + id).isNotNull();
            assertThat(envelope.keyArn()).isEqualTo(keys.get(s.org()));
            assertThat(decrypter.decrypt(r.value()).equals(s.value()))
                    .as(id + " decrypts to what was sent")
                    .isTrue();
        }
        assertThat(seen).hasSize(sent.size());
        assertThat(seen.values()).containsOnly(1);

        // One DEK per org and instance that met it: 1 per cold org, 2 for the hot org.
        assertThat(kms.callCount("GenerateDataKey") - generateBefore)
                .isEqualTo(cold.size() + PARALLELISM);
    }

    @Test
    void unlinkStopsEverySalt() throws Exception {
        JobHarness h = new JobHarness(kafka, "hot-unlink");
        h.awaitTopics(TIMEOUT);
        String key = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
        JobConfig config =
                h.config(kms.endpoint().toString(), "avro", "hot-orgs.ids: [" + HOT + "]");
        HotOrgs.Salts salts = new HotOrgs(List.of(HOT), 0).salts(MAX_PARALLELISM, PARALLELISM);
        int batch = 40;
        List<Sent> after = new ArrayList<>();
        JobClient job;
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            h.publish(producer, KeyChangeEvent.linked(HOT, "k", key, "eu-west-1", null, 1, 1L));
            job = JobHarness.start(config);
            for (int i = 0; i < batch; i++) {
                send(h, producer, HOT, i % 2, i);
            }
            Topics.readUntil(
                    kafka.bootstrapServers(), h.encrypted(), r -> r.size() >= batch, TIMEOUT);
            assertThat(counterPerInstance(job.getJobID(), "recordsEncrypted").values())
                    .as("records encrypted per instance before the unlink")
                    .hasSize(PARALLELISM)
                    .allMatch(n -> n > 0);
            assertThat(gaugePerInstance(job.getJobID(), "dekCacheSize").values())
                    .containsExactly(1L, 1L);

            h.publish(producer, KeyChangeEvent.unlinked(HOT, 2, 2L));
            JobHarness.await(
                    "the unlink to be applied on both instances",
                    TIMEOUT,
                    () -> JobHarness.counter(REPORTER, job.getJobID(), "linksApplied") >= 2 * 2);
            // The control element of each instance drops the org's DEK in its encrypt step.
            JobHarness.await(
                    "both encrypt instances to drop the hot org's DEK",
                    TIMEOUT,
                    () ->
                            gaugePerInstance(job.getJobID(), "dekCacheSize").values().stream()
                                    .allMatch(n -> n == 0));
            for (int i = batch; i < 2 * batch; i++) {
                after.add(send(h, producer, HOT, i % 2, i));
            }
        }
        List<ConsumerRecord<byte[], byte[]>> letters =
                Topics.readUntil(
                        kafka.bootstrapServers(), h.deadLetters(), r -> r.size() >= batch, TIMEOUT);
        List<ConsumerRecord<byte[], byte[]>> encrypted =
                Topics.readAll(kafka.bootstrapServers(), h.encrypted(), true, TIMEOUT);
        job.cancel().get();

        Map<Integer, Integer> saltsAfter = new TreeMap<>();
        for (Sent s : after) {
            saltsAfter.merge(
                    salts.saltOf(HOT, s.at().partition(), s.at().offset()), 1, Integer::sum);
        }
        assertThat(saltsAfter).as("salts of the records after the unlink").hasSize(PARALLELISM);
        assertThat(encrypted).hasSize(batch);
        assertThat(letters).hasSize(batch);
        Map<RecordId, Integer> ids = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : letters) {
            DeadLetter letter = DeadLetter.fromBytes(r.value());
            assertThat(letter.errorCode()).isEqualTo(ErrorCode.KEY_UNLINKED);
            assertThat(letter.orgId()).isEqualTo(HOT);
            ids.merge(
                    new RecordId(
                            letter.sourceTopic(), letter.sourcePartition(), letter.sourceOffset()),
                    1,
                    Integer::sum);
        }
        List<RecordId> expectedIds = after.stream().map(s -> KongValues.idOf(s.at())).toList();
        assertThat(ids.keySet()).containsExactlyInAnyOrderElementsOf(expectedIds);
    }

    private static List<String> concat(String first, List<String> rest) {
        List<String> all = new ArrayList<>();
        all.add(first);
        all.addAll(rest);
        return all;
    }

    private static Sent send(
            JobHarness h,
            KafkaProducer<byte[], byte[]> producer,
            String org,
            int partition,
            long seed)
            throws Exception {
        GenericRecord value =
                new KongLogGenerator(KongValues.schema(), List.of(org), seed).next().record();
        RecordMetadata at = h.send(producer, partition, org, KongValues.avro(value));
        return new Sent(org, at, value);
    }

    /**
     * Returns a counter by subtask index. Flink's default scope of an operator metric ends in
     * {@code <operator>.<subtask index>.<metric>}.
     */
    private static Map<Integer, Long> counterPerInstance(JobID job, String name) {
        Map<Integer, Long> out = new TreeMap<>();
        for (Map.Entry<String, Metric> e : REPORTER.findMetrics(job, name).entrySet()) {
            if (e.getKey().endsWith("." + name) && e.getValue() instanceof Counter c) {
                out.put(subtaskOf(e.getKey(), name), c.getCount());
            }
        }
        return out;
    }

    private static Map<Integer, Long> gaugePerInstance(JobID job, String name) {
        Map<Integer, Long> out = new TreeMap<>();
        for (Map.Entry<String, Metric> e : REPORTER.findMetrics(job, name).entrySet()) {
            if (e.getKey().endsWith("." + name) && e.getValue() instanceof Gauge<?> g) {
                out.put(subtaskOf(e.getKey(), name), ((Number) g.getValue()).longValue());
            }
        }
        return out;
    }

    private static int subtaskOf(String identifier, String name) {
        String scope = identifier.substring(0, identifier.length() - name.length() - 1);
        return Integer.parseInt(scope.substring(scope.lastIndexOf('.') + 1));
    }
}
