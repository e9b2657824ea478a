package io.cmekflink.crypto;

import io.cmekflink.dek.Dek;
import io.cmekflink.dek.DekExhaustedException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.AEADBadTagException;

/**
 * Seals record values that wait in Flink state (for a key link, or in flight to KMS), under a DEK
 * of the platform's state key, so that checkpoints and savepoints hold no plaintext of them.
 *
 * <p>Byte layout, version 1 (integers big-endian):
 *
 * <pre>
 * byte      version            1
 * int32 n   + n bytes          EDEK of the sealing DEK
 * 12 bytes  nonce
 * rest      AES-256-GCM ciphertext and tag of the value, associated data "cmek-flink/state/v1"
 * </pre>
 *
 * A value sealed by another parallel instance, or before a restore, names its EDEK, which is
 * unwrapped once with KMS {@code Decrypt}. Thread safety: safe for concurrent use.
 */
public final class StateSealer {

    public static final byte VERSION = 1;

    /** The encryption context of the state key's DEKs. */
    public static final Map<String, String> ENCRYPTION_CONTEXT =
            Map.of(EncryptionContext.PURPOSE_KEY, "cmek-flink/state");

    private static final byte[] AAD = "cmek-flink/state/v1".getBytes(StandardCharsets.UTF_8);

    /** Creates and unwraps DEKs of the state key; KMS calls that may block. */
    public interface Keys {
        /** Generates a new DEK of the state key. */
        Dek generate();

        /** Unwraps an EDEK of the state key. */
        Dek unwrap(byte[] edek);
    }

    private final Keys keys;
    private final Map<ByteBuffer, Dek> unwrapped = new ConcurrentHashMap<>();
    private volatile Dek current;

    public StateSealer(Keys keys) {
        this.keys = keys;
    }

    /** Seals a value. */
    public byte[] seal(byte[] value) {
        for (int attempt = 0; attempt < 3; attempt++) {
            Dek dek = currentDek();
            byte[] nonce = new byte[Dek.NONCE_BYTES];
            try {
                byte[] sealed = dek.seal(nonce, AAD, value, 0, value.length);
                byte[] edek = dek.edek();
                return ByteBuffer.allocate(1 + 4 + edek.length + nonce.length + sealed.length)
                        .put(VERSION)
                        .putInt(edek.length)
                        .put(edek)
                        .put(nonce)
                        .put(sealed)
                        .array();
            } catch (DekExhaustedException e) {
                synchronized (this) {
                    if (current == dek) {
                        current = null;
                    }
                }
            }
        }
        throw new IllegalStateException("no state DEK with encryptions left after 3 attempts");
    }

    /**
     * Opens a sealed value.
     *
     * @throws IllegalStateException when the value is not sealed state of this format or fails its
     *     tag check: state that does not open must fail the task, never pass as a record
     */
    public byte[] open(byte[] sealed) {
        if (sealed == null || sealed.length < 1 + 4 || sealed[0] != VERSION) {
            throw new IllegalStateException("state value is not sealed with format version 1");
        }
        ByteBuffer in = ByteBuffer.wrap(sealed, 1, sealed.length - 1);
        int edekLength = in.getInt();
        if (edekLength < 0 || edekLength > in.remaining() - Dek.NONCE_BYTES - Dek.TAG_BYTES) {
            throw new IllegalStateException("sealed state value is truncated");
        }
        byte[] edek = new byte[edekLength];
        in.get(edek);
        byte[] nonce = new byte[Dek.NONCE_BYTES];
        in.get(nonce);
        byte[] ciphertext = Arrays.copyOfRange(sealed, in.position(), sealed.length);
        Dek dek = dekOf(edek);
        try {
            return dek.open(nonce, AAD, ciphertext);
        } catch (AEADBadTagException e) {
            throw new IllegalStateException("sealed state value failed its tag check", e);
        }
    }

    /** True when a value looks sealed by this class; plain Avro values may also start with 1. */
    public static boolean isSealed(byte[] value) {
        return value != null && value.length > 5 && value[0] == VERSION;
    }

    private Dek currentDek() {
        Dek dek = current;
        if (dek == null) {
            synchronized (this) {
                if (current == null) {
                    current = keys.generate();
                    unwrapped.put(ByteBuffer.wrap(current.edek()), current);
                }
                dek = current;
            }
        }
        return dek;
    }

    private Dek dekOf(byte[] edek) {
        return unwrapped.computeIfAbsent(ByteBuffer.wrap(edek), k -> keys.unwrap(edek));
    }

    /** A random 32-bit nonce fixed field for a new state DEK. */
    public static int nonceFixedField() {
        return new SecureRandom().nextInt();
    }
}
