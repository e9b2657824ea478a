package io.cmekflink.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cmekflink.dek.Dek;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class StateSealerTest {

    // Random keys: a cipher object refuses a key and nonce pair it used before, across tests.
    private static final SecureRandom RANDOM = new SecureRandom();

    private static final String KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/state";

    /** Keys whose EDEK is the DEK's index; records every call so tests can count KMS calls. */
    private static final class CountingKeys implements StateSealer.Keys {
        final long maxEncryptions;
        final List<String> calls = new ArrayList<>();
        final List<byte[]> keys = new ArrayList<>();

        CountingKeys(long maxEncryptions) {
            this.maxEncryptions = maxEncryptions;
        }

        @Override
        public synchronized Dek generate() {
            byte[] key = new byte[32];
            RANDOM.nextBytes(key);
            keys.add(key.clone());
            calls.add("generate");
            return Dek.takeOwnershipForEncryption(
                    key,
                    new byte[] {(byte) (keys.size() - 1)},
                    KEY_ARN,
                    maxEncryptions,
                    RANDOM.nextInt());
        }

        @Override
        public synchronized Dek unwrap(byte[] edek) {
            calls.add("unwrap " + edek[0]);
            return Dek.takeOwnershipForDecryption(keys.get(edek[0]).clone(), edek, KEY_ARN);
        }
    }

    private static final byte[] VALUE = "card 4111 1111 1111 1111".getBytes(StandardCharsets.UTF_8);

    @Test
    void sealedValueOpensToTheSameBytes() {
        StateSealer sealer = new StateSealer(new CountingKeys(100));

        byte[] sealed = sealer.seal(VALUE);

        assertThat(sealer.open(sealed)).isEqualTo(VALUE);
    }

    @Test
    void layoutIsVersionEdekNonceThenCiphertextAndTag() {
        StateSealer sealer = new StateSealer(new CountingKeys(100));

        byte[] sealed = sealer.seal(VALUE);

        ByteBuffer in = ByteBuffer.wrap(sealed);
        assertThat(in.get()).isEqualTo(StateSealer.VERSION);
        assertThat(in.getInt()).isEqualTo(1);
        assertThat(in.get()).isEqualTo((byte) 0);
        assertThat(sealed).hasSize(1 + 4 + 1 + Dek.NONCE_BYTES + VALUE.length + Dek.TAG_BYTES);
        assertThat(indexOf(sealed, VALUE)).isEqualTo(-1);
        assertThat(StateSealer.isSealed(sealed)).isTrue();
    }

    @Test
    void oneDekSealsManyValuesWithDistinctNonces() {
        CountingKeys keys = new CountingKeys(100);
        StateSealer sealer = new StateSealer(keys);

        byte[] first = sealer.seal(VALUE);
        byte[] second = sealer.seal(VALUE);

        assertThat(keys.calls).containsExactly("generate");
        assertThat(Arrays.copyOfRange(first, 6, 18))
                .isNotEqualTo(Arrays.copyOfRange(second, 6, 18));
    }

    @Test
    void exhaustedDekIsReplacedAndOldValuesStillOpen() {
        CountingKeys keys = new CountingKeys(2);
        StateSealer sealer = new StateSealer(keys);

        byte[] first = sealer.seal(VALUE);
        sealer.seal(VALUE);
        byte[] third = sealer.seal(VALUE);

        assertThat(keys.calls).containsExactly("generate", "generate");
        assertThat(third[5]).isEqualTo((byte) 1);
        assertThat(sealer.open(first)).isEqualTo(VALUE);
        assertThat(sealer.open(third)).isEqualTo(VALUE);
    }

    @Test
    void anotherInstanceUnwrapsTheEdekOnceAndOpens() {
        CountingKeys keys = new CountingKeys(100);
        byte[] sealed = new StateSealer(keys).seal(VALUE);
        StateSealer restored = new StateSealer(keys);

        assertThat(restored.open(sealed)).isEqualTo(VALUE);
        assertThat(restored.open(sealed)).isEqualTo(VALUE);
        assertThat(keys.calls).containsExactly("generate", "unwrap 0");
    }

    @Test
    void tamperedValueFailsInsteadOfPassingAsARecord() {
        StateSealer sealer = new StateSealer(new CountingKeys(100));
        byte[] sealed = sealer.seal(VALUE);
        sealed[sealed.length - 1] ^= 1;

        assertThatThrownBy(() -> sealer.open(sealed))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("sealed state value failed its tag check");
    }

    @Test
    void plainOrTruncatedValueIsRejected() {
        StateSealer sealer = new StateSealer(new CountingKeys(100));

        assertThatThrownBy(() -> sealer.open(VALUE))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("state value is not sealed with format version 1");
        assertThatThrownBy(() -> sealer.open(new byte[] {1, 0, 0, 0, 40, 9}))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("sealed state value is truncated");
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
