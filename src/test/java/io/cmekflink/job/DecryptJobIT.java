package io.cmekflink.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.cmekflink.config.JobConfig;
import io.cmekflink.crypto.Decrypter;
import io.cmekflink.crypto.EncryptionContext;
import io.cmekflink.crypto.EnvelopeRewriter;
import io.cmekflink.crypto.RecordId;
import io.cmekflink.crypto.RecordOpener;
import io.cmekflink.crypto.RecordSealer;
import io.cmekflink.deadletter.DeadLetter;
import io.cmekflink.deadletter.ErrorCode;
import io.cmekflink.deadletter.PayloadKind;
import io.cmekflink.deadletter.Stage;
import io.cmekflink.dek.Dek;
import io.cmekflink.local.EmbeddedKafka;
import io.cmekflink.local.Topics;
import io.cmekflink.local.demo.KongLogGenerator;
import io.cmekflink.local.kms.KmsAction;
import io.cmekflink.local.kms.KmsEmulator;
import io.cmekflink.local.kms.KmsOperation;
import io.cmekflink.schema.DerivedSchema;
import io.cmekflink.schema.DerivedSchemaRegistry;
import io.cmekflink.schema.SingleObjectEncoding;
import io.cmekflink.testing.JobHarness;
import io.cmekflink.testing.TestAws;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
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
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.DataKeySpec;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyResponse;

/**
 * The decrypt and re-wrap jobs on the mini cluster, the in-JVM broker and the KMS emulator through
 * the real SDK: every decryption error code from a real emulator state.
 */
