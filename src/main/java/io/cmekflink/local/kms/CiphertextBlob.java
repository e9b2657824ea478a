package io.cmekflink.local.kms;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Seals and opens the emulator's {@code CiphertextBlob}s.
 *
 * <p>Layout, {@code 152 + n} bytes for an {@code n}-byte plaintext:
 *
 * <pre>
 * offset   length  field
 * 0        1       format version, 0x01
 * 1        16      key handle: random reference to the key family (see {@link KeyFamily})
 * 17       12      AES-GCM nonce, random per blob
 * 29       107     filler: random bytes, authenticated
 * 136      n       AES-256-GCM ciphertext of the plaintext under the key family's secret
 * 136 + n  16      GCM tag
 * </pre>
 *
 * <p>The associated data is the 136-byte header, the key identity ({@link KeyFamily#identity()})
 * and the canonical encoding of the encryption context: the entry count, then each entry sorted by
 * key as length-prefixed UTF-8 key and value. So a blob opens only under the same key family and an
 * equal encryption context, and any changed byte fails the tag. The filler brings a 32-byte data
 * key to 184 bytes: that is the size of the AES_256 {@code GenerateDataKey} blobs that AWS
 * publishes in its documentation (for example the Amazon RDS guide on TDE certificates), whose
 * current header starts with {@code 01 02 03 00}. The format is the emulator's own and not
 * compatible with KMS.
 */
final class CiphertextBlob {

    static final int VERSION = 0x01;
    static final int HANDLE_LENGTH = 16;
    static final int NONCE_LENGTH = 12;
    static final int FILLER_LENGTH = 107;
    static final int HEADER_LENGTH = 1 + HANDLE_LENGTH + NONCE_LENGTH + FILLER_LENGTH;
    static final int TAG_LENGTH = 16;
    static final int OVERHEAD = HEADER_LENGTH + TAG_LENGTH;

    private CiphertextBlob() {}

    static byte[] seal(
            KeyFamily family,
            byte[] plaintext,
            Map<String, String> encryptionContext,
            SecureRandom random) {
        byte[] blob = new byte[OVERHEAD + plaintext.length];
        blob[0] = VERSION;
        System.arraycopy(family.handle(), 0, blob, 1, HANDLE_LENGTH);
        byte[] rest = new byte[NONCE_LENGTH + FILLER_LENGTH];
        random.nextBytes(rest);
        System.arraycopy(rest, 0, blob, 1 + HANDLE_LENGTH, rest.length);
        try {
            Cipher cipher = cipher(Cipher.ENCRYPT_MODE, family, blob);
            cipher.updateAAD(associatedData(blob, family, encryptionContext));
            cipher.doFinal(plaintext, 0, plaintext.length, blob, HEADER_LENGTH);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM encryption failed", e);
        }
        return blob;
    }

    /** Returns the key handle of a blob of this format, or empty when it has none. */
    static Optional<byte[]> handleOf(byte[] blob) {
        if (blob.length < OVERHEAD || blob[0] != VERSION) {
            return Optional.empty();
        }
        return Optional.of(Arrays.copyOfRange(blob, 1, 1 + HANDLE_LENGTH));
    }

    /**
     * Returns the plaintext, or fails with {@code InvalidCiphertextException} when the blob was not
     * sealed under this family and encryption context or was changed.
     */
    static byte[] open(KeyFamily family, byte[] blob, Map<String, String> encryptionContext) {
        try {
            Cipher cipher = cipher(Cipher.DECRYPT_MODE, family, blob);
            cipher.updateAAD(associatedData(blob, family, encryptionContext));
            return cipher.doFinal(blob, HEADER_LENGTH, blob.length - HEADER_LENGTH);
        } catch (AEADBadTagException e) {
            throw new KmsRequestException(KmsErrorType.INVALID_CIPHERTEXT, null);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM decryption failed", e);
        }
    }

    private static Cipher cipher(int mode, KeyFamily family, byte[] blob)
            throws GeneralSecurityException {
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        GCMParameterSpec nonce =
                new GCMParameterSpec(TAG_LENGTH * 8, blob, 1 + HANDLE_LENGTH, NONCE_LENGTH);
        cipher.init(mode, family.secret(), nonce);
        return cipher;
    }

    private static byte[] associatedData(
            byte[] blob, KeyFamily family, Map<String, String> encryptionContext) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.write(blob, 0, HEADER_LENGTH);
            writeString(out, family.identity());
            Map<String, String> sorted = new TreeMap<>(encryptionContext);
            out.writeInt(sorted.size());
            for (Map.Entry<String, String> entry : sorted.entrySet()) {
                writeString(out, entry.getKey());
                writeString(out, entry.getValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static void writeString(DataOutputStream out, String value) throws IOException {
        byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        out.writeInt(utf8.length);
        out.write(utf8);
    }
}
