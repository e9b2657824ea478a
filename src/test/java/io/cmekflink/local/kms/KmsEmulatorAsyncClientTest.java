package io.cmekflink.local.kms;

import static io.cmekflink.local.kms.KmsAssertions.assertKmsError;
import static io.cmekflink.local.kms.KmsTestClients.OTHER_REGION;
import static io.cmekflink.local.kms.KmsTestClients.REGION;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsAsyncClient;
import software.amazon.awssdk.services.kms.model.AlreadyExistsException;
import software.amazon.awssdk.services.kms.model.DataKeySpec;
import software.amazon.awssdk.services.kms.model.DependencyTimeoutException;
import software.amazon.awssdk.services.kms.model.DisabledException;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyResponse;
import software.amazon.awssdk.services.kms.model.IncorrectKeyException;
import software.amazon.awssdk.services.kms.model.InvalidCiphertextException;
import software.amazon.awssdk.services.kms.model.InvalidKeyUsageException;
import software.amazon.awssdk.services.kms.model.KeyMetadata;
import software.amazon.awssdk.services.kms.model.KmsException;
import software.amazon.awssdk.services.kms.model.KmsInternalException;
import software.amazon.awssdk.services.kms.model.KmsInvalidStateException;
import software.amazon.awssdk.services.kms.model.NotFoundException;

/** Every emulated operation and error through the real {@link KmsAsyncClient} (Netty). */
class KmsEmulatorAsyncClientTest {

    private static final Map<String, String> CONTEXT = Map.of("org_id", "org-7");

    private KmsEmulator emulator;
    private KmsAsyncClient kms;

    @BeforeEach
    void start() {
        emulator = KmsEmulator.start();
        kms = KmsTestClients.async(emulator);
    }

    @AfterEach
    void stop() {
        kms.close();
        emulator.close();
    }

    @Test
    void keyLifecycleOperations() {
        KeyMetadata created = kms.createKey(b -> b.description("async")).join().keyMetadata();
        String arn = created.arn();

        assertThat(kms.describeKey(b -> b.keyId(arn)).join().keyMetadata()).isEqualTo(created);
        assertThat(kms.getKeyRotationStatus(b -> b.keyId(arn)).join().keyRotationEnabled())
                .isFalse();
        kms.disableKey(b -> b.keyId(arn)).join();
        assertThat(emulator.keyState(arn)).isEqualTo(KeyState.DISABLED);
        kms.enableKey(b -> b.keyId(arn)).join();
        assertThat(emulator.keyState(arn)).isEqualTo(KeyState.ENABLED);
        assertThat(
                        kms.scheduleKeyDeletion(b -> b.keyId(arn).pendingWindowInDays(30))
                                .join()
                                .pendingWindowInDays())
                .isEqualTo(30);
        assertThat(emulator.keyState(arn)).isEqualTo(KeyState.PENDING_DELETION);
        kms.cancelKeyDeletion(b -> b.keyId(arn)).join();
        assertThat(emulator.keyState(arn)).isEqualTo(KeyState.DISABLED);
    }