class DecryptJobIT {

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
    private static KmsClient kmsClient;
    private static Schema schema;
    private static DerivedSchema derived;
    private static RecordSealer sealer;
    private static final EnvelopeRewriter WRITER = new EnvelopeRewriter();
    private static int nextOffset;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start(0);
        kms = KmsEmulator.start(0);
        TestAws.useEmulatorCredentials();
        kmsClient = TestAws.syncClient(kms, TestAws.REGION);
        schema = new Schema.Parser().parse(new java.io.File("schemas/kong-log-entry.avsc"));
        JobHarness h = new JobHarness(kafka, "schema");
        derived = JobSchemas.of(h.config(kms.endpoint().toString(), "avro", "")).derived(0);
        sealer = RecordSealer.create(derived);
    }

    @AfterAll
    static void stop() throws Exception {
        kmsClient.close();
        kms.close();
        kafka.close();
    }

    /** A record encrypted by the sealer under a fresh DEK of {@code keyArn}. */
    private static byte[] encrypted(String org, String keyArn, GenericRecord input)
            throws Exception {
        GenerateDataKeyResponse key =
                kmsClient.generateDataKey(
                        r ->
                                r.keyId(keyArn)
                                        .keySpec(DataKeySpec.AES_256)
                                        .encryptionContext(EncryptionContext.of(org)));
        Dek dek =
                Dek.takeOwnershipForEncryption(
                        key.plaintext().asByteArray(),
                        key.ciphertextBlob().asByteArray(),
                        key.keyId(),
                        10,
                        nextOffset);
        return sealer.sealToBytes(input, org, new RecordId("records", 0, nextOffset++), dek);
    }

    private static GenericRecord entry(String org, long seed) {
        return new KongLogGenerator(schema, List.of(org), seed).next().record();
    }

    private static GenericRecord decode(byte[] value) throws Exception {
        return RecordOpener.create(derived).decode(value);
    }

    private static byte[] encode(GenericRecord record) {
        return WRITER.encode(record, derived.layoutFingerprint());
    }

    private static ByteBuffer copyOf(Object value) {
        ByteBuffer b = ((ByteBuffer) value).duplicate();
        ByteBuffer copy = ByteBuffer.allocate(b.remaining());
        copy.put(b).flip();
        return copy;
    }

    @Test
    void everyDecryptionErrorHasItsCode() throws Exception {
        JobHarness h = new JobHarness(kafka, "decrypt");
        String ok = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
        String disabled = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
        String pending = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
        String deleted = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
        String denied = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
        String other = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");

        Map<String, byte[]> cases = new java.util.LinkedHashMap<>();
        Map<String, ErrorCode> expected = new HashMap<>();
        Map<String, GenericRecord> originals = new HashMap<>();
        for (int i = 0; i < 3; i++) {
            GenericRecord input = entry("org-ok", 100 + i);
            cases.put("ok-" + i, encrypted("org-ok", ok, input));
            originals.put("ok-" + i, input);
        }
        cases.put("disabled", encrypted("org-d", disabled, entry("org-d", 1)));
        expected.put("disabled", ErrorCode.KEY_DISABLED);
        cases.put("pending", encrypted("org-p", pending, entry("org-p", 2)));
        expected.put("pending", ErrorCode.KEY_PENDING_DELETION);
        cases.put("deleted", encrypted("org-x", deleted, entry("org-x", 3)));
        expected.put("deleted", ErrorCode.KEY_NOT_FOUND);
        cases.put("denied", encrypted("org-n", denied, entry("org-n", 4)));
        expected.put("denied", ErrorCode.ACCESS_DENIED);

        // A wrong encryption context: the envelope and the record both name another org.
        GenericRecord moved = decode(encrypted("org-ok", ok, entry("org-ok", 5)));
        GenericRecord envelope = (GenericRecord) moved.get("cmek_envelope");
        @SuppressWarnings("unchecked")
        Map<Object, Object> context =
                new HashMap<>((Map<Object, Object>) envelope.get("encryption_context"));
        context.put(
                new org.apache.avro.util.Utf8("org_id"), new org.apache.avro.util.Utf8("org-evil"));
        envelope.put("encryption_context", context);
        moved.put("org_id", "org-evil");
        cases.put("context", encode(moved));
        expected.put("context", ErrorCode.INVALID_CIPHERTEXT);

        // A flipped byte in the EDEK.
        GenericRecord badEdek = decode(encrypted("org-ok", ok, entry("org-ok", 6)));
        GenericRecord badEnvelope = (GenericRecord) badEdek.get("cmek_envelope");
        ByteBuffer edek = copyOf(badEnvelope.get("edek"));
        edek.put(100, (byte) (edek.get(100) ^ 1));
        badEnvelope.put("edek", edek);
        cases.put("edek", encode(badEdek));
        expected.put("edek", ErrorCode.INVALID_CIPHERTEXT);

        // The envelope names another key than the one that wrapped the EDEK.
        GenericRecord otherKey = decode(encrypted("org-ok", ok, entry("org-ok", 7)));
        ((GenericRecord) otherKey.get("cmek_envelope")).put("key_arn", other);
        cases.put("mismatch", encode(otherKey));
        expected.put("mismatch", ErrorCode.KEY_MISMATCH);

        // A flipped byte in a value.
        GenericRecord flipped = decode(encrypted("org-ok", ok, entry("org-ok", 8)));
        ByteBuffer ip = copyOf(flipped.get("client_ip"));
        ip.put(0, (byte) (ip.get(0) ^ 1));
        flipped.put("client_ip", ip);
        cases.put("flipped", encode(flipped));
        expected.put("flipped", ErrorCode.TAMPERED);

        // A value moved to another field of the same record.
        GenericRecord swapped = decode(encrypted("org-ok", ok, entry("org-ok", 9)));
        Object clientIp = swapped.get("client_ip");
        swapped.put("client_ip", swapped.get("upstream_uri"));
        swapped.put("upstream_uri", clientIp);
        cases.put("field", encode(swapped));
        expected.put("field", ErrorCode.TAMPERED);

        // A value moved into another org's record.
        GenericRecord victim = decode(encrypted("org-ok", ok, entry("org-ok", 10)));
        GenericRecord donor = decode(encrypted("org-d2", ok, entry("org-d2", 11)));
        victim.put("client_ip", donor.get("client_ip"));
        cases.put("org", encode(victim));
        expected.put("org", ErrorCode.TAMPERED);

        cases.put("garbage", "not an encrypted record".getBytes(StandardCharsets.UTF_8));
        expected.put("garbage", ErrorCode.MALFORMED_RECORD);

        kms.disableKey(disabled);
        kms.scheduleKeyDeletion(pending, 7);
        kms.deleteKeyNow(deleted);
        kms.policy(denied).deny(KmsEmulator.DEFAULT_ACCOUNT, KmsAction.values());
        kms.faults().throttleNext(2, KmsOperation.DECRYPT);

        Map<Long, String> caseAtOffset = new HashMap<>();
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            for (Map.Entry<String, byte[]> c : cases.entrySet()) {
                long offset =
                        producer.send(
                                        new ProducerRecord<>(
                                                h.encrypted(),
                                                0,
                                                c.getKey().getBytes(StandardCharsets.UTF_8),
                                                c.getValue()))
                                .get()
                                .offset();
                caseAtOffset.put(offset, c.getKey());
            }
        }
        JobConfig config = h.decryptConfig(kms.endpoint().toString(), h.encrypted(), "");
        JobClient job = JobHarness.start(config);
        List<ConsumerRecord<byte[], byte[]>> letters =
                Topics.readUntil(
                        kafka.bootstrapServers(),
                        h.deadLetters() + "-decrypt",
                        r -> r.size() >= expected.size(),
                        TIMEOUT);
        List<ConsumerRecord<byte[], byte[]>> plaintext =
                Topics.readUntil(
                        kafka.bootstrapServers(), h.plaintext(), r -> r.size() >= 3, TIMEOUT);
        job.cancel().get();
        kms.faults().clear();

        assertThat(plaintext).hasSize(3);
        BinaryMessageDecoder<GenericRecord> plain =
                new BinaryMessageDecoder<>(GenericData.get(), derived.writerSchema());
        for (ConsumerRecord<byte[], byte[]> r : plaintext) {
            String name = new String(r.key(), StandardCharsets.UTF_8);
            assertThat(plain.decode(r.value()).equals(originals.get(name)))
                    .as(name + " decrypts to what was sent")
                    .isTrue();
        }
        assertThat(letters).hasSize(expected.size());
        Map<String, ErrorCode> actual = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : letters) {
            DeadLetter letter = DeadLetter.fromBytes(r.value());
            String name = caseAtOffset.get(letter.sourceOffset());
            actual.put(name, letter.errorCode());
            assertThat(letter.stage()).as(name).isEqualTo(Stage.DECRYPT);
            assertThat(letter.retriable()).as(name).isFalse();
            assertThat(letter.payloadKind()).as(name).isEqualTo(PayloadKind.ENCRYPTED_RECORD);
            assertThat(letter.payload()).as(name).isEqualTo(cases.get(name));
            assertThat(letter.sourceTopic()).isEqualTo(h.encrypted());
            if (!name.equals("garbage")) {
                assertThat(letter.keyArn()).as(name).isNotBlank();
                assertThat(letter.recordIdTopic()).as(name).isEqualTo("records");
            }
            if (letter.errorCode().isRevocation()
                    || name.equals("edek")
                    || name.equals("context")) {
                assertThat(letter.awsErrorCode()).as(name).isNotBlank();
                assertThat(letter.awsRequestId()).as(name).isNotBlank();
            }
        }
        assertThat(actual).isEqualTo(expected);
        assertThat(actual.get("disabled").retriable()).isFalse();
    }

    @Test
    void rewrappedRecordsSurviveTheOldKey() throws Exception {
        JobHarness h = new JobHarness(kafka, "rewrap");
        String oldKey = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
        String newKey = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
        String otherRegion = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-central-1");
        Map<Long, GenericRecord> inputs = new HashMap<>();
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            for (int i = 0; i < 6; i++) {
                GenericRecord input = entry("org-w", 200 + i);
                inputs.put((long) nextOffset, input);
                producer.send(
                                new ProducerRecord<>(
                                        h.encrypted(), 0, null, encrypted("org-w", oldKey, input)))
                        .get();
            }
            // A record of another org is not touched.
            producer.send(
                            new ProducerRecord<>(
                                    h.encrypted(),
                                    0,
                                    null,
                                    encrypted("org-z", oldKey, entry("org-z", 1))))
                    .get();
        }
        long reEncrypts = kms.callCount("ReEncrypt");
        JobConfig rewrap =
                h.rewrapConfig(
                        kms.endpoint().toString(), "org-w", oldKey, newKey, "rewrapped-" + "w");
        JobHarness.start(rewrap).getJobExecutionResult().get();
        List<ConsumerRecord<byte[], byte[]>> rewrapped =
                Topics.readAll(kafka.bootstrapServers(), "rewrapped-w", true, TIMEOUT);
        assertThat(rewrapped).hasSize(6);
        // Each record had its own DEK here, so one ReEncrypt per record.
        assertThat(kms.callCount("ReEncrypt") - reEncrypts).isEqualTo(6);

        kms.disableKey(oldKey);
        DerivedSchemaRegistry registry = new DerivedSchemaRegistry();
        registry.register(derived);
        Decrypter decrypter = new Decrypter(registry, region -> kmsClient);
        RecordOpener opener = RecordOpener.create(registry);
        for (ConsumerRecord<byte[], byte[]> r : rewrapped) {
            var envelope = RecordOpener.envelopeOf(opener.decode(r.value()));
            long offset = envelope.recordId().offset();
            assertThat(envelope.keyArn()).isEqualTo(newKey);
            assertThat(decrypter.decrypt(r.value()).equals(inputs.get(offset)))
                    .as("record " + offset + " decrypts to what was sent")
                    .isTrue();
            assertThat(new String(r.key(), StandardCharsets.UTF_8))
                    .isEqualTo("records/0/" + offset);
        }

        // With the old key disabled, a second re-wrap turns every record into KEY_DISABLED.
        JobConfig again =
                h.rewrapConfig(
                        kms.endpoint().toString(), "org-w", oldKey, otherRegion, "rewrapped-w2");
        JobHarness.start(again).getJobExecutionResult().get();
        List<ConsumerRecord<byte[], byte[]>> refused =
                Topics.readAll(
                        kafka.bootstrapServers(), h.deadLetters() + "-rewrap", true, TIMEOUT);
        assertThat(refused).hasSize(6);
        for (ConsumerRecord<byte[], byte[]> r : refused) {
            DeadLetter letter = DeadLetter.fromBytes(r.value());
            assertThat(letter.errorCode()).isEqualTo(ErrorCode.KEY_DISABLED);
            assertThat(letter.stage()).isEqualTo(Stage.REWRAP);
            assertThat(letter.payloadKind()).isEqualTo(PayloadKind.ENCRYPTED_RECORD);
        }
    }

    @Test
    void crossRegionRewrapDecryptsAndEncryptsAgain() throws Exception {
        JobHarness h = new JobHarness(kafka, "xregion");
        String oldKey = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
        String newKey = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-central-1");
        GenericRecord input = entry("org-c", 300);
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            producer.send(
                            new ProducerRecord<>(
                                    h.encrypted(), 0, null, encrypted("org-c", oldKey, input)))
                    .get();
        }
        long decrypts = kms.callCount("Decrypt");
        long encrypts = kms.callCount("Encrypt");
        JobHarness.start(
                        h.rewrapConfig(
                                kms.endpoint().toString(), "org-c", oldKey, newKey, "rewrapped-c"))
                .getJobExecutionResult()
                .get();
        List<ConsumerRecord<byte[], byte[]>> rewrapped =
                Topics.readAll(kafka.bootstrapServers(), "rewrapped-c", true, TIMEOUT);
        assertThat(rewrapped).hasSize(1);
        assertThat(kms.callCount("Decrypt") - decrypts).isEqualTo(1);
        assertThat(kms.callCount("Encrypt") - encrypts).isEqualTo(1);
        kms.disableKey(oldKey);
        DerivedSchemaRegistry registry = new DerivedSchemaRegistry();
        registry.register(derived);
        KmsClient central = TestAws.syncClient(kms, "eu-central-1");
        Decrypter decrypter =
                new Decrypter(
                        registry, region -> region.equals("eu-central-1") ? central : kmsClient);
        assertThat(decrypter.decrypt(rewrapped.get(0).value()).equals(input))
                .as("the re-wrapped record decrypts to what was sent")
                .isTrue();
        central.close();
        assertThat(SingleObjectEncoding.isSingleObject(rewrapped.get(0).value())).isTrue();
    }
}
