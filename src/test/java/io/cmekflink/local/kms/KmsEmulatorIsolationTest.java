package io.cmekflink.local.kms;

import static io.cmekflink.local.kms.KmsAssertions.assertKmsError;
import static io.cmekflink.local.kms.KmsTestClients.OTHER_REGION;
import static io.cmekflink.local.kms.KmsTestClients.REGION;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.DataKeySpec;
import software.amazon.awssdk.services.kms.model.DisabledException;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyResponse;
import software.amazon.awssdk.services.kms.model.KmsException;
import software.amazon.awssdk.services.kms.model.NotFoundException;

/** Accounts, regions, cross-account key policies and multi-region replicas. */
class KmsEmulatorIsolationTest {

    private static final String OWNER = KmsEmulator.DEFAULT_ACCOUNT;
    private static final String PLATFORM = KmsEmulator.SECOND_ACCOUNT;

    private KmsEmulator emulator;
    private KmsClient owner;
    private KmsClient ownerOtherRegion;
    private KmsClient platform;

    @BeforeEach
    void start() {
        emulator = KmsEmulator.start();
        owner = KmsTestClients.sync(emulator);
        ownerOtherRegion =
                KmsTestClients.sync(
                        emulator,
                        KmsEmulator.DEFAULT_ACCESS_KEY_ID,
                        KmsEmulator.DEFAULT_SECRET_ACCESS_KEY,
                        OTHER_REGION);
        platform =
                KmsTestClients.sync(
                        emulator,
                        KmsEmulator.SECOND_ACCESS_KEY_ID,
                        KmsEmulator.SECOND_SECRET_ACCESS_KEY,
                        REGION);
    }

    @AfterEach
    void stop() {
        owner.close();
        ownerOtherRegion.close();
        platform.close();
        emulator.close();
    }

    @Test
    void bareKeyIdResolvesLocally() {
        String arn = emulator.createKey(OWNER, REGION);
        String keyId = arn.substring(arn.indexOf('/') + 1);

        assertThat(owner.describeKey(b -> b.keyId(keyId)).keyMetadata().arn()).isEqualTo(arn);
        assertKmsError(
                NotFoundException.class,
                "NotFoundException",
                400,
                () -> ownerOtherRegion.describeKey(b -> b.keyId(keyId)));
        assertKmsError(
                NotFoundException.class,
                "NotFoundException",
                400,
                () -> platform.describeKey(b -> b.keyId(keyId)));
    }

    @Test
    void createKeyUsesCallerScope() {
        String ownerArn = owner.createKey(b -> {}).keyMetadata().arn();
        String platformArn = platform.createKey(b -> {}).keyMetadata().arn();
        String otherRegionArn = ownerOtherRegion.createKey(b -> {}).keyMetadata().arn();

        assertThat(ownerArn).startsWith("arn:aws:kms:us-west-2:111122223333:key/");
        assertThat(platformArn).startsWith("arn:aws:kms:us-west-2:444455556666:key/");
        assertThat(otherRegionArn).startsWith("arn:aws:kms:us-east-2:111122223333:key/");
    }

    @Test
    void singleRegionBlobStaysInRegion() {
        String arn = emulator.createKey(OWNER, REGION);
        SdkBytes blob =
                owner.generateDataKey(b -> b.keyId(arn).keySpec(DataKeySpec.AES_256))
                        .ciphertextBlob();

        KmsException error =
                assertKmsError(
                        KmsException.class,
                        "AccessDeniedException",
                        400,
                        () -> ownerOtherRegion.decrypt(b -> b.ciphertextBlob(blob)));

        assertThat(error.awsErrorDetails().errorMessage())
                .isEqualTo(
                        "The ciphertext refers to a customer master key that does not exist, does"
                                + " not exist in this region, or you are not allowed to access.");
    }

