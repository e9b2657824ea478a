package io.cmekflink.crypto;

import io.cmekflink.dek.Dek;
import io.cmekflink.dek.DekExhaustedException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import javax.crypto.AEADBadTagException;

/**
 * The payload of a {@code SEALED} dead letter: the input value as read, sealed with AES-256-GCM
 * under a DEK of the platform's dead-letter key, so that the record can be replayed once its cause
 * is fixed without keeping its marked fields in plaintext at rest.
 *
 * <p>Byte layout, version 1. Integers are big-endian; {@code string} is an int32 byte count
 * followed by UTF-8:
 *
 * <pre>
 * byte      version             1
 * string    key ARN             the platform key that wrapped the EDEK
 * int32     n, then n bytes     EDEK
 * 12 bytes  nonce
 * rest      ciphertext and 16-byte tag of the value
 * </pre>
 *
 * The associated data is {@code "cmek-flink/dead-letter/v1"}, the org id (empty when unknown) and
 * the source topic, partition and offset, each as a string or integer as above, so that a sealed
 * payload cannot be moved to another dead letter.
 */
public final class SealedPayload {

    public static final int VERSION = 1;
    private static final String AAD_LABEL = "cmek-flink/dead-letter/v1";

    /** The encryption context of the platform dead-letter key's DEKs. */
    public static final Map<String, String> ENCRYPTION_CONTEXT =
            Map.of(EncryptionContext.PURPOSE_KEY, "cmek-flink/dead-letter");

    /** The key ARN and EDEK that a sealed payload names, for unwrapping its DEK. */
    public record WrappedKey(String keyArn, byte[] edek) {}

    private SealedPayload() {}

    /** Seals {@code value}, the input record's bytes, for the dead letter at a source position. */
    public static byte[] seal(
            Dek dek, byte[] value, String orgId, String topic, int partition, long offset)
            throws DekExhaustedException {
        byte[] nonce = new byte[Dek.NONCE_BYTES];
        byte[] aad = associatedData(orgId, topic, partition, offset);
        byte[] sealed = dek.seal(nonce, aad, value, 0, value.length);
        byte[] arn = dek.keyArn().getBytes(StandardCharsets.UTF_8);
        byte[] edek = dek.edek();
        ByteBuffer out =
                ByteBuffer.allocate(1 + 4 + arn.length + 4 + edek.length + 12 + sealed.length);
        out.put((byte) VERSION).putInt(arn.length).put(arn).putInt(edek.length).put(edek);
        out.put(nonce).put(sealed);
        return out.array();
    }

    /**
     * Reads the key ARN and EDEK of a sealed payload.
     *
     * @throws InvalidCiphertextException when the bytes are not a sealed payload of version 1
     */
    public static WrappedKey wrappedKey(byte[] payload) throws InvalidCiphertextException {
        ByteBuffer in = header(payload);
        String arn = string(in);
        byte[] edek = bytes(in);
        return new WrappedKey(arn, edek);
    }

    /**
     * Opens a sealed payload with its unwrapped DEK.
     *
     * @throws TamperedRecordException when the tag does not verify for this dead letter
     */
    public static byte[] open(
            Dek dek, byte[] payload, String orgId, String topic, int partition, long offset)
            throws RecordOpenException {
        ByteBuffer in = header(payload);
        string(in);
        bytes(in);
        if (in.remaining() < Dek.NONCE_BYTES + Dek.TAG_BYTES) {
            throw new InvalidCiphertextException("sealed payload is truncated", orgId, null, null);
        }
        byte[] nonce = new byte[Dek.NONCE_BYTES];
        in.get(nonce);
        byte[] sealed = Arrays.copyOfRange(payload, in.position(), payload.length);
        try {
            return dek.open(nonce, associatedData(orgId, topic, partition, offset), sealed);
        } catch (AEADBadTagException e) {
            throw new TamperedRecordException(
                    "sealed dead-letter payload failed its tag check", orgId, null, null);
        }
    }

    private static ByteBuffer header(byte[] payload) throws InvalidCiphertextException {
        if (payload == null || payload.length < 1 || payload[0] != VERSION) {
            throw new InvalidCiphertextException(
                    "not a sealed dead-letter payload of version " + VERSION, null, null, null);
        }
        return ByteBuffer.wrap(payload, 1, payload.length - 1);
    }

    private static String string(ByteBuffer in) throws InvalidCiphertextException {
        return new String(bytes(in), StandardCharsets.UTF_8);
    }

    private static byte[] bytes(ByteBuffer in) throws InvalidCiphertextException {
        if (in.remaining() < 4) {
            throw new InvalidCiphertextException("sealed payload is truncated", null, null, null);
        }
        int length = in.getInt();
        if (length < 0 || length > in.remaining()) {
            throw new InvalidCiphertextException(
                    "sealed payload declares " + length + " bytes, " + in.remaining() + " left",
                    null,
                    null,
                    null);
        }
        byte[] out = new byte[length];
        in.get(out);
        return out;
    }

    private static byte[] associatedData(String orgId, String topic, int partition, long offset) {
        byte[] label = AAD_LABEL.getBytes(StandardCharsets.UTF_8);
        byte[] org = (orgId == null ? "" : orgId).getBytes(StandardCharsets.UTF_8);
        byte[] t = topic.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(4 + label.length + 4 + org.length + 4 + t.length + 4 + 8)
                .putInt(label.length)
                .put(label)
                .putInt(org.length)
                .put(org)
                .putInt(t.length)
                .put(t)
                .putInt(partition)
                .putLong(offset)
                .array();
    }
}
