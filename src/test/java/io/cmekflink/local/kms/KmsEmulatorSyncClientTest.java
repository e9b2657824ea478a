package io.cmekflink.local.kms;

import static io.cmekflink.local.kms.KmsAssertions.REQUEST_ID_PATTERN;
import static io.cmekflink.local.kms.KmsAssertions.assertKmsError;
import static io.cmekflink.local.kms.KmsTestClients.OTHER_REGION;
import static io.cmekflink.local.kms.KmsTestClients.REGION;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.AlreadyExistsException;
import software.amazon.awssdk.services.kms.model.DataKeySpec;
import software.amazon.awssdk.services.kms.model.DecryptResponse;
import software.amazon.awssdk.services.kms.model.DependencyTimeoutException;
import software.amazon.awssdk.services.kms.model.DescribeKeyResponse;
import software.amazon.awssdk.services.kms.model.DisabledException;
import software.amazon.awssdk.services.kms.model.EncryptResponse;
import software.amazon.awssdk.services.kms.model.EncryptionAlgorithmSpec;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyResponse;
import software.amazon.awssdk.services.kms.model.IncorrectKeyException;
import software.amazon.awssdk.services.kms.model.InvalidCiphertextException;
import software.amazon.awssdk.services.kms.model.InvalidKeyUsageException;
import software.amazon.awssdk.services.kms.model.KeyManagerType;
import software.amazon.awssdk.services.kms.model.KeyMetadata;
import software.amazon.awssdk.services.kms.model.KeySpec;
import software.amazon.awssdk.services.kms.model.KeyUnavailableException;
import software.amazon.awssdk.services.kms.model.KeyUsageType;
import software.amazon.awssdk.services.kms.model.KmsException;
import software.amazon.awssdk.services.kms.model.KmsInternalException;
import software.amazon.awssdk.services.kms.model.KmsInvalidStateException;
import software.amazon.awssdk.services.kms.model.MultiRegionKeyType;
import software.amazon.awssdk.services.kms.model.NotFoundException;
import software.amazon.awssdk.services.kms.model.OriginType;
import software.amazon.awssdk.services.kms.model.ReEncryptResponse;
import software.amazon.awssdk.services.kms.model.ReplicateKeyResponse;
import software.amazon.awssdk.services.kms.model.ScheduleKeyDeletionResponse;

/** Every emulated operation and error through the real synchronous {@link KmsClient}. */
class KmsEmulatorSyncClientTest {

    private static final Map<String, String> CONTEXT = Map.of("org_id", "org-7", "purpose", "dek");

    private KmsEmulator emulator;
    private KmsClient kms;

    @BeforeEach
    void start() {
        emulator = KmsEmulator.start();
        kms = KmsTestClients.sync(emulator);
    }

    @AfterEach
    void stop() {
        kms.close();
        emulator.close();
    }

    @Test
    @SuppressWarnings("deprecation") // KMS still returns the deprecated CustomerMasterKeySpec.
    void createKeyReturnsFullMetadata() {
        Instant before = Instant.now().minusSeconds(1);

        KeyMetadata metadata = kms.createKey(b -> b.description("org-7 key")).keyMetadata();

        assertThat(metadata.awsAccountId()).isEqualTo(KmsEmulator.DEFAULT_ACCOUNT);
        assertThat(metadata.keyId()).matches("[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}");
        assertThat(metadata.arn())
                .isEqualTo("arn:aws:kms:us-west-2:111122223333:key/" + metadata.keyId());
        assertThat(metadata.creationDate()).isAfter(before);
        assertThat(metadata.enabled()).isTrue();
        assertThat(metadata.description()).isEqualTo("org-7 key");
        assertThat(metadata.keyUsage()).isEqualTo(KeyUsageType.ENCRYPT_DECRYPT);
        assertThat(metadata.keyStateAsString()).isEqualTo("Enabled");
        assertThat(metadata.keySpec()).isEqualTo(KeySpec.SYMMETRIC_DEFAULT);
        assertThat(metadata.customerMasterKeySpecAsString()).isEqualTo("SYMMETRIC_DEFAULT");
        assertThat(metadata.encryptionAlgorithms())
                .containsExactly(EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT);
        assertThat(metadata.keyManager()).isEqualTo(KeyManagerType.CUSTOMER);
        assertThat(metadata.origin()).isEqualTo(OriginType.AWS_KMS);
        assertThat(metadata.multiRegion()).isFalse();
        assertThat(metadata.multiRegionConfiguration()).isNull();
        assertThat(metadata.deletionDate()).isNull();
        assertThat(metadata.pendingDeletionWindowInDays()).isNull();
    }

