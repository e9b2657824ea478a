package io.cmekflink.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cmekflink.config.ConfigException;
import io.cmekflink.config.JobConfig;
import io.cmekflink.crypto.Envelope;
import io.cmekflink.crypto.EnvelopeRewriter;
import io.cmekflink.crypto.RecordOpener;
import io.cmekflink.datakey.DataKeyEntry;
import io.cmekflink.deadletter.DeadLetter;
import io.cmekflink.deadletter.ErrorCode;
import io.cmekflink.deadletter.Stage;
import io.cmekflink.link.KeyChangeEvent;
import io.cmekflink.local.EmbeddedKafka;
import io.cmekflink.local.Topics;
import io.cmekflink.local.demo.GeneratedKongEntry;
import io.cmekflink.local.demo.KongLogGenerator;
import io.cmekflink.local.kms.KmsEmulator;
import io.cmekflink.schema.DerivedSchema;
import io.cmekflink.schema.EnvelopeSchema;
import io.cmekflink.testing.JobHarness;
import io.cmekflink.testing.TestAws;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The encrypt and decrypt jobs with {@code encryption.data-key-topic} set, on the mini cluster, the
 * in-JVM broker and the KMS emulator through the real SDK: records carry a 16-byte reference, the
 * data-key topic holds one entry per DEK, and every way a reference can fail has its code.
 */
class DataKeyReferenceIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
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

    /** The records one encrypt run wrote, with what was sent. */
    private record Encrypted(
            JobConfig config,
            List<ConsumerRecord<byte[], byte[]>> records,
            Map<String, GenericRecord> sent,
            List<String> sensitive) {}

    /**
     * Runs the encrypt job with references in {@code dataKeyTopic} over {@code perOrg} records of
     * each org, linked to its key, and returns its output.
     */
    private static Encrypted encrypt(
            JobHarness h, String dataKeyTopic, Map<String, String> keys, int perOrg)
            throws Exception {
        JobConfig config =
                h.config(
                        kms.endpoint().toString(),
                        "avro",
                        "encryption.data-key-topic: " + dataKeyTopic);
        Map<String, GenericRecord> sent = new HashMap<>();
        List<String> sensitive = new ArrayList<>();
        JobClient job;
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            long version = 1;
            for (Map.Entry<String, String> key : keys.entrySet()) {
                h.publish(
                        producer,
                        KeyChangeEvent.linked(
                                key.getKey(),
                                "k",
                                key.getValue(),
                                "eu-west-1",
                                null,
                                1,
                                version++));
            }
            job = JobHarness.start(config);
            long seed = 1;
            for (String org : keys.keySet()) {
                KongLogGenerator generator = new KongLogGenerator(schema, List.of(org), seed++);
                for (GeneratedKongEntry entry : generator.next(perOrg)) {
                    var meta = h.send(producer, 0, org, JobHarness.avro(entry.record()));
                    sent.put(meta.partition() + "/" + meta.offset(), entry.record());
                    sensitive.addAll(entry.sensitiveValues());
                }
            }
        }
        int expected = perOrg * keys.size();
        List<ConsumerRecord<byte[], byte[]>> records =
                Topics.readUntil(
                        kafka.bootstrapServers(),
                        h.encrypted(),
                        r -> r.size() >= expected,
                        TIMEOUT);
        job.cancel().get();
        assertThat(records).hasSize(expected);
        return new Encrypted(config, records, sent, sensitive);
    }

    private static List<DataKeyEntry> entries(String topic) throws Exception {
        List<DataKeyEntry> entries = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r :
                Topics.readAll(kafka.bootstrapServers(), topic, true, TIMEOUT)) {
            entries.add(DataKeyEntry.decode(r.value()));
        }
        return entries;
    }

    private static void produce(String topic, List<byte[]> values) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            for (byte[] value : values) {
                producer.send(new ProducerRecord<>(topic, 0, null, value)).get();
            }
        }
    }

    @Test
    void recordsCarryReferencesAndDecrypt() throws Exception {
        JobHarness h = new JobHarness(kafka, "ref");
        String dataKeys = "data-keys-ref";
        kafka.createCompactedTopics(2, List.of(dataKeys));
        String keyA = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
        String keyB = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
        long generated = kms.callCount("GenerateDataKey");

        Encrypted out = encrypt(h, dataKeys, Map.of("org-a", keyA, "org-b", keyB), 15);

        // Records are keyed by org, so each org's records meet one parallel instance and one DEK.
        assertThat(kms.callCount("GenerateDataKey") - generated).isEqualTo(2);
        List<DataKeyEntry> entries = entries(dataKeys);
        assertThat(entries).hasSize(2);
        Map<String, String> keyOfOrg = new HashMap<>();
        for (DataKeyEntry entry : entries) {
            keyOfOrg.put(entry.orgId(), entry.keyArn());
            assertThat(entry.edek()).hasSize(184);
        }
        assertThat(keyOfOrg).isEqualTo(Map.of("org-a", keyA, "org-b", keyB));

        DerivedSchema derived = JobSchemas.of(out.config()).derived(0);
        RecordOpener opener = RecordOpener.create(derived);
        for (ConsumerRecord<byte[], byte[]> r : out.records()) {
            Envelope envelope = RecordOpener.envelopeOf(opener.decode(r.value()));
            assertThat(envelope.formatVersion()).isEqualTo(2);
            assertThat(envelope.keyArn()).isEmpty();
            assertThat(envelope.edek()).hasSize(16);
        }

        // The decrypt job resolves each reference once and writes exactly what was sent.
        long decrypts = kms.callCount("Decrypt");
        JobConfig decrypt =
                h.decryptConfig(
                        kms.endpoint().toString(),
                        h.encrypted(),
                        "encryption.data-key-topic: " + dataKeys);
        JobClient job = JobHarness.start(decrypt);
        List<ConsumerRecord<byte[], byte[]>> plaintext =
                Topics.readUntil(
                        kafka.bootstrapServers(), h.plaintext(), r -> r.size() >= 30, TIMEOUT);
        job.cancel().get();
        assertThat(plaintext).hasSize(30);
        BinaryMessageDecoder<GenericRecord> plain =
                new BinaryMessageDecoder<>(GenericData.get(), derived.writerSchema());
        int matched = 0;
        for (ConsumerRecord<byte[], byte[]> r : plaintext) {
            GenericRecord record = plain.decode(r.value());
            if (out.sent().containsValue(record)) {
                matched++;
            }
        }
        assertThat(matched).isEqualTo(30);
        assertThat(kms.callCount("Decrypt") - decrypts).isEqualTo(2);
        assertThat(
                        Topics.readAll(
                                kafka.bootstrapServers(),
                                h.deadLetters() + "-decrypt",
                                true,
                                Duration.ofSeconds(2)))
                .isEmpty();

        // No sensitive value in the data-key topic or the encrypted topic.
        int searched =
                h.assertNoPlaintext(out.sensitive(), List.of(dataKeys, h.encrypted()), TIMEOUT);
        assertThat(searched).isGreaterThan(50);
    }

    @Test
    void unresolvableReferencesHaveTheirCodes() throws Exception {
        JobHarness h = new JobHarness(kafka, "refbad");
        String dataKeys = "data-keys-refbad";
        kafka.createCompactedTopics(1, List.of(dataKeys));
        String keyC = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
        String keyD = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
        Encrypted out = encrypt(h, dataKeys, Map.of("org-c", keyC, "org-d", keyD), 4);
        RecordOpener opener = RecordOpener.create(JobSchemas.of(out.config()).derived(0));
        EnvelopeRewriter writer = new EnvelopeRewriter();
        long fingerprint = JobSchemas.of(out.config()).derived(0).layoutFingerprint();

        // Cases written to a second encrypted topic: 4 records of org-c as they are, one org-c
        // record with other check bytes, and one org-d record that points at org-c's entry.
        List<byte[]> cases = new ArrayList<>();
        byte[] orgCReference = null;
        GenericRecord orgDRecord = null;
        GenericRecord orgCRecord = null;
        for (ConsumerRecord<byte[], byte[]> r : out.records()) {
            GenericRecord derived = opener.decode(r.value());
            Envelope envelope = RecordOpener.envelopeOf(derived);
            if (envelope.orgId().equals("org-c")) {
                cases.add(r.value());
                orgCReference = envelope.edek();
                orgCRecord = derived;
            } else {
                orgDRecord = derived;
            }
        }
        byte[] otherCheck = orgCReference.clone();
        otherCheck[15] ^= 1;
        ((GenericRecord) orgCRecord.get(EnvelopeSchema.FIELD_NAME))
                .put(EnvelopeSchema.EDEK_FIELD, ByteBuffer.wrap(otherCheck));
        cases.add(writer.encode(orgCRecord, fingerprint));
        ((GenericRecord) orgDRecord.get(EnvelopeSchema.FIELD_NAME))
                .put(EnvelopeSchema.EDEK_FIELD, ByteBuffer.wrap(orgCReference));
        cases.add(writer.encode(orgDRecord, fingerprint));
        String input = "encrypted-refbad-cases";
        kafka.createTopics(1, List.of(input));
        produce(input, cases);

        JobClient job =
                JobHarness.start(
                        h.decryptConfig(
                                kms.endpoint().toString(),
                                input,
                                "encryption.data-key-topic: " + dataKeys));
        List<ConsumerRecord<byte[], byte[]>> letters =
                Topics.readUntil(
                        kafka.bootstrapServers(),
                        h.deadLetters() + "-decrypt",
                        r -> r.size() >= 2,
                        TIMEOUT);
        List<ConsumerRecord<byte[], byte[]>> plaintext =
                Topics.readUntil(
                        kafka.bootstrapServers(), h.plaintext(), r -> r.size() >= 4, TIMEOUT);
        job.cancel().get();

        assertThat(plaintext).hasSize(4);
        assertThat(letters).hasSize(2);
        Map<Long, DeadLetter> byOffset = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : letters) {
            DeadLetter letter = DeadLetter.fromBytes(r.value());
            byOffset.put(letter.sourceOffset(), letter);
        }
        DeadLetter mismatch = byOffset.get(4L);
        assertThat(mismatch.errorCode()).isEqualTo(ErrorCode.DATA_KEY_NOT_FOUND);
        assertThat(mismatch.retriable()).isFalse();
        assertThat(mismatch.stage()).isEqualTo(Stage.DECRYPT);
        assertThat(mismatch.orgId()).isEqualTo("org-c");
        assertThat(mismatch.keyArn()).isNull();
        assertThat(mismatch.message()).contains("check bytes");
        DeadLetter otherOrg = byOffset.get(5L);
        assertThat(otherOrg.errorCode()).isEqualTo(ErrorCode.DATA_KEY_NOT_FOUND);
        assertThat(otherOrg.orgId()).isEqualTo("org-d");
        assertThat(otherOrg.message())
                .contains("names an entry of org org-c, but the record belongs to org org-d");

        // Without the data-key topic, every record is a dead letter that names the setting.
        JobHarness noTopic = new JobHarness(kafka, "refnone");
        JobClient blind =
                JobHarness.start(noTopic.decryptConfig(kms.endpoint().toString(), input, ""));
        List<ConsumerRecord<byte[], byte[]>> blindLetters =
                Topics.readUntil(
                        kafka.bootstrapServers(),
                        noTopic.deadLetters() + "-decrypt",
                        r -> r.size() >= 6,
                        TIMEOUT);
        blind.cancel().get();
        assertThat(blindLetters).hasSize(6);
        for (ConsumerRecord<byte[], byte[]> r : blindLetters) {
            DeadLetter letter = DeadLetter.fromBytes(r.value());
            assertThat(letter.errorCode()).isEqualTo(ErrorCode.DATA_KEY_NOT_FOUND);
            assertThat(letter.message()).contains("encryption.data-key-topic is not set");
        }

        // A disabled key: the entry resolves, and KMS refuses its EDEK.
        kms.disableKey(keyC);
        JobHarness disabled = new JobHarness(kafka, "refoff");
        JobClient refused =
                JobHarness.start(
                        disabled.decryptConfig(
                                kms.endpoint().toString(),
                                input,
                                "encryption.data-key-topic: " + dataKeys));
        List<ConsumerRecord<byte[], byte[]>> refusedLetters =
                Topics.readUntil(
                        kafka.bootstrapServers(),
                        disabled.deadLetters() + "-decrypt",
                        r -> r.size() >= 6,
                        TIMEOUT);
        refused.cancel().get();
        Map<ErrorCode, Integer> codes = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : refusedLetters) {
            codes.merge(DeadLetter.fromBytes(r.value()).errorCode(), 1, Integer::sum);
        }
        assertThat(codes)
                .isEqualTo(Map.of(ErrorCode.KEY_DISABLED, 4, ErrorCode.DATA_KEY_NOT_FOUND, 2));
        assertThat(
                        Topics.readAll(
                                kafka.bootstrapServers(),
                                disabled.plaintext(),
                                true,
                                Duration.ofSeconds(2)))
                .isEmpty();
    }

    @Test
    void rewrapPublishesNewEntries() throws Exception {
        JobHarness h = new JobHarness(kafka, "refwrap");
        String dataKeys = "data-keys-refwrap";
        kafka.createCompactedTopics(1, List.of(dataKeys));
        String oldKey = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
        String newKey = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
        String otherKey = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
        Encrypted out = encrypt(h, dataKeys, Map.of("org-e", oldKey, "org-f", otherKey), 5);
        RecordOpener opener = RecordOpener.create(JobSchemas.of(out.config()).derived(0));
        Map<Long, byte[]> oldReferences = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : out.records()) {
            Envelope envelope = RecordOpener.envelopeOf(opener.decode(r.value()));
            oldReferences.put(envelope.recordId().offset(), envelope.edek());
        }
        long reEncrypts = kms.callCount("ReEncrypt");

        String output = "rewrapped-refwrap";
        JobHarness.start(
                        h.rewrapConfig(
                                kms.endpoint().toString(),
                                "org-e",
                                oldKey,
                                newKey,
                                output,
                                "encryption.data-key-topic: " + dataKeys))
                .getJobExecutionResult()
                .get();

        List<ConsumerRecord<byte[], byte[]>> rewrapped =
                Topics.readAll(kafka.bootstrapServers(), output, true, TIMEOUT);
        assertThat(rewrapped).hasSize(5);
        // One DEK of the org, so one ReEncrypt and one new entry.
        assertThat(kms.callCount("ReEncrypt") - reEncrypts).isEqualTo(1);
        List<DataKeyEntry> entries = entries(dataKeys);
        assertThat(entries).hasSize(3);
        DataKeyEntry moved = entries.get(2);
        assertThat(moved.orgId()).isEqualTo("org-e");
        assertThat(moved.keyArn()).isEqualTo(newKey);
        for (ConsumerRecord<byte[], byte[]> r : rewrapped) {
            Envelope envelope = RecordOpener.envelopeOf(opener.decode(r.value()));
            assertThat(envelope.formatVersion()).isEqualTo(2);
            assertThat(envelope.orgId()).isEqualTo("org-e");
            assertThat(envelope.edek())
                    .isNotEqualTo(oldReferences.get(envelope.recordId().offset()));
        }

        // With the old key disabled, the re-wrapped records still decrypt to what was sent.
        kms.disableKey(oldKey);
        JobClient job =
                JobHarness.start(
                        h.decryptConfig(
                                kms.endpoint().toString(),
                                output,
                                "encryption.data-key-topic: " + dataKeys));
        List<ConsumerRecord<byte[], byte[]>> plaintext =
                Topics.readUntil(
                        kafka.bootstrapServers(), h.plaintext(), r -> r.size() >= 5, TIMEOUT);
        job.cancel().get();
        assertThat(plaintext).hasSize(5);
        BinaryMessageDecoder<GenericRecord> plain =
                new BinaryMessageDecoder<>(
                        GenericData.get(), JobSchemas.of(out.config()).derived(0).writerSchema());
        for (ConsumerRecord<byte[], byte[]> r : plaintext) {
            GenericRecord record = plain.decode(r.value());
            assertThat(record.get("org_id").toString()).isEqualTo("org-e");
            assertThat(out.sent().containsValue(record)).isTrue();
        }
    }

    @Test
    void dataKeyTopicMustBeCompacted() throws Exception {
        JobHarness h = new JobHarness(kafka, "refpolicy");
        kafka.createTopics(1, List.of("data-keys-deleting"));
        JobConfig deleting =
                h.config(
                        kms.endpoint().toString(),
                        "avro",
                        "encryption.data-key-topic: data-keys-deleting");
        JobConfig missing =
                h.config(
                        kms.endpoint().toString(),
                        "avro",
                        "encryption.data-key-topic: data-keys-missing");

        assertThatThrownBy(() -> JobHarness.start(deleting))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("data-keys-deleting")
                .hasMessageContaining("cleanup.policy");
        assertThatThrownBy(() -> JobHarness.start(missing))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("data-keys-missing");
    }
}