    @Test
    void crossAccountUseNeedsPolicyGrant() {
        String arn = emulator.createKey(OWNER, REGION);

        KmsException denied =
                assertKmsError(
                        KmsException.class,
                        "AccessDeniedException",
                        400,
                        () ->
                                platform.generateDataKey(
                                        b -> b.keyId(arn).keySpec(DataKeySpec.AES_256)));
        assertThat(denied.awsErrorDetails().errorMessage())
                .isEqualTo(
                        "User: arn:aws:iam::444455556666:root is not authorized to perform:"
                                + " kms:GenerateDataKey on resource: "
                                + arn
                                + " because no resource-based policy allows the"
                                + " kms:GenerateDataKey action");

        emulator.policy(arn)
                .allow(
                        PLATFORM,
                        KmsAction.GENERATE_DATA_KEY,
                        KmsAction.DECRYPT,
                        KmsAction.DESCRIBE_KEY);

        GenerateDataKeyResponse dataKey =
                platform.generateDataKey(b -> b.keyId(arn).keySpec(DataKeySpec.AES_256));
        assertThat(dataKey.keyId()).isEqualTo(arn);
        assertThat(platform.decrypt(b -> b.ciphertextBlob(dataKey.ciphertextBlob())).plaintext())
                .isEqualTo(dataKey.plaintext());
        assertThat(platform.describeKey(b -> b.keyId(arn)).keyMetadata().awsAccountId())
                .isEqualTo(OWNER);
        assertKmsError(
                KmsException.class,
                "AccessDeniedException",
                400,
                () -> platform.encrypt(b -> b.keyId(arn).plaintext(SdkBytes.fromUtf8String("x"))));
    }

    @Test
    void otherAccountCannotManageKeyEvenWhenGranted() {
        String arn = emulator.createKey(OWNER, REGION);
        emulator.policy(arn).allow(PLATFORM);

        assertKmsError(
                KmsException.class,
                "AccessDeniedException",
                400,
                () -> platform.disableKey(b -> b.keyId(arn)));
        assertKmsError(
                KmsException.class,
                "AccessDeniedException",
                400,
                () -> platform.scheduleKeyDeletion(b -> b.keyId(arn)));
        assertThat(emulator.keyState(arn)).isEqualTo(KeyState.ENABLED);
    }

    @Test
    void explicitDenyWinsOverGrant() {
        String arn = emulator.createKey(OWNER, REGION);
        SdkBytes blob =
                owner.generateDataKey(b -> b.keyId(arn).keySpec(DataKeySpec.AES_256))
                        .ciphertextBlob();
        emulator.policy(arn).allow(PLATFORM).deny(PLATFORM, KmsAction.DECRYPT);

        KmsException denied =
                assertKmsError(
                        KmsException.class,
                        "AccessDeniedException",
                        400,
                        () -> platform.decrypt(b -> b.ciphertextBlob(blob)));

        assertThat(denied.awsErrorDetails().errorMessage())
                .endsWith("with an explicit deny in a resource-based policy");
        assertThat(platform.generateDataKey(b -> b.keyId(arn).numberOfBytes(32)).keyId())
                .isEqualTo(arn);
    }

    @Test
    void ownerCanBeDeniedAndRestored() {
        String arn = emulator.createKey(OWNER, REGION);
        emulator.policy(arn).deny(OWNER, KmsAction.GENERATE_DATA_KEY);

        assertKmsError(
                KmsException.class,
                "AccessDeniedException",
                400,
                () -> owner.generateDataKey(b -> b.keyId(arn).numberOfBytes(32)));
        assertThat(owner.describeKey(b -> b.keyId(arn)).keyMetadata().arn()).isEqualTo(arn);

        emulator.policy(arn).reset();

        assertThat(owner.generateDataKey(b -> b.keyId(arn).numberOfBytes(32)).keyId())
                .isEqualTo(arn);
    }

    @Test
    void denyUnlessEncryptionContextMatches() {
        String arn = emulator.createKey(OWNER, REGION);
        emulator.policy(arn)
                .allow(PLATFORM)
                .denyUnlessEncryptionContext(PLATFORM, "org_id", "org-7");

        assertKmsError(
                KmsException.class,
                "AccessDeniedException",
                400,
                () -> platform.generateDataKey(b -> b.keyId(arn).numberOfBytes(32)));
        assertKmsError(
                KmsException.class,
                "AccessDeniedException",
                400,
                () ->
                        platform.generateDataKey(
                                b ->
                                        b.keyId(arn)
                                                .numberOfBytes(32)
                                                .encryptionContext(Map.of("org_id", "org-8"))));
        GenerateDataKeyResponse allowed =
                platform.generateDataKey(
                        b ->
                                b.keyId(arn)
                                        .numberOfBytes(32)
                                        .encryptionContext(Map.of("org_id", "org-7")));
        assertThat(allowed.keyId()).isEqualTo(arn);
        assertThat(owner.generateDataKey(b -> b.keyId(arn).numberOfBytes(32)).keyId())
                .isEqualTo(arn);
    }

