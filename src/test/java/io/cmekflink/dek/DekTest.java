package io.cmekflink.dek;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class DekTest {

    private static byte[] key(int seed) {
        byte[] key = new byte[Dek.KEY_BYTES];
        for (int i = 0; i < key.length; i++) {
            key[i] = (byte) (seed * 31 + i);
        }
        return key;
    }

    private static Dek dek(int seed) {
        return Dek.takeOwnershipForEncryption(
                key(seed), new byte[] {1, 2, 3}, "arn:k" + seed, 1L << 32, 0x0A0B0C0D + seed);
    }

    private static byte[] jce(byte[] key, byte[] nonce, byte[] aad, byte[] plaintext)
            throws Exception {
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(
                Cipher.ENCRYPT_MODE,
                new SecretKeySpec(key, "AES"),
                new GCMParameterSpec(128, nonce));
        cipher.updateAAD(aad);
        return cipher.doFinal(plaintext);
    }

    @Test
    void interleavedDeksMatchJceAndOwnKey() throws Exception {
        Dek[] deks = {dek(1), dek(2), dek(3)};
        byte[] aad = "record id and schema".getBytes(StandardCharsets.UTF_8);
        for (int round = 0; round < 4; round++) {
            for (int d = 0; d < deks.length; d++) {
                byte[] plaintext = ("value " + round + "/" + d).getBytes(StandardCharsets.UTF_8);
                byte[] nonce = new byte[Dek.NONCE_BYTES];
                byte[] sealed = deks[d].seal(nonce, aad, plaintext, 0, plaintext.length);

                byte[] expectedNonce =
                        ByteBuffer.allocate(12).putInt(0x0A0B0C0D + d + 1).putLong(round).array();
                assertThat(nonce).isEqualTo(expectedNonce);
                assertThat(sealed).isEqualTo(jce(key(d + 1), expectedNonce, aad, plaintext));
                assertThat(deks[d].open(nonce, aad, sealed)).isEqualTo(plaintext);
                Dek other = deks[(d + 1) % deks.length];
                assertThatThrownBy(() -> other.open(nonce, aad, sealed))
                        .isInstanceOf(AEADBadTagException.class);
            }
        }
    }

    @Test
    void sealIntoBufferMatchesSeal() throws Exception {
        byte[] aad = "associated data".getBytes(StandardCharsets.UTF_8);
        byte[] aadPadded = Arrays.copyOf(aad, aad.length + 5);
        byte[] plaintext = "x a marked value y".getBytes(StandardCharsets.UTF_8);
        byte[] nonce = new byte[Dek.NONCE_BYTES];
        byte[] bufferNonce = new byte[Dek.NONCE_BYTES];
        byte[] output = new byte[plaintext.length + Dek.TAG_BYTES];
        Arrays.fill(output, (byte) 0x55);

        // Two DEKs of one key and nonce field give the same nonces in the same order.
        byte[] sealed = dek(9).seal(nonce, aad, plaintext, 2, 14);
        int written = dek(9).seal(bufferNonce, aadPadded, aad.length, plaintext, 2, 14, output);

        assertThat(written).isEqualTo(14 + Dek.TAG_BYTES);
        assertThat(bufferNonce).isEqualTo(nonce);
        assertThat(Arrays.copyOf(output, written)).isEqualTo(sealed);
        assertThat(Arrays.copyOfRange(output, written, output.length)).containsOnly(0x55);
        assertThat(sealed).isEqualTo(jce(key(9), nonce, aad, Arrays.copyOfRange(plaintext, 2, 16)));
        assertThatThrownBy(
                        () ->
                                dek(9).seal(
                                                bufferNonce,
                                                aad,
                                                aad.length,
                                                plaintext,
                                                0,
                                                plaintext.length,
                                                new byte[plaintext.length + Dek.TAG_BYTES - 1]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("plaintext of 18 bytes needs an output of 34 bytes, got 33");
    }

    @Test
    void openOfRangesMatchesOpenOfArrays() throws Exception {
        Dek dek = dek(4);
        byte[] aad = "associated data".getBytes(StandardCharsets.UTF_8);
        byte[] plaintext = "a marked value".getBytes(StandardCharsets.UTF_8);
        byte[] nonce = new byte[Dek.NONCE_BYTES];
        byte[] sealed = dek.seal(nonce, aad, plaintext, 0, plaintext.length);
        // The nonce, the associated data and the sealed bytes inside larger arrays.
        byte[] nonceAt5 = new byte[5 + Dek.NONCE_BYTES + 3];
        System.arraycopy(nonce, 0, nonceAt5, 5, Dek.NONCE_BYTES);
        byte[] aadPadded = Arrays.copyOf(aad, aad.length + 9);
        byte[] sealedAt7 = new byte[7 + sealed.length + 4];
        System.arraycopy(sealed, 0, sealedAt7, 7, sealed.length);
        byte[] output = new byte[plaintext.length + 6];
        Arrays.fill(output, (byte) 0x55);

        int length =
                dek.open(nonceAt5, 5, aadPadded, aad.length, sealedAt7, 7, sealed.length, output);

        assertThat(length).isEqualTo(plaintext.length);
        assertThat(Arrays.copyOf(output, length)).isEqualTo(plaintext);
        assertThat(Arrays.copyOfRange(output, length, output.length)).containsOnly(0x55);

        sealedAt7[7 + 2] ^= 1;
        Arrays.fill(output, (byte) 0x55);
        assertThatThrownBy(
                        () ->
                                dek.open(
                                        nonceAt5,
                                        5,
                                        aadPadded,
                                        aad.length,
                                        sealedAt7,
                                        7,
                                        sealed.length,
                                        output))
                .isInstanceOf(AEADBadTagException.class);
        assertThat(Arrays.copyOf(output, plaintext.length)).containsOnly(0);
        assertThatThrownBy(
                        () ->
                                dek.open(
                                        nonce,
                                        0,
                                        aad,
                                        aad.length,
                                        sealed,
                                        0,
                                        sealed.length,
                                        new byte[plaintext.length - 1]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("input of 30 bytes needs an output of 14 bytes, got 13");
    }

    @Test
    void sharedDekGivesDistinctNonces() throws Exception {
        Dek dek = dek(7);
        int threads = 4;
        int each = 2_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<List<byte[][]>>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                results.add(
                        pool.submit(
                                () -> {
                                    List<byte[][]> out = new ArrayList<>();
                                    for (int i = 0; i < each; i++) {
                                        byte[] plaintext =
                                                ("t" + thread + " i" + i)
                                                        .getBytes(StandardCharsets.UTF_8);
                                        byte[] nonce = new byte[Dek.NONCE_BYTES];
                                        byte[] sealed =
                                                dek.seal(
                                                        nonce,
                                                        plaintext,
                                                        plaintext,
                                                        0,
                                                        plaintext.length);
                                        out.add(new byte[][] {nonce, plaintext, sealed});
                                    }
                                    return out;
                                }));
            }
            Set<ByteBuffer> nonces = new HashSet<>();
            int opened = 0;
            for (Future<List<byte[][]>> result : results) {
                for (byte[][] seal : result.get()) {
                    nonces.add(ByteBuffer.wrap(seal[0]));
                    assertThat(dek.open(seal[0], seal[1], seal[2])).isEqualTo(seal[1]);
                    opened++;
                }
            }
            assertThat(opened).isEqualTo(threads * each);
            assertThat(nonces).hasSize(threads * each);
            assertThat(dek.remainingEncryptions()).isEqualTo((1L << 32) - threads * each);
        } finally {
            pool.shutdownNow();
        }
    }
}