    @Test
    void describeKeyByIdAndArn() {
        KeyMetadata created = kms.createKey(b -> b.description("d")).keyMetadata();

        DescribeKeyResponse byId = kms.describeKey(b -> b.keyId(created.keyId()));
        DescribeKeyResponse byArn = kms.describeKey(b -> b.keyId(created.arn()));

        assertThat(byId.keyMetadata()).isEqualTo(created);
        assertThat(byArn.keyMetadata()).isEqualTo(created);
        assertThat(byId.responseMetadata().requestId()).matches(REQUEST_ID_PATTERN);
    }

    @Test
    void generateDataKeyAes256RoundTrip() {
        String arn = emulator.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);

        GenerateDataKeyResponse dataKey =
                kms.generateDataKey(
                        b -> b.keyId(arn).keySpec(DataKeySpec.AES_256).encryptionContext(CONTEXT));
        DecryptResponse decrypted =
                kms.decrypt(
                        b -> b.ciphertextBlob(dataKey.ciphertextBlob()).encryptionContext(CONTEXT));

        assertThat(dataKey.plaintext().asByteArray()).hasSize(32);
        assertThat(dataKey.ciphertextBlob().asByteArray()).hasSize(184);
        assertThat(dataKey.keyId()).isEqualTo(arn);
        assertThat(decrypted.plaintext()).isEqualTo(dataKey.plaintext());
        assertThat(decrypted.keyId()).isEqualTo(arn);
        assertThat(decrypted.encryptionAlgorithm())
                .isEqualTo(EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT);
    }

    @Test
    void generateDataKeyOtherLengths() {
        String arn = emulator.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);

        GenerateDataKeyResponse aes128 =
                kms.generateDataKey(b -> b.keyId(arn).keySpec(DataKeySpec.AES_128));
        GenerateDataKeyResponse bytes64 = kms.generateDataKey(b -> b.keyId(arn).numberOfBytes(64));
        GenerateDataKeyResponse bytes1024 =
                kms.generateDataKey(b -> b.keyId(arn).numberOfBytes(1024));

        assertThat(aes128.plaintext().asByteArray()).hasSize(16);
        assertThat(aes128.ciphertextBlob().asByteArray()).hasSize(168);
        assertThat(bytes64.plaintext().asByteArray()).hasSize(64);
        assertThat(bytes64.ciphertextBlob().asByteArray()).hasSize(216);
        assertThat(bytes1024.plaintext().asByteArray()).hasSize(1024);
    }

    @Test
    void generateDataKeyRejectsInvalidLengths() {
        String arn = emulator.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);

        assertKmsError(
                KmsException.class,
                "ValidationException",
                400,
                () ->
                        kms.generateDataKey(
                                b -> b.keyId(arn).keySpec(DataKeySpec.AES_256).numberOfBytes(32)));
        assertKmsError(
                KmsException.class,
                "ValidationException",
                400,
                () -> kms.generateDataKey(b -> b.keyId(arn)));
        assertKmsError(
                KmsException.class,
                "ValidationException",
                400,
                () -> kms.generateDataKey(b -> b.keyId(arn).numberOfBytes(1025)));
        assertKmsError(
                KmsException.class,
                "ValidationException",
                400,
                () -> kms.generateDataKey(b -> b.keyId(arn).numberOfBytes(0)));
    }

    @Test
    void encryptDecryptUpTo4096Bytes() {
        String arn = emulator.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);
        byte[] plaintext = new byte[4096];
        Arrays.fill(plaintext, (byte) 0x5a);

        EncryptResponse encrypted =
                kms.encrypt(
                        b ->
                                b.keyId(arn)
                                        .plaintext(SdkBytes.fromByteArray(plaintext))
                                        .encryptionContext(CONTEXT));
        DecryptResponse decrypted =
                kms.decrypt(
                        b ->
                                b.ciphertextBlob(encrypted.ciphertextBlob())
                                        .encryptionContext(CONTEXT)
                                        .keyId(arn));

        assertThat(encrypted.keyId()).isEqualTo(arn);
        assertThat(encrypted.encryptionAlgorithm())
                .isEqualTo(EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT);
        assertThat(encrypted.ciphertextBlob().asByteArray()).hasSize(152 + 4096);
        assertThat(decrypted.plaintext().asByteArray()).isEqualTo(plaintext);
    }

    @Test
    void encryptRejectsPlaintextOver4096Bytes() {
        String arn = emulator.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);
        SdkBytes tooLarge = SdkBytes.fromByteArray(new byte[4097]);

        KmsException error =
                assertKmsError(
                        KmsException.class,
                        "ValidationException",
                        400,
                        () -> kms.encrypt(b -> b.keyId(arn).plaintext(tooLarge)));

        assertThat(error.awsErrorDetails().errorMessage())
                .isEqualTo(
                        "1 validation error detected: Value at 'plaintext' failed to satisfy"
                                + " constraint: Member must have length less than or equal to"
                                + " 4096");
    }

    @Test
    void decryptEnforcesEncryptionContext() {
        String arn = emulator.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);
        SdkBytes blob =
                kms.generateDataKey(
                                b ->
                                        b.keyId(arn)
                                                .keySpec(DataKeySpec.AES_256)
                                                .encryptionContext(CONTEXT))
                        .ciphertextBlob();

        assertKmsError(
                InvalidCiphertextException.class,
                "InvalidCiphertextException",
                400,
                () -> kms.decrypt(b -> b.ciphertextBlob(blob)));
        assertKmsError(
                InvalidCiphertextException.class,
                "InvalidCiphertextException",
                400,
                () ->
                        kms.decrypt(
                                b ->
                                        b.ciphertextBlob(blob)
                                                .encryptionContext(Map.of("org_id", "org-7"))));
        assertKmsError(
                InvalidCiphertextException.class,
                "InvalidCiphertextException",
                400,
                () ->
                        kms.decrypt(
                                b ->
                                        b.ciphertextBlob(blob)
                                                .encryptionContext(
                                                        Map.of(
                                                                "org_id", "org-8",
                                                                "purpose", "dek"))));
        assertThat(kms.decrypt(b -> b.ciphertextBlob(blob).encryptionContext(CONTEXT)).keyId())
                .isEqualTo(arn);
    }

    @Test
    void decryptWithOtherKeyIdIsIncorrectKey() {
        String arn = emulator.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);
        String otherArn = emulator.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);
        SdkBytes blob =
                kms.generateDataKey(b -> b.keyId(arn).keySpec(DataKeySpec.AES_256))
                        .ciphertextBlob();

        assertKmsError(
                IncorrectKeyException.class,
                "IncorrectKeyException",
                400,
                () -> kms.decrypt(b -> b.ciphertextBlob(blob).keyId(otherArn)));
        String bareId = arn.substring(arn.indexOf('/') + 1);
        assertThat(kms.decrypt(b -> b.ciphertextBlob(blob).keyId(bareId)).keyId()).isEqualTo(arn);
    }

    @Test
    void decryptRejectsTamperedAndForeignBlobs() {
        String arn = emulator.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);
        byte[] blob =
                kms.generateDataKey(b -> b.keyId(arn).keySpec(DataKeySpec.AES_256))
                        .ciphertextBlob()
                        .asByteArray();

        for (int offset : new int[] {0, 1, 20, 100, 140, 183}) {
            byte[] tampered = blob.clone();
            tampered[offset] ^= 0x01;
            assertKmsError(
                    InvalidCiphertextException.class,
                    "InvalidCiphertextException",
                    400,
                    () -> kms.decrypt(b -> b.ciphertextBlob(SdkBytes.fromByteArray(tampered))));
        }
        assertKmsError(
                InvalidCiphertextException.class,
                "InvalidCiphertextException",
                400,
                () -> kms.decrypt(b -> b.ciphertextBlob(SdkBytes.fromByteArray(new byte[184]))));
        assertKmsError(
                InvalidCiphertextException.class,
                "InvalidCiphertextException",
                400,
                () -> kms.decrypt(b -> b.ciphertextBlob(SdkBytes.fromUtf8String("short"))));
    }

    @Test
    void reEncryptToOtherKey() {
        String oldArn = emulator.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);
        String newArn = emulator.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);
        GenerateDataKeyResponse dataKey =
                kms.generateDataKey(
                        b ->
                                b.keyId(oldArn)
                                        .keySpec(DataKeySpec.AES_256)
                                        .encryptionContext(CONTEXT));
        Map<String, String> newContext = Map.of("org_id", "org-7", "purpose", "rewrap");

        ReEncryptResponse reEncrypted =
                kms.reEncrypt(
                        b ->
                                b.ciphertextBlob(dataKey.ciphertextBlob())
                                        .sourceEncryptionContext(CONTEXT)
                                        .sourceKeyId(oldArn)
                                        .destinationKeyId(newArn)
                                        .destinationEncryptionContext(newContext));
        DecryptResponse decrypted =
                kms.decrypt(
                        b ->
                                b.ciphertextBlob(reEncrypted.ciphertextBlob())
                                        .encryptionContext(newContext));

        assertThat(reEncrypted.sourceKeyId()).isEqualTo(oldArn);
        assertThat(reEncrypted.keyId()).isEqualTo(newArn);
        assertThat(reEncrypted.ciphertextBlob().asByteArray()).hasSize(184);
        assertThat(decrypted.keyId()).isEqualTo(newArn);
        assertThat(decrypted.plaintext()).isEqualTo(dataKey.plaintext());
    }

    @Test
    void reEncryptErrors() {
        String arn = emulator.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);
        String otherArn = emulator.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);
        String otherRegionArn = emulator.createKey(KmsEmulator.DEFAULT_ACCOUNT, OTHER_REGION);
        SdkBytes blob =
                kms.generateDataKey(
                                b ->
                                        b.keyId(arn)
                                                .keySpec(DataKeySpec.AES_256)
                                                .encryptionContext(CONTEXT))
                        .ciphertextBlob();

        assertKmsError(
                InvalidCiphertextException.class,
                "InvalidCiphertextException",
                400,
                () -> kms.reEncrypt(b -> b.ciphertextBlob(blob).destinationKeyId(otherArn)));
        assertKmsError(
                IncorrectKeyException.class,
                "IncorrectKeyException",
                400,
                () ->
                        kms.reEncrypt(
                                b ->
                                        b.ciphertextBlob(blob)
                                                .sourceEncryptionContext(CONTEXT)
                                                .sourceKeyId(otherArn)
                                                .destinationKeyId(otherArn)));
        NotFoundException otherRegion =
                assertKmsError(
                        NotFoundException.class,
                        "NotFoundException",
                        400,
                        () ->
                                kms.reEncrypt(
                                        b ->
                                                b.ciphertextBlob(blob)
                                                        .sourceEncryptionContext(CONTEXT)
                                                        .destinationKeyId(otherRegionArn)));
        assertThat(otherRegion.awsErrorDetails().errorMessage())
                .isEqualTo("Invalid arn " + OTHER_REGION);
        emulator.disableKey(otherArn);
        assertKmsError(
                DisabledException.class,
                "DisabledException",
                400,
                () ->
                        kms.reEncrypt(
                                b ->
                                        b.ciphertextBlob(blob)
                                                .sourceEncryptionContext(CONTEXT)
                                                .destinationKeyId(otherArn)));
    }

    @Test
    void getKeyRotationStatusReportsFlag() {
        String arn = emulator.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);

        assertThat(kms.getKeyRotationStatus(b -> b.keyId(arn)).keyRotationEnabled()).isFalse();
        emulator.setKeyRotationEnabled(arn, true);
        assertThat(kms.getKeyRotationStatus(b -> b.keyId(arn)).keyRotationEnabled()).isTrue();
    }

    @Test
    void disabledKeyRefusesCryptoUntilEnabled() {
        String arn = kms.createKey(b -> {}).keyMetadata().arn();
        SdkBytes blob =
                kms.generateDataKey(b -> b.keyId(arn).keySpec(DataKeySpec.AES_256))
                        .ciphertextBlob();

        kms.disableKey(b -> b.keyId(arn));

        DisabledException error =
                assertKmsError(
                        DisabledException.class,
                        "DisabledException",
                        400,
                        () -> kms.generateDataKey(b -> b.keyId(arn).keySpec(DataKeySpec.AES_256)));
        assertThat(error.awsErrorDetails().errorMessage()).isEqualTo(arn + " is disabled.");
        assertKmsError(
                DisabledException.class,
                "DisabledException",
                400,
                () -> kms.decrypt(b -> b.ciphertextBlob(blob)));
        assertKmsError(
                DisabledException.class,
                "DisabledException",
                400,
                () -> kms.encrypt(b -> b.keyId(arn).plaintext(SdkBytes.fromUtf8String("x"))));
        KeyMetadata disabled = kms.describeKey(b -> b.keyId(arn)).keyMetadata();
        assertThat(disabled.keyStateAsString()).isEqualTo("Disabled");
        assertThat(disabled.enabled()).isFalse();
        assertThat(kms.getKeyRotationStatus(b -> b.keyId(arn)).keyRotationEnabled()).isFalse();

        kms.enableKey(b -> b.keyId(arn));

        assertThat(kms.decrypt(b -> b.ciphertextBlob(blob)).keyId()).isEqualTo(arn);
        assertThat(emulator.keyState(arn)).isEqualTo(KeyState.ENABLED);
    }

    @Test
    void scheduledDeletionRefusesUseUntilCancelled() {
        String arn = kms.createKey(b -> {}).keyMetadata().arn();
        SdkBytes blob =
                kms.generateDataKey(b -> b.keyId(arn).keySpec(DataKeySpec.AES_256))
                        .ciphertextBlob();
        Instant earliest = Instant.now().plus(Duration.ofDays(7)).minusSeconds(5);

        ScheduleKeyDeletionResponse scheduled =
                kms.scheduleKeyDeletion(b -> b.keyId(arn).pendingWindowInDays(7));

        assertThat(scheduled.keyId()).isEqualTo(arn);
        assertThat(scheduled.keyStateAsString()).isEqualTo("PendingDeletion");
        assertThat(scheduled.pendingWindowInDays()).isEqualTo(7);
        assertThat(scheduled.deletionDate()).isAfter(earliest);
        KeyMetadata pending = kms.describeKey(b -> b.keyId(arn)).keyMetadata();
        assertThat(pending.keyStateAsString()).isEqualTo("PendingDeletion");
        assertThat(pending.enabled()).isFalse();
        assertThat(pending.pendingDeletionWindowInDays()).isEqualTo(7);
        assertThat(pending.deletionDate()).isEqualTo(scheduled.deletionDate());
        KmsInvalidStateException error =
                assertKmsError(
                        KmsInvalidStateException.class,
                        "KMSInvalidStateException",
                        400,
                        () -> kms.decrypt(b -> b.ciphertextBlob(blob)));
        assertThat(error.awsErrorDetails().errorMessage()).isEqualTo(arn + " is pending deletion.");
        assertKmsError(
                KmsInvalidStateException.class,
                "KMSInvalidStateException",
                400,
                () -> kms.generateDataKey(b -> b.keyId(arn).keySpec(DataKeySpec.AES_256)));
        assertKmsError(
                KmsInvalidStateException.class,
                "KMSInvalidStateException",
                400,
                () -> kms.enableKey(b -> b.keyId(arn)));
        assertKmsError(
                KmsInvalidStateException.class,
                "KMSInvalidStateException",
                400,
                () -> kms.getKeyRotationStatus(b -> b.keyId(arn)));

        assertThat(kms.cancelKeyDeletion(b -> b.keyId(arn)).keyId()).isEqualTo(arn);

        assertThat(kms.describeKey(b -> b.keyId(arn)).keyMetadata().keyStateAsString())
                .isEqualTo("Disabled");
        assertKmsError(
                DisabledException.class,
                "DisabledException",
                400,
                () -> kms.decrypt(b -> b.ciphertextBlob(blob)));
    }

    @Test
    void scheduleKeyDeletionValidatesWindow() {
        String arn = emulator.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);

        assertKmsError(
                KmsException.class,
                "ValidationException",
                400,
                () -> kms.scheduleKeyDeletion(b -> b.keyId(arn).pendingWindowInDays(6)));
        assertKmsError(
                KmsException.class,
                "ValidationException",
                400,
                () -> kms.scheduleKeyDeletion(b -> b.keyId(arn).pendingWindowInDays(31)));
        assertThat(kms.scheduleKeyDeletion(b -> b.keyId(arn)).pendingWindowInDays()).isEqualTo(30);
        assertKmsError(
                KmsInvalidStateException.class,
                "KMSInvalidStateException",
                400,
                () -> kms.scheduleKeyDeletion(b -> b.keyId(arn)));
    }

    @Test
    void cancelKeyDeletionRequiresPendingDeletion() {
        String arn = emulator.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);

        KmsInvalidStateException error =
                assertKmsError(
                        KmsInvalidStateException.class,
                        "KMSInvalidStateException",
                        400,
                        () -> kms.cancelKeyDeletion(b -> b.keyId(arn)));

        assertThat(error.awsErrorDetails().errorMessage())
                .isEqualTo(arn + " is not pending deletion.");
    }

    @Test
    void deletedKeyNotFound() {
        String arn = emulator.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);
        SdkBytes blob =
                kms.generateDataKey(b -> b.keyId(arn).keySpec(DataKeySpec.AES_256))
                        .ciphertextBlob();
        emulator.scheduleKeyDeletion(arn, 7);

        emulator.deleteKeyNow(arn);

        NotFoundException notFound =
                assertKmsError(
                        NotFoundException.class,
                        "NotFoundException",
                        400,
                        () -> kms.describeKey(b -> b.keyId(arn)));
        assertThat(notFound.awsErrorDetails().errorMessage())
                .isEqualTo("Key '" + arn + "' does not exist");
        assertKmsError(
                KmsException.class,
                "AccessDeniedException",
                400,
                () -> kms.decrypt(b -> b.ciphertextBlob(blob)));
        assertThat(emulator.keyExists(arn)).isFalse();
    }

    @Test
    void unresolvableKeyIdsNotFound() {
        String otherRegionArn = emulator.createKey(KmsEmulator.DEFAULT_ACCOUNT, OTHER_REGION);
        String missingId = "1234abcd-12ab-34cd-56ef-1234567890ab";

        NotFoundException missing =
                assertKmsError(
                        NotFoundException.class,
                        "NotFoundException",
                        400,
                        () -> kms.describeKey(b -> b.keyId(missingId)));
        NotFoundException alias =
                assertKmsError(
                        NotFoundException.class,
                        "NotFoundException",
                        400,
                        () -> kms.generateDataKey(b -> b.keyId("alias/org-7").numberOfBytes(32)));
        NotFoundException aliasArn =
                assertKmsError(
                        NotFoundException.class,
                        "NotFoundException",
                        400,
                        () ->
                                kms.describeKey(
                                        b ->
                                                b.keyId(
                                                        "arn:aws:kms:us-west-2:111122223333:alias/org-7")));
        NotFoundException otherRegion =
                assertKmsError(
                        NotFoundException.class,
                        "NotFoundException",
                        400,
                        () -> kms.describeKey(b -> b.keyId(otherRegionArn)));
        NotFoundException malformed =
                assertKmsError(
                        NotFoundException.class,
                        "NotFoundException",
                        400,
                        () -> kms.describeKey(b -> b.keyId("not-a-key")));

        assertThat(missing.awsErrorDetails().errorMessage())
                .isEqualTo(
                        "Key 'arn:aws:kms:us-west-2:111122223333:key/"
                                + missingId
                                + "' does not exist");
        assertThat(alias.awsErrorDetails().errorMessage()).contains("does not support aliases");
        assertThat(aliasArn.awsErrorDetails().errorMessage()).contains("does not support aliases");
        assertThat(otherRegion.awsErrorDetails().errorMessage()).isEqualTo("Invalid arn us-east-2");
        assertThat(malformed.awsErrorDetails().errorMessage())
                .isEqualTo("Invalid keyId 'not-a-key'");
    }

    @Test
    void invalidKeyUsageRejected() {
        String macArn = emulator.createMacKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);
        String arn = emulator.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);

        InvalidKeyUsageException macError =
                assertKmsError(
                        InvalidKeyUsageException.class,
                        "InvalidKeyUsageException",
                        400,
                        () ->
                                kms.generateDataKey(
                                        b -> b.keyId(macArn).keySpec(DataKeySpec.AES_256)));
        assertKmsError(
                InvalidKeyUsageException.class,
                "InvalidKeyUsageException",
                400,
                () ->
                        kms.encrypt(
                                b ->
                                        b.keyId(arn)
                                                .plaintext(SdkBytes.fromUtf8String("x"))
                                                .encryptionAlgorithm(
                                                        EncryptionAlgorithmSpec
                                                                .RSAES_OAEP_SHA_256)));

        assertThat(macError.awsErrorDetails().errorMessage())
                .isEqualTo(
                        macArn
                                + " key usage is GENERATE_VERIFY_MAC which is not valid for"
                                + " GenerateDataKey.");
        assertThat(kms.describeKey(b -> b.keyId(macArn)).keyMetadata().keySpec())
                .isEqualTo(KeySpec.HMAC_256);
    }

    @Test
    void unknownAccessKeyIsUnrecognizedClient() {
        try (KmsClient stranger =
                KmsTestClients.sync(emulator, "AKIAUNKNOWN000000000", "secret", REGION)) {

            KmsException error =
                    assertKmsError(
                            KmsException.class,
                            "UnrecognizedClientException",
                            400,
                            () -> stranger.createKey(b -> {}));

            assertThat(error.awsErrorDetails().errorMessage())
                    .isEqualTo("The security token included in the request is invalid.");
        }
    }

    @Test
    void wrongSecretInvalidSignature() {
        try (KmsClient forger =
                KmsTestClients.sync(
                        emulator, KmsEmulator.DEFAULT_ACCESS_KEY_ID, "wrong-secret", REGION)) {

            assertKmsError(
                    KmsException.class,
                    "InvalidSignatureException",
                    400,
                    () -> forger.createKey(b -> {}));
            emulator.setSignatureVerification(false);

            assertThat(forger.createKey(b -> {}).keyMetadata().awsAccountId())
                    .isEqualTo(KmsEmulator.DEFAULT_ACCOUNT);
        }
    }

    @Test
    void injectedServerErrorsSurfaceAsModeledExceptions() {
        String arn = emulator.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);
        emulator.faults()
                .failNext(1, KmsErrorType.KMS_INTERNAL)
                .failNext(1, KmsErrorType.DEPENDENCY_TIMEOUT)
                .failNext(1, KmsErrorType.KEY_UNAVAILABLE);

        assertKmsError(
                KmsInternalException.class,
                "KMSInternalException",
                500,
                () -> kms.generateDataKey(b -> b.keyId(arn).keySpec(DataKeySpec.AES_256)));
        assertKmsError(
                DependencyTimeoutException.class,
                "DependencyTimeoutException",
                500,
                () -> kms.generateDataKey(b -> b.keyId(arn).keySpec(DataKeySpec.AES_256)));
        assertKmsError(
                KeyUnavailableException.class,
                "KeyUnavailableException",
                500,
                () -> kms.generateDataKey(b -> b.keyId(arn).keySpec(DataKeySpec.AES_256)));
        assertThat(kms.generateDataKey(b -> b.keyId(arn).keySpec(DataKeySpec.AES_256)).keyId())
                .isEqualTo(arn);
    }

    @Test
    void throttlingIsRecognisedBySdk() {
        String arn = emulator.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);
        emulator.faults().throttleNext(1);

        KmsException error =
                assertKmsError(
                        KmsException.class,
                        "ThrottlingException",
                        400,
                        () -> kms.generateDataKey(b -> b.keyId(arn).keySpec(DataKeySpec.AES_256)));

        assertThat(error.isThrottlingException()).isTrue();
    }

    @Test
    void replicateKeyOverWire() {
        KeyMetadata primary =
                kms.createKey(b -> b.multiRegion(true).description("mrk")).keyMetadata();

        ReplicateKeyResponse replicated =
                kms.replicateKey(b -> b.keyId(primary.arn()).replicaRegion(OTHER_REGION));

        KeyMetadata replica = replicated.replicaKeyMetadata();
        assertThat(primary.keyId()).matches("mrk-[0-9a-f]{32}");
        assertThat(primary.multiRegion()).isTrue();
        assertThat(primary.multiRegionConfiguration().multiRegionKeyType())
                .isEqualTo(MultiRegionKeyType.PRIMARY);
        assertThat(replica.keyId()).isEqualTo(primary.keyId());
        assertThat(replica.arn())
                .isEqualTo("arn:aws:kms:us-east-2:111122223333:key/" + primary.keyId());
        assertThat(replica.description()).isEqualTo("mrk");
        assertThat(replica.multiRegionConfiguration().multiRegionKeyType())
                .isEqualTo(MultiRegionKeyType.REPLICA);
        assertThat(replica.multiRegionConfiguration().primaryKey().arn()).isEqualTo(primary.arn());
        assertThat(replica.multiRegionConfiguration().primaryKey().region()).isEqualTo(REGION);
        assertThat(replicated.replicaPolicy()).contains("arn:aws:iam::111122223333:root");
        KeyMetadata described = kms.describeKey(b -> b.keyId(primary.arn())).keyMetadata();
        assertThat(described.multiRegionConfiguration().replicaKeys())
                .singleElement()
                .satisfies(
                        key -> {
                            assertThat(key.arn()).isEqualTo(replica.arn());
                            assertThat(key.region()).isEqualTo(OTHER_REGION);
                        });
    }

    @Test
    void replicateKeyErrors() {
        String singleRegion = emulator.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);
        String primary = kms.createKey(b -> b.multiRegion(true)).keyMetadata().arn();
        kms.replicateKey(b -> b.keyId(primary).replicaRegion(OTHER_REGION));

        assertKmsError(
                software.amazon.awssdk.services.kms.model.UnsupportedOperationException.class,
                "UnsupportedOperationException",
                400,
                () -> kms.replicateKey(b -> b.keyId(singleRegion).replicaRegion(OTHER_REGION)));
        assertKmsError(
                AlreadyExistsException.class,
                "AlreadyExistsException",
                400,
                () -> kms.replicateKey(b -> b.keyId(primary).replicaRegion(OTHER_REGION)));
    }

    @Test
    void createKeyRejectsUnsupportedMembers() {
        assertKmsError(
                software.amazon.awssdk.services.kms.model.UnsupportedOperationException.class,
                "UnsupportedOperationException",
                400,
                () -> kms.createKey(b -> b.policy("{\"Version\":\"2012-10-17\"}")));
        assertKmsError(
                software.amazon.awssdk.services.kms.model.UnsupportedOperationException.class,
                "UnsupportedOperationException",
                400,
                () -> kms.createKey(b -> b.keySpec(KeySpec.RSA_2048)));
    }

    @Test
    void callCountsByOperationAndOutcome() {
        String arn = emulator.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);
        for (int i = 0; i < 3; i++) {
            kms.generateDataKey(b -> b.keyId(arn).keySpec(DataKeySpec.AES_256));
        }
        emulator.disableKey(arn);
        assertKmsError(
                DisabledException.class,
                "DisabledException",
                400,
                () -> kms.generateDataKey(b -> b.keyId(arn).keySpec(DataKeySpec.AES_256)));
        kms.describeKey(b -> b.keyId(arn));

        assertThat(emulator.callCounts())
                .containsExactly(Map.entry("DescribeKey", 1L), Map.entry("GenerateDataKey", 4L));
        assertThat(emulator.callCount("GenerateDataKey", KmsEmulator.OUTCOME_SUCCESS)).isEqualTo(3);
        assertThat(emulator.callCount("GenerateDataKey", "DisabledException")).isEqualTo(1);
        assertThat(emulator.callCountsByOutcome().get("GenerateDataKey"))
                .containsExactly(Map.entry("DisabledException", 1L), Map.entry("Success", 3L));

        emulator.resetCallCounts();

        assertThat(emulator.callCounts()).isEmpty();
    }
}