    @Test
    void multiRegionReplicaDecryptsPrimaryBlobs() {
        String primaryArn = emulator.createMultiRegionKey(OWNER, REGION, "org-7 mrk");
        String replicaArn = emulator.replicateKey(primaryArn, OTHER_REGION);
        Map<String, String> context = Map.of("org_id", "org-7");
        GenerateDataKeyResponse dataKey =
                owner.generateDataKey(
                        b ->
                                b.keyId(primaryArn)
                                        .keySpec(DataKeySpec.AES_256)
                                        .encryptionContext(context));

        var decrypted =
                ownerOtherRegion.decrypt(
                        b -> b.ciphertextBlob(dataKey.ciphertextBlob()).encryptionContext(context));

        assertThat(replicaArn).isEqualTo(primaryArn.replace(REGION, OTHER_REGION));
        assertThat(decrypted.plaintext()).isEqualTo(dataKey.plaintext());
        assertThat(decrypted.keyId()).isEqualTo(replicaArn);
        SdkBytes replicaBlob =
                ownerOtherRegion
                        .encrypt(b -> b.keyId(replicaArn).plaintext(SdkBytes.fromUtf8String("v")))
                        .ciphertextBlob();
        assertThat(owner.decrypt(b -> b.ciphertextBlob(replicaBlob)).keyId()).isEqualTo(primaryArn);
    }

    @Test
    void replicaHasItsOwnStateAndPolicy() {
        String primaryArn = emulator.createMultiRegionKey(OWNER, REGION, "");
        String replicaArn = emulator.replicateKey(primaryArn, OTHER_REGION);
        SdkBytes blob =
                owner.generateDataKey(b -> b.keyId(primaryArn).keySpec(DataKeySpec.AES_256))
                        .ciphertextBlob();

        emulator.disableKey(replicaArn);

        assertKmsError(
                DisabledException.class,
                "DisabledException",
                400,
                () -> ownerOtherRegion.decrypt(b -> b.ciphertextBlob(blob)));
        assertThat(owner.decrypt(b -> b.ciphertextBlob(blob)).keyId()).isEqualTo(primaryArn);
        assertThat(emulator.keyState(primaryArn)).isEqualTo(KeyState.ENABLED);
    }

    @Test
    void deletedReplicaCanBeReplicatedAgain() {
        String primaryArn = emulator.createMultiRegionKey(OWNER, REGION, "");
        String replicaArn = emulator.replicateKey(primaryArn, OTHER_REGION);

        emulator.deleteKeyNow(replicaArn);

        assertThat(
                        owner.describeKey(b -> b.keyId(primaryArn))
                                .keyMetadata()
                                .multiRegionConfiguration()
                                .replicaKeys())
                .isEmpty();
        assertThat(emulator.replicateKey(primaryArn, OTHER_REGION)).isEqualTo(replicaArn);
        assertThat(emulator.keyState(replicaArn)).isEqualTo(KeyState.ENABLED);
    }

    @Test
    void multiRegionBlobWithoutReplicaIsUnreachable() {
        String primaryArn = emulator.createMultiRegionKey(OWNER, REGION, "");
        SdkBytes blob =
                owner.generateDataKey(b -> b.keyId(primaryArn).keySpec(DataKeySpec.AES_256))
                        .ciphertextBlob();

        assertKmsError(
                KmsException.class,
                "AccessDeniedException",
                400,
                () -> ownerOtherRegion.decrypt(b -> b.ciphertextBlob(blob)));
    }

    @Test
    void adminApiRejectsBadArguments() {
        String singleRegion = emulator.createKey(OWNER, REGION);

        assertThatThrownBy(() -> emulator.createKey("1234", REGION))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("12 digits");
        assertThatThrownBy(() -> emulator.disableKey("alias/x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Not a KMS key ARN");
        assertThatThrownBy(() -> emulator.replicateKey(singleRegion, OTHER_REGION))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("UnsupportedOperationException");
        assertThatThrownBy(() -> emulator.scheduleKeyDeletion(singleRegion, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("between 7 and 30");
        emulator.deleteKeyNow(singleRegion);
        assertThatThrownBy(() -> emulator.keyState(singleRegion))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("No emulated key");
    }
}
