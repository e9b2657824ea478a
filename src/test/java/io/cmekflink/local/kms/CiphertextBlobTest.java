package io.cmekflink.local.kms;

import static io.cmekflink.local.kms.KmsTestClients.REGION;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.DataKeySpec;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyResponse;

/** The blob layout, and that a blob never contains its plaintext. */
class CiphertextBlobTest {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab";

    @Test
    void blobIs152BytesPlusPlaintext() {
        KeyFamily family = family(KEY_ID, "us-west-2", false);

        assertThat(CiphertextBlob.seal(family, new byte[32], Map.of(), RANDOM)).hasSize(184);
        assertThat(CiphertextBlob.seal(family, new byte[16], Map.of(), RANDOM)).hasSize(168);
        assertThat(CiphertextBlob.seal(family, new byte[1], Map.of(), RANDOM)).hasSize(153);
    }

    @Test
    void blobStartsWithVersionAndHandle() {
        KeyFamily family = family(KEY_ID, "us-west-2", false);

        byte[] blob = CiphertextBlob.seal(family, new byte[32], Map.of(), RANDOM);

        assertThat(blob[0]).isEqualTo((byte) 0x01);
        assertThat(CiphertextBlob.handleOf(blob))
                .hasValueSatisfying(handle -> assertThat(handle).isEqualTo(family.handle()));
        assertThat(CiphertextBlob.handleOf(new byte[151])).isEmpty();
    }

    @Test
    void contextOrderDoesNotMatter() {
        KeyFamily family = family(KEY_ID, "us-west-2", false);
        Map<String, String> forward = new LinkedHashMap<>();
        forward.put("a", "1");
        forward.put("b", "2");
        Map<String, String> backward = new LinkedHashMap<>();
        backward.put("b", "2");
        backward.put("a", "1");
        byte[] plaintext = randomBytes(32);

        byte[] blob = CiphertextBlob.seal(family, plaintext, forward, RANDOM);

        assertThat(CiphertextBlob.open(family, blob, backward)).isEqualTo(plaintext);
    }

    @Test
    void contextEntriesCannotShiftBetweenKeyAndValue() {
        KeyFamily family = family(KEY_ID, "us-west-2", false);
        byte[] blob = CiphertextBlob.seal(family, randomBytes(32), Map.of("ab", "c"), RANDOM);

        assertThatThrownBy(() -> CiphertextBlob.open(family, blob, Map.of("a", "bc")))
                .isInstanceOf(KmsRequestException.class)
                .extracting(e -> ((KmsRequestException) e).type())
                .isEqualTo(KmsErrorType.INVALID_CIPHERTEXT);
    }

    @Test
    void sameKeyIdOtherRegionRejected() {
        KeyFamily west = family(KEY_ID, "us-west-2", false);
        KeyFamily eastSameSecret =
                new KeyFamily(
                        west.handle(), west.secret(), west.account(), KEY_ID, false, "us-east-2");
        byte[] blob = CiphertextBlob.seal(west, randomBytes(32), Map.of(), RANDOM);

        assertThatThrownBy(() -> CiphertextBlob.open(eastSameSecret, blob, Map.of()))
                .isInstanceOf(KmsRequestException.class)
                .extracting(e -> ((KmsRequestException) e).type())
                .isEqualTo(KmsErrorType.INVALID_CIPHERTEXT);
    }

    @Test
    void multiRegionIdentityIgnoresRegion() {
        KeyFamily family = family("mrk-" + "0".repeat(32), "us-west-2", true);

        assertThat(family.identity()).isEqualTo("111122223333/mrk-" + "0".repeat(32));
        assertThat(family(KEY_ID, "us-west-2", false).identity())
                .isEqualTo("111122223333/us-west-2/" + KEY_ID);
    }

    @Test
    void wireBlobsNeverContainTheDataKey() {
        try (KmsEmulator emulator = KmsEmulator.start();
                KmsClient kms = KmsTestClients.sync(emulator)) {
            String arn = emulator.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);

            for (int i = 0; i < 200; i++) {
                GenerateDataKeyResponse response =
                        kms.generateDataKey(b -> b.keyId(arn).keySpec(DataKeySpec.AES_256));
                byte[] dataKey = response.plaintext().asByteArray();
                byte[] blob = response.ciphertextBlob().asByteArray();

                for (int start = 0; start + 8 <= dataKey.length; start++) {
                    byte[] window = Arrays.copyOfRange(dataKey, start, start + 8);
                    assertThat(indexOf(blob, window))
                            .as("8 data key bytes from offset %d in blob %d", start, i)
                            .isEqualTo(-1);
                }
            }
        }
    }

    private static KeyFamily family(String keyId, String region, boolean multiRegion) {
        return new KeyFamily(
                randomBytes(16), newSecret(), "111122223333", keyId, multiRegion, region);
    }

    private static SecretKey newSecret() {
        try {
            KeyGenerator generator = KeyGenerator.getInstance("AES");
            generator.init(256, RANDOM);
            return generator.generateKey();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] randomBytes(int length) {
        byte[] bytes = new byte[length];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        return -1;
    }
}
