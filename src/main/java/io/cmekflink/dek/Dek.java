package io.cmekflink.dek;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A data key: a 256-bit AES key from KMS together with its EDEK and the key ARN that wrapped it.
 *
 * <p>This is the only type that holds plaintext key bytes. It exposes AES-256-GCM operations on the
 * key, never the key itself, and its {@link #toString()} names only the key ARN.
 *
 * <p>Nonces follow the deterministic construction of NIST SP 800-38D section 8.2.1: a 32-bit fixed
 * field chosen at random for each DEK followed by a 64-bit invocation counter. A DEK is created by
 * one {@code GenerateDataKey} call and used by one cache in one process, so the counter alone makes
 * every nonce unique under that key. The encryption budget ({@code maxEncryptions}) stays far below
 * the 2^32 invocations that section 8.3 allows per key.
 *
 * <p>Thread safety: all methods may be called from any thread. A DEK keeps a {@link Cipher} of its
 * own, which one thread at a time uses. A thread that finds it in use takes a cipher of its own
 * thread instead. Keeping the cipher with the key saves the AES key expansion that a shared cipher
 * repeats whenever consecutive records come under different DEKs, as they do when many orgs
 * interleave. The cost is about 900 bytes of heap per DEK, measured on Java 17 for an AES-GCM
 * cipher after its first use.
 */
public final class Dek {

    public static final int KEY_BYTES = 32;
    public static final int NONCE_BYTES = 12;
    public static final int TAG_BYTES = 16;
    private static final String TRANSFORMATION = "AES/GCM/NoPadding";
    private static final ThreadLocal<Cipher> CIPHERS = ThreadLocal.withInitial(Dek::newCipher);

    private final SecretKeySpec key;
    private final byte[] edek;
    private final String keyArn;

    /** The 16-byte data-key reference that records carry in place of the EDEK, or null. */
    private final byte[] reference;

    private final int nonceFixedField;
    private final long maxEncryptions;
    private final AtomicLong invocations = new AtomicLong();

    /** Set while a thread uses {@link #ownCipher}. */
    private final AtomicBoolean cipherTaken = new AtomicBoolean();

    /** The DEK's cipher, created on first use by the thread that set {@link #cipherTaken}. */
    private Cipher ownCipher;

    private Dek(
            byte[] plaintextKey,
            byte[] edek,
            String keyArn,
            byte[] reference,
            int nonceFixedField,
            long maxEncryptions) {
        if (plaintextKey.length != KEY_BYTES) {
            throw new IllegalArgumentException(
                    "data key must be " + KEY_BYTES + " bytes, got " + plaintextKey.length);
        }
        this.key = new SecretKeySpec(plaintextKey, "AES");
        this.edek = edek.clone();
        this.keyArn = keyArn;
        this.reference = reference == null ? null : reference.clone();
        this.nonceFixedField = nonceFixedField;
        this.maxEncryptions = maxEncryptions;
    }

    /**
     * Creates a DEK for encryption. Takes ownership of {@code plaintextKey}: the array is zeroed
     * before this method returns, so the caller keeps no copy.
     *
     * @param maxEncryptions how many records this DEK may seal before it is exhausted
     * @param nonceFixedField the 32-bit fixed field of every nonce; random for a real DEK
     */
    public static Dek takeOwnershipForEncryption(
            byte[] plaintextKey,
            byte[] edek,
            String keyArn,
            long maxEncryptions,
            int nonceFixedField) {
        return takeOwnershipForEncryption(
                plaintextKey, edek, keyArn, null, maxEncryptions, nonceFixedField);
    }

    /**
     * Creates a DEK for encryption whose records carry {@code reference}, the location of the DEK's
     * entry in the data-key topic, in place of the key ARN and the EDEK (envelope format version
     * 2). Takes ownership of {@code plaintextKey} like the other overload.
     *
     * @param reference the data-key reference, or null for records that carry the EDEK
     */
    public static Dek takeOwnershipForEncryption(
            byte[] plaintextKey,
            byte[] edek,
            String keyArn,
            byte[] reference,
            long maxEncryptions,
            int nonceFixedField) {
        if (maxEncryptions < 1 || maxEncryptions > (1L << 32)) {
            Arrays.fill(plaintextKey, (byte) 0);
            throw new IllegalArgumentException(
                    "maxEncryptions must be between 1 and 2^32, got " + maxEncryptions);
        }
        try {
            return new Dek(plaintextKey, edek, keyArn, reference, nonceFixedField, maxEncryptions);
        } finally {
            Arrays.fill(plaintextKey, (byte) 0);
        }
    }

    /**
     * Creates a DEK that can only decrypt. Takes ownership of {@code plaintextKey}: the array is
     * zeroed before this method returns.
     */
    public static Dek takeOwnershipForDecryption(byte[] plaintextKey, byte[] edek, String keyArn) {
        try {
            return new Dek(plaintextKey, edek, keyArn, null, 0, 0);
        } finally {
            Arrays.fill(plaintextKey, (byte) 0);
        }
    }

    /** The key ARN that KMS reported for this DEK's EDEK. */
    public String keyArn() {
        return keyArn;
    }

    /** A copy of the EDEK, the DEK encrypted by KMS. */
    public byte[] edek() {
        return edek.clone();
    }

    /**
     * Returns a copy of the data-key reference that records sealed under this DEK carry in place of
     * the EDEK, or null when they carry the EDEK itself.
     */
    public byte[] reference() {
        return reference == null ? null : reference.clone();
    }

    /** True when records sealed under this DEK carry a data-key reference (format version 2). */
    public boolean hasReference() {
        return reference != null;
    }

    /** The number of seals this DEK can still perform. */
    public long remainingEncryptions() {
        return Math.max(0, maxEncryptions - invocations.get());
    }

    /** The fraction of the encryption budget already used, between 0 and 1. */
    public double usedFraction() {
        if (maxEncryptions == 0) {
            return 1.0;
        }
        return Math.min(1.0, (double) invocations.get() / maxEncryptions);
    }

    /**
     * Encrypts {@code plaintext[offset, offset + length)} with AES-256-GCM under a fresh nonce.
     *
     * @param nonceOut receives the 12-byte nonce
     * @return the ciphertext followed by the 16-byte tag
     * @throws DekExhaustedException when the encryption budget is spent
     */
    public byte[] seal(byte[] nonceOut, byte[] aad, byte[] plaintext, int offset, int length)
            throws DekExhaustedException {
        byte[] output = new byte[length + TAG_BYTES];
        seal(nonceOut, aad, aad.length, plaintext, offset, length, output);
        return output;
    }

    /**
     * Encrypts {@code plaintext[offset, offset + length)} with AES-256-GCM under a fresh nonce and
     * the associated data {@code aad[0, aadLength)}, and writes the ciphertext followed by the
     * 16-byte tag into {@code output} from index 0. Callers that seal many records reuse one output
     * array instead of allocating one per record.
     *
     * @param nonceOut receives the 12-byte nonce
     * @param output at least {@code length + 16} bytes
     * @return the number of bytes written, {@code length + 16}
     * @throws DekExhaustedException when the encryption budget is spent
     */
    public int seal(
            byte[] nonceOut,
            byte[] aad,
            int aadLength,
            byte[] plaintext,
            int offset,
            int length,
            byte[] output)
            throws DekExhaustedException {
        if (output.length < length + TAG_BYTES) {
            throw new IllegalArgumentException(
                    "plaintext of "
                            + length
                            + " bytes needs an output of "
                            + (length + TAG_BYTES)
                            + " bytes, got "
                            + output.length);
        }
        long counter = invocations.getAndIncrement();
        if (counter >= maxEncryptions) {
            throw new DekExhaustedException(keyArn, maxEncryptions);
        }
        ByteBuffer.wrap(nonceOut, 0, NONCE_BYTES).putInt(nonceFixedField).putLong(counter);
        boolean own = cipherTaken.compareAndSet(false, true);
        try {
            Cipher cipher = own ? ownCipher() : CIPHERS.get();
            cipher.init(
                    Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BYTES * 8, nonceOut, 0, 12));
            cipher.updateAAD(aad, 0, aadLength);
            return cipher.doFinal(plaintext, offset, length, output, 0);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM encryption failed", e);
        } finally {
            if (own) {
                cipherTaken.set(false);
            }
        }
    }

    /**
     * Decrypts and verifies {@code ciphertextAndTag} (ciphertext followed by the 16-byte tag).
     *
     * @return the plaintext
     * @throws AEADBadTagException when the tag does not verify: wrong key, nonce, associated data
     *     or a changed byte
     */
    public byte[] open(byte[] nonce, byte[] aad, byte[] ciphertextAndTag)
            throws AEADBadTagException {
        if (nonce.length != NONCE_BYTES) {
            throw new AEADBadTagException(
                    "nonce must be " + NONCE_BYTES + " bytes, got " + nonce.length);
        }
        boolean own = cipherTaken.compareAndSet(false, true);
        try {
            Cipher cipher = own ? ownCipher() : CIPHERS.get();
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BYTES * 8, nonce));
            cipher.updateAAD(aad);
            return cipher.doFinal(ciphertextAndTag);
        } catch (AEADBadTagException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM decryption failed", e);
        } finally {
            if (own) {
                cipherTaken.set(false);
            }
        }
    }

    /**
     * Decrypts and verifies {@code input[inputOffset, inputOffset + inputLength)}, ciphertext
     * followed by the 16-byte tag, into {@code output} from index 0, with the nonce at {@code
     * nonce[nonceOffset, nonceOffset + 12)} and the associated data {@code aad[0, aadLength)}. When
     * the tag does not verify, the output range is zeroed before the exception leaves, so that no
     * unverified plaintext stays in it, whatever the cipher wrote there.
     *
     * @param output at least {@code inputLength - 16} bytes
     * @return the plaintext length, {@code inputLength - 16}
     * @throws AEADBadTagException when the tag does not verify
     */
    public int open(
            byte[] nonce,
            int nonceOffset,
            byte[] aad,
            int aadLength,
            byte[] input,
            int inputOffset,
            int inputLength,
            byte[] output)
            throws AEADBadTagException {
        if (inputLength < TAG_BYTES || output.length < inputLength - TAG_BYTES) {
            throw new IllegalArgumentException(
                    "input of "
                            + inputLength
                            + " bytes needs an output of "
                            + (inputLength - TAG_BYTES)
                            + " bytes, got "
                            + output.length);
        }
        boolean own = cipherTaken.compareAndSet(false, true);
        try {
            Cipher cipher = own ? ownCipher() : CIPHERS.get();
            cipher.init(
                    Cipher.DECRYPT_MODE,
                    key,
                    new GCMParameterSpec(TAG_BYTES * 8, nonce, nonceOffset, NONCE_BYTES));
            cipher.updateAAD(aad, 0, aadLength);
            return cipher.doFinal(input, inputOffset, inputLength, output, 0);
        } catch (AEADBadTagException e) {
            Arrays.fill(output, 0, inputLength - TAG_BYTES, (byte) 0);
            throw e;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM decryption failed", e);
        } finally {
            if (own) {
                cipherTaken.set(false);
            }
        }
    }

    /** Returns this DEK's own cipher. Only the thread that set {@link #cipherTaken} may call it. */
    private Cipher ownCipher() {
        if (ownCipher == null) {
            ownCipher = newCipher();
        }
        return ownCipher;
    }

    private static Cipher newCipher() {
        try {
            return Cipher.getInstance(TRANSFORMATION);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(TRANSFORMATION + " is not available in this JVM", e);
        }
    }

    @Override
    public String toString() {
        return "Dek[keyArn=" + keyArn + ", key=***]";
    }
}
