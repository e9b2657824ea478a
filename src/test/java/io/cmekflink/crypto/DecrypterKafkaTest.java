package io.cmekflink.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cmekflink.datakey.DataKeyEntry;
import io.cmekflink.datakey.DataKeyException;
import io.cmekflink.datakey.DataKeyLookup;
import io.cmekflink.datakey.DataKeyPublisher;
import io.cmekflink.datakey.DataKeyReference;
import io.cmekflink.dek.Dek;
import io.cmekflink.kms.KmsCallException;
import io.cmekflink.kms.KmsErrorKind;
import io.cmekflink.local.EmbeddedKafka;
import io.cmekflink.local.kms.KmsEmulator;
import io.cmekflink.schema.DerivedSchemaRegistry;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.DataKeySpec;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyResponse;

/**
 * The {@link Decrypter} on records of both envelope layouts, with DEKs that the KMS emulator
 * generated through the real SDK and data-key entries on a broker in this JVM. Each test has its
 * own data-key topic and keys.
 */
class DecrypterKafkaTest {

    private static final String REGION = "eu-west-1";
    private static final Duration LOOKUP_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration LOOKUP_WAIT = Duration.ofSeconds(30);
    private static final AtomicInteger TOPICS = new AtomicInteger();
    private static final SecureRandom RANDOM = new SecureRandom();

    private static EmbeddedKafka kafka;
    private static KmsEmulator kms;
    private static KmsClient kmsClient;