    @Test
    void cryptographicOperations() {
        String arn = emulator.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);
        String otherArn = emulator.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);

        GenerateDataKeyResponse dataKey =
                kms.generateDataKey(
                                b ->
                                        b.keyId(arn)
                                                .keySpec(DataKeySpec.AES_256)
                                                .encryptionContext(CONTEXT))
                        .join();
        SdkBytes decrypted =
                kms.decrypt(
                                b ->
                                        b.ciphertextBlob(dataKey.ciphertextBlob())
                                                .encryptionContext(CONTEXT))
                        .join()
                        .plaintext();
        SdkBytes encrypted =
                kms.encrypt(b -> b.keyId(arn).plaintext(SdkBytes.fromUtf8String("value")))
                        .join()
                        .ciphertextBlob();
        SdkBytes reEncrypted =
                kms.reEncrypt(b -> b.ciphertextBlob(encrypted).destinationKeyId(otherArn))
                        .join()
                        .ciphertextBlob();

        assertThat(dataKey.ciphertextBlob().asByteArray()).hasSize(184);
        assertThat(decrypted).isEqualTo(dataKey.plaintext());
        assertThat(encrypted.asByteArray()).hasSize(152 + 5);
        assertThat(kms.decrypt(b -> b.ciphertextBlob(reEncrypted)).join().keyId())
                .isEqualTo(otherArn);
        assertThat(
                        kms.decrypt(b -> b.ciphertextBlob(reEncrypted))
                                .join()
                                .plaintext()
                                .asUtf8String())
                .isEqualTo("value");
    }

    @Test
    void replicateKey() {
        String primary = kms.createKey(b -> b.multiRegion(true)).join().keyMetadata().arn();

        KeyMetadata replica =
                kms.replicateKey(b -> b.keyId(primary).replicaRegion(OTHER_REGION))
                        .join()
                        .replicaKeyMetadata();

        assertThat(replica.arn()).isEqualTo(primary.replace(REGION, OTHER_REGION));
        assertKmsError(
                AlreadyExistsException.class,
                "AlreadyExistsException",
                400,
                () -> kms.replicateKey(b -> b.keyId(primary).replicaRegion(OTHER_REGION)).join());
    }

    @Test
    void errorsSurfaceAsModeledExceptions() {
        String arn = emulator.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);
        String otherArn = emulator.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);
        String macArn = emulator.createMacKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);
        SdkBytes blob =
                kms.generateDataKey(
                                b ->
                                        b.keyId(arn)
                                                .keySpec(DataKeySpec.AES_256)
                                                .encryptionContext(CONTEXT))
                        .join()
                        .ciphertextBlob();

        assertKmsError(
                InvalidCiphertextException.class,
                "InvalidCiphertextException",
                400,
                () -> kms.decrypt(b -> b.ciphertextBlob(blob)).join());
        assertKmsError(
                IncorrectKeyException.class,
                "IncorrectKeyException",
                400,
                () ->
                        kms.decrypt(
                                        b ->
                                                b.ciphertextBlob(blob)
                                                        .encryptionContext(CONTEXT)
                                                        .keyId(otherArn))
                                .join());
        assertKmsError(
                NotFoundException.class,
                "NotFoundException",
                400,
                () -> kms.describeKey(b -> b.keyId("alias/org-7")).join());
        assertKmsError(
                InvalidKeyUsageException.class,
                "InvalidKeyUsageException",
                400,
                () -> kms.generateDataKey(b -> b.keyId(macArn).numberOfBytes(32)).join());
        assertKmsError(
                KmsException.class,
                "ValidationException",
                400,
                () ->
                        kms.encrypt(
                                        b ->
                                                b.keyId(arn)
                                                        .plaintext(
                                                                SdkBytes.fromByteArray(
                                                                        new byte[4097])))
                                .join());
        emulator.disableKey(arn);
        assertKmsError(
                DisabledException.class,
                "DisabledException",
                400,
                () -> kms.decrypt(b -> b.ciphertextBlob(blob).encryptionContext(CONTEXT)).join());
        emulator.scheduleKeyDeletion(arn, 7);
        assertKmsError(
                KmsInvalidStateException.class,
                "KMSInvalidStateException",
                400,
                () -> kms.decrypt(b -> b.ciphertextBlob(blob).encryptionContext(CONTEXT)).join());
    }

    @Test
    void faultsSurfaceAsModeledExceptions() {
        String arn = emulator.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);
        emulator.faults()
                .throttleNext(1)
                .failNext(1, KmsErrorType.KMS_INTERNAL)
                .failNext(1, KmsErrorType.DEPENDENCY_TIMEOUT);

        KmsException throttled =
                assertKmsError(
                        KmsException.class,
                        "ThrottlingException",
                        400,
                        () -> kms.generateDataKey(b -> b.keyId(arn).numberOfBytes(32)).join());
        assertKmsError(
                KmsInternalException.class,
                "KMSInternalException",
                500,
                () -> kms.generateDataKey(b -> b.keyId(arn).numberOfBytes(32)).join());
        assertKmsError(
                DependencyTimeoutException.class,
                "DependencyTimeoutException",
                500,
                () -> kms.generateDataKey(b -> b.keyId(arn).numberOfBytes(32)).join());

        assertThat(throttled.isThrottlingException()).isTrue();
        assertThat(kms.generateDataKey(b -> b.keyId(arn).numberOfBytes(32)).join().keyId())
                .isEqualTo(arn);
    }

    @Test
    void manyParallelGenerateDataKeyCalls() {
        String arn = emulator.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);
        int calls = 500;

        List<CompletableFuture<GenerateDataKeyResponse>> futures = new ArrayList<>();
        for (int i = 0; i < calls; i++) {
            Map<String, String> context = Map.of("org_id", "org-" + i);
            futures.add(
                    kms.generateDataKey(
                            b ->
                                    b.keyId(arn)
                                            .keySpec(DataKeySpec.AES_256)
                                            .encryptionContext(context)));
        }
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).join();

        Set<ByteBuffer> dataKeys = new HashSet<>();
        for (int i = 0; i < calls; i++) {
            GenerateDataKeyResponse response = futures.get(i).join();
            dataKeys.add(ByteBuffer.wrap(response.plaintext().asByteArray()));
            Map<String, String> context = Map.of("org_id", "org-" + i);
            SdkBytes plaintext =
                    kms.decrypt(
                                    b ->
                                            b.ciphertextBlob(response.ciphertextBlob())
                                                    .encryptionContext(context))
                            .join()
                            .plaintext();
            assertThat(plaintext).isEqualTo(response.plaintext());
        }
        assertThat(dataKeys).hasSize(calls);
        assertThat(emulator.callCount("GenerateDataKey", KmsEmulator.OUTCOME_SUCCESS))
                .isEqualTo(calls);
        assertThat(emulator.callCount("Decrypt", KmsEmulator.OUTCOME_SUCCESS)).isEqualTo(calls);
    }
}
