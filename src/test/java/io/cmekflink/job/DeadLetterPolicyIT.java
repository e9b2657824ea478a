package io.cmekflink.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.cmekflink.config.JobConfig;
import io.cmekflink.config.JobOptions;
import io.cmekflink.crypto.Decrypter;
import io.cmekflink.crypto.RecordOpener;
import io.cmekflink.deadletter.DeadLetter;
import io.cmekflink.deadletter.ErrorCode;
import io.cmekflink.deadletter.PayloadKind;
import io.cmekflink.deadletter.report.CommittedTopicReader;
import io.cmekflink.deadletter.report.DeadLetterFilter;
import io.cmekflink.link.KeyChangeEvent;
import io.cmekflink.local.EmbeddedKafka;
import io.cmekflink.local.Topics;
import io.cmekflink.local.demo.GeneratedKongEntry;
import io.cmekflink.local.demo.KongLogGenerator;
import io.cmekflink.local.kms.KmsAction;
import io.cmekflink.local.kms.KmsEmulator;
import io.cmekflink.local.kms.KmsErrorType;
import io.cmekflink.local.kms.KmsOperation;
import io.cmekflink.schema.DerivedSchemaRegistry;
import io.cmekflink.testing.JobHarness;
import io.cmekflink.testing.TestAws;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.flink.core.execution.JobClient;
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
 * The dead-letter payload policy by error code, with a platform dead-letter key configured, on the
 * mini cluster, the in-JVM broker and the KMS emulator through the real SDK. A revoked key
 * (disabled, pending deletion, deleted, access denied) always drops the marked fields. Throttling,
 * KMS internal errors and a missing first link seal the input under the platform key with a
 * retention. The sealed ones replay once the cause is gone and decrypt to what was sent; replay
 * refuses the dropped ones.
 */
class DeadLetterPolicyIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final String REGION = "eu-west-1";

    /** The account whose calls the emulator attributes to the job. */
    private static final String JOB_ACCOUNT = KmsEmulator.DEFAULT_ACCOUNT;

    private static EmbeddedKafka kafka;
    private static KmsEmulator kms;
    private static KmsClient kmsClient;
    private static Schema schema;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start(0);
        kms = KmsEmulator.start(0);
        TestAws.useEmulatorCredentials();
        kmsClient = TestAws.syncClient(kms, REGION);
        schema = new Schema.Parser().parse(new java.io.File("schemas/kong-log-entry.avsc"));
    }

    @AfterAll
    static void stop() throws Exception {
        kmsClient.close();
        kms.close();
        kafka.close();
    }

    @Test
    void payloadPolicyByErrorCode() throws Exception {
        JobHarness h = new JobHarness(kafka, "policy");
        String platformKey = kms.createKey(JOB_ACCOUNT, REGION, "platform dead-letter key");
        Map<String, String> keys = new HashMap<>();
        for (String org :
                List.of(
                        "org-disabled",
                        "org-pending",
                        "org-deleted",
                        "org-denied",
                        "org-throttled",
                        "org-unavailable",
                        "org-late")) {
            keys.put(org, kms.createKey(JOB_ACCOUNT, REGION));
        }
        kms.disableKey(keys.get("org-disabled"));
        kms.scheduleKeyDeletion(keys.get("org-pending"), 7);
        kms.deleteKeyNow(keys.get("org-deleted"));
        kms.policy(keys.get("org-denied")).deny(JOB_ACCOUNT, KmsAction.GENERATE_DATA_KEY);

        // Two attempts 10 ms apart: a fault that outlasts them is final at once.
        JobConfig config =
                h.config(
                        kms.endpoint().toString(),
                        "avro",
                        """
                        link.wait: 2s
                        dek.failure-ttl: 0s
                        kms.retry.max-attempts: 2
                        kms.retry.base-delay: 10ms
                        kms.retry.max-delay: 10ms
                        dead-letters.sealed-retention: 1h
                        dead-letters.platform-key-arn: "%s"
                        """
                                .formatted(platformKey));
        Map<String, GenericRecord> sent = new HashMap<>();
        List<String> sensitive = new ArrayList<>();
        long version = 1;
        JobClient job;
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            for (var org : keys.entrySet()) {
                if (!org.getKey().equals("org-late")) {
                    h.publish(
                            producer,
                            KeyChangeEvent.linked(
                                    org.getKey(), "k", org.getValue(), REGION, null, 1, version++));
                }
            }
            job = JobHarness.start(config);
            long seed = 70;
            for (String org : List.of("org-disabled", "org-pending", "org-deleted", "org-denied")) {
                send(h, producer, org, seed++, sent, sensitive);
            }
            awaitDeadLetters(h, 4);

            // Both attempts of the org's GenerateDataKey fail; the next GenerateDataKey, for the
            // platform key that seals the input, succeeds.
            kms.faults().throttleNext(2, KmsOperation.GENERATE_DATA_KEY);
            send(h, producer, "org-throttled", seed++, sent, sensitive);
            awaitDeadLetters(h, 5);

            kms.faults().failNext(2, KmsErrorType.KMS_INTERNAL, KmsOperation.GENERATE_DATA_KEY);
            send(h, producer, "org-unavailable", seed++, sent, sensitive);
            awaitDeadLetters(h, 6);

            send(h, producer, "org-late", seed, sent, sensitive);
            awaitDeadLetters(h, 7);
        }
        h.awaitCommitted(config, TIMEOUT);
        job.cancel().get();

        Map<ErrorCode, DeadLetter> byCode = new HashMap<>();
        for (DeadLetter letter : h.readDeadLetters(h.deadLetters(), TIMEOUT)) {
            assertThat(byCode.put(letter.errorCode(), letter)).as("one per code").isNull();
        }
        assertThat(byCode)
                .containsOnlyKeys(
                        ErrorCode.KEY_DISABLED,
                        ErrorCode.KEY_PENDING_DELETION,
                        ErrorCode.KEY_NOT_FOUND,
                        ErrorCode.ACCESS_DENIED,
                        ErrorCode.KMS_THROTTLED,
                        ErrorCode.KMS_UNAVAILABLE,
                        ErrorCode.NO_KEY_LINKED);
        assertDropped(byCode.get(ErrorCode.KEY_DISABLED), "org-disabled");
        assertDropped(byCode.get(ErrorCode.KEY_PENDING_DELETION), "org-pending");
        assertDropped(byCode.get(ErrorCode.KEY_NOT_FOUND), "org-deleted");
        assertDropped(byCode.get(ErrorCode.ACCESS_DENIED), "org-denied");
        long now = System.currentTimeMillis();
        assertSealed(byCode.get(ErrorCode.KMS_THROTTLED), "org-throttled", true, now);
        assertSealed(byCode.get(ErrorCode.KMS_UNAVAILABLE), "org-unavailable", true, now);
        assertSealed(byCode.get(ErrorCode.NO_KEY_LINKED), "org-late", false, now);

        // Sealed or dropped, no value is readable in the dead-letter topic.
        h.assertNoPlaintext(sensitive, List.of(h.deadLetters()), TIMEOUT);

        // The late org links its key; the replay feeds back the three sealed inputs and refuses
        // the four dropped ones, naming each.
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            h.publish(
                    producer,
                    KeyChangeEvent.linked(
                            "org-late", "k", keys.get("org-late"), REGION, null, 1, version));
        }
        StringWriter log = new StringWriter();
        Replayer replayer =
                new Replayer(
                        config, DeadLetterFilter.all(), false, Instant.now(), new PrintWriter(log));
        new CommittedTopicReader(kafka.bootstrapServers(), TIMEOUT)
                .read(config.get(JobOptions.DEAD_LETTERS_TOPIC), replayer::accept);
        Replayer.Summary summary = replayer.finish(TIMEOUT);
        assertThat(summary.replayed()).isEqualTo(3);
        assertThat(summary.refusedDropped()).isEqualTo(4);
        for (String code :
                List.of("KEY_DISABLED", "KEY_PENDING_DELETION", "KEY_NOT_FOUND", "ACCESS_DENIED")) {
            assertThat(log.toString()).contains("(" + code + "): its payload was dropped");
        }

        JobClient again = JobHarness.start(config);
        List<ConsumerRecord<byte[], byte[]>> encrypted =
                Topics.readUntil(
                        kafka.bootstrapServers(), h.encrypted(), r -> r.size() >= 3, TIMEOUT);
        again.cancel().get();
        assertThat(encrypted).hasSize(3);
        DerivedSchemaRegistry registry = new DerivedSchemaRegistry();
        registry.register(JobSchemas.of(config).derived(0));
        Decrypter decrypter = new Decrypter(registry, region -> kmsClient);
        RecordOpener opener = RecordOpener.create(registry);
        List<String> orgs = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : encrypted) {
            var id = RecordOpener.envelopeOf(opener.decode(r.value())).recordId();
            GenericRecord original = decrypter.decrypt(r.value());
            assertThat(original.equals(sent.get(id.topic() + "/" + id.offset())))
                    .as("replayed %s decrypts to what was sent", id)
                    .isTrue();
            orgs.add(original.get("org_id").toString());
        }
        assertThat(orgs).containsExactlyInAnyOrder("org-throttled", "org-unavailable", "org-late");
    }

    private static void assertDropped(DeadLetter letter, String org) {
        assertThat(letter.orgId()).isEqualTo(org);
        assertThat(letter.retriable()).as("%s retriable", letter.errorCode()).isFalse();
        assertThat(letter.payloadKind())
                .as("%s payload", letter.errorCode())
                .isEqualTo(PayloadKind.DROPPED);
        assertThat(letter.payload() == null ? 0 : letter.payload().length).isZero();
        assertThat(letter.retainUntil()).isNull();
    }

    private static void assertSealed(DeadLetter letter, String org, boolean retriable, long now) {
        assertThat(letter.orgId()).isEqualTo(org);
        assertThat(letter.retriable()).as("%s retriable", letter.errorCode()).isEqualTo(retriable);
        assertThat(letter.payloadKind())
                .as("%s payload", letter.errorCode())
                .isEqualTo(PayloadKind.SEALED);
        assertThat(letter.payload().length).isGreaterThan(100);
        assertThat(letter.message()).doesNotContain("sealing");
        // Sealed within the last minute, kept for the configured hour.
        assertThat(letter.retainUntil())
                .isBetween(
                        now + Duration.ofMinutes(59).toMillis(),
                        now + Duration.ofHours(1).toMillis());
    }

    private static void send(
            JobHarness h,
            KafkaProducer<byte[], byte[]> producer,
            String org,
            long seed,
            Map<String, GenericRecord> sent,
            List<String> sensitive)
            throws Exception {
        GeneratedKongEntry entry = new KongLogGenerator(schema, List.of(org), seed).next();
        long offset = h.send(producer, 0, org, JobHarness.avro(entry.record())).offset();
        sent.put(h.records() + "/" + offset, entry.record());
        sensitive.addAll(entry.sensitiveValues());
    }

    private static void awaitDeadLetters(JobHarness h, int count) {
        assertThat(
                        Topics.readUntil(
                                kafka.bootstrapServers(),
                                h.deadLetters(),
                                r -> r.size() >= count,
                                TIMEOUT))
                .hasSize(count);
    }
}