    private final RecordSealer sealer = RecordSealer.create(Sample.DERIVED);
    private final DerivedSchemaRegistry registry = new DerivedSchemaRegistry();
    private String topic;
    private DataKeyLookup lookup;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start(0);
        kms = KmsEmulator.start(0);
        kmsClient = kms.defaultAccountClient(REGION);
    }

    @AfterAll
    static void stop() throws Exception {
        kmsClient.close();
        kms.close();
        kafka.close();
    }

    @BeforeEach
    void createTopic() throws Exception {
        registry.register(Sample.DERIVED);
        topic = "data-keys-" + TOPICS.incrementAndGet();
        kafka.createCompactedTopics(1, List.of(topic));
        lookup = new DataKeyLookup(settings(), topic, LOOKUP_TIMEOUT);
    }

    @AfterEach
    void closeLookup() {
        lookup.close();
    }

    private static Map<String, String> settings() {
        return Map.of("bootstrap.servers", kafka.bootstrapServers());
    }

    private Decrypter decrypterWithLookup() {
        return new Decrypter(registry, region -> kmsClient, lookup, LOOKUP_WAIT);
    }

    private static String newKey() {
        return kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);
    }

    private static GenerateDataKeyResponse generateDataKey(String org, String keyArn) {
        return kmsClient.generateDataKey(
                r ->
                        r.keyId(keyArn)
                                .keySpec(DataKeySpec.AES_256)
                                .encryptionContext(EncryptionContext.of(org)));
    }

    /** Publishes {@code entry} to this test's data-key topic and returns its reference. */
    private DataKeyReference publish(DataKeyEntry entry) throws Exception {
        try (DataKeyPublisher publisher = new DataKeyPublisher(settings(), topic)) {
            return publisher.publish(entry).get(30, TimeUnit.SECONDS);
        }
    }

    /**
     * Generates a DEK of {@code org} under {@code keyArn} and publishes its entry, which names
     * {@code entryKeyArn}, and returns the DEK, whose records carry the entry's reference.
     */
    private Dek referencedDek(String org, String keyArn, String entryKeyArn) throws Exception {
        GenerateDataKeyResponse generated = generateDataKey(org, keyArn);
        byte[] edek = generated.ciphertextBlob().asByteArray();
        DataKeyReference reference =
                publish(new DataKeyEntry(org, entryKeyArn, edek, System.currentTimeMillis()));
        return Dek.takeOwnershipForEncryption(
                generated.plaintext().asByteArray(),
                edek,
                keyArn,
                reference.toBytes(),
                1L << 32,
                RANDOM.nextInt());
    }

    /** Generates a DEK of {@code org} under {@code keyArn} whose records carry the EDEK. */
    private static Dek edekDek(String org, String keyArn) {
        GenerateDataKeyResponse generated = generateDataKey(org, keyArn);
        return Dek.takeOwnershipForEncryption(
                generated.plaintext().asByteArray(),
                generated.ciphertextBlob().asByteArray(),
                keyArn,
                1L << 32,
                RANDOM.nextInt());
    }

    /**
     * Creates a DEK with a random key that KMS never saw, whose records carry {@code reference}: a
     * stand-in for a sealer that copies or forges a reference.
     */
    private static Dek unknownDek(String keyArn, byte[] reference) {
        byte[] key = new byte[Dek.KEY_BYTES];
        RANDOM.nextBytes(key);
        return Dek.takeOwnershipForEncryption(
                key, new byte[] {1}, keyArn, reference, 1L << 32, RANDOM.nextInt());
    }

    private static GenericRecord input(String org, int number) {
        return Sample.normalise(Sample.record(org, "request-" + number));
    }

    private byte[] seal(GenericRecord input, String org, int offset, Dek dek) throws Exception {
        return sealer.sealToBytes(input, org, new RecordId("requests", 0, offset), dek);
    }

    @Test
    void referencesDecryptWithOneLookupPerDek() throws Exception {
        String keyArn = newKey();
        Dek dek = referencedDek("org-a", keyArn, keyArn);
        List<GenericRecord> inputs = new ArrayList<>();
        List<byte[]> sealed = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            inputs.add(input("org-a", i));
            sealed.add(seal(inputs.get(i), "org-a", i, dek));
        }
        Decrypter decrypter = decrypterWithLookup();

        for (int i = 0; i < 3; i++) {
            assertThat(decrypter.decrypt(sealed.get(i))).isEqualTo(inputs.get(i));
        }
        assertThat(decrypter.dataKeyLookups()).isEqualTo(1);
        assertThat(decrypter.kmsCalls()).isEqualTo(1);
    }

    @Test
    void decrypterWithLookupStillReadsEdeks() throws Exception {
        String keyArn = newKey();
        GenericRecord input = input("org-a", 7);
        byte[] sealed = seal(input, "org-a", 7, edekDek("org-a", keyArn));
        Decrypter decrypter = decrypterWithLookup();

        assertThat(decrypter.decrypt(sealed)).isEqualTo(input);
        assertThat(decrypter.dataKeyLookups()).isZero();
        assertThat(decrypter.kmsCalls()).isEqualTo(1);
    }

    @Test
    void referenceWithoutLookupNamesFix() throws Exception {
        String keyArn = newKey();
        byte[] sealed = seal(input("org-a", 1), "org-a", 1, referencedDek("org-a", keyArn, keyArn));
        Decrypter decrypter = new Decrypter(registry, region -> kmsClient);

        assertThatThrownBy(() -> decrypter.decrypt(sealed))
                .isInstanceOfSatisfying(
                        DataKeyException.class, e -> assertThat(e.retriable()).isFalse())
                .hasMessageContaining("this Decrypter has no DataKeyLookup")
                .hasMessageContaining(
                        "give the Decrypter the data-key topic that the encrypt job wrote");
        assertThat(decrypter.kmsCalls()).isZero();
    }

    @Test
    void entryOfOtherOrgIsRejected() throws Exception {
        String keyArn = newKey();
        Dek orgA = referencedDek("org-a", keyArn, keyArn);
        // A record of org-b that carries the reference to org-a's entry, as a record moved to
        // another org or a forged reference would.
        byte[] orgBRecord =
                seal(input("org-b", 2), "org-b", 2, unknownDek(keyArn, orgA.reference()));
        GenericRecord orgAInput = input("org-a", 3);
        byte[] orgARecord = seal(orgAInput, "org-a", 3, orgA);
        Decrypter decrypter = decrypterWithLookup();

        for (int attempt = 0; attempt < 2; attempt++) {
            assertThatThrownBy(() -> decrypter.decrypt(orgBRecord))
                    .isInstanceOfSatisfying(
                            DataKeyException.class, e -> assertThat(e.retriable()).isFalse())
                    .hasMessageEndingWith(
                            "names an entry of org org-a, but the record belongs to org org-b");
        }
        // The failure is kept, so the second attempt looked nothing up, and KMS saw no call.
        assertThat(decrypter.dataKeyLookups()).isEqualTo(1);
        assertThat(decrypter.kmsCalls()).isZero();
        // The same reference still opens the records of its own org.
        assertThat(decrypter.decrypt(orgARecord)).isEqualTo(orgAInput);
    }

    @Test
    void disabledKeyFailsWithDisabled() throws Exception {
        String keyArn = newKey();
        byte[] sealed = seal(input("org-a", 4), "org-a", 4, referencedDek("org-a", keyArn, keyArn));
        kms.disableKey(keyArn);
        Decrypter decrypter = decrypterWithLookup();

        assertThatThrownBy(() -> decrypter.decrypt(sealed))
                .isInstanceOfSatisfying(
                        KmsCallException.class,
                        e -> {
                            assertThat(e.kind()).isEqualTo(KmsErrorKind.DISABLED);
                            assertThat(e.keyArn()).isEqualTo(keyArn);
                        });
        assertThat(decrypter.kmsCalls()).isEqualTo(1);
    }

    @Test
    void otherKeyReportedIsKeyMismatch() throws Exception {
        String keyArn = newKey();
        // KMS resolves a bare key id and reports the key's full ARN, which differs from the
        // key id that the entry names.
        String keyId = keyArn.substring(keyArn.lastIndexOf('/') + 1);
        byte[] sealed = seal(input("org-a", 5), "org-a", 5, referencedDek("org-a", keyArn, keyId));
        Decrypter decrypter = decrypterWithLookup();

        assertThatThrownBy(() -> decrypter.decrypt(sealed))
                .isInstanceOfSatisfying(
                        KmsCallException.class,
                        e -> assertThat(e.kind()).isEqualTo(KmsErrorKind.KEY_MISMATCH))
                .hasMessageContaining("KMS used key " + keyArn);
    }

    @Test
    void lookupLongerThanWaitIsRetriable() throws Exception {
        String keyArn = newKey();
        Dek dek = referencedDek("org-a", keyArn, keyArn);
        // A reference one offset past the entry: the lookup waits its whole timeout for it.
        DataKeyReference published = DataKeyReference.parse(dek.reference());
        DataKeyReference ahead =
                DataKeyReference.of(published.partition(), published.offset() + 1, new byte[16]);
        byte[] sealed = seal(input("org-a", 6), "org-a", 6, unknownDek(keyArn, ahead.toBytes()));
        Decrypter decrypter =
                new Decrypter(registry, region -> kmsClient, lookup, Duration.ofMillis(300));

        long start = System.nanoTime();
        assertThatThrownBy(() -> decrypter.decrypt(sealed))
                .isInstanceOfSatisfying(
                        DataKeyException.class, e -> assertThat(e.retriable()).isTrue())
                .hasMessage(
                        "looking up data-key reference partition 0 offset "
                                + ahead.offset()
                                + " did not complete within 300 ms: check that the brokers are"
                                + " reachable, or raise the lookup wait");
        assertThat(Duration.ofNanos(System.nanoTime() - start))
                .isLessThan(LOOKUP_TIMEOUT.dividedBy(2));
        assertThat(decrypter.kmsCalls()).isZero();
    }

    @Test
    void constructorRejectsNonPositiveWait() {
        assertThatThrownBy(
                        () -> new Decrypter(registry, region -> kmsClient, lookup, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("lookupWait must be positive, got PT0S");
    }
}
