package io.cmekflink.crypto;

import io.cmekflink.schema.ByteArrayEncoder;
import io.cmekflink.schema.CanonicalDatumWriter;
import io.cmekflink.schema.EnvelopeSchema;
import io.cmekflink.schema.SingleObjectEncoding;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;

/**
 * Replaces the key ARN and EDEK, or the data-key reference, in the envelope of an encrypted record,
 * for re-wrapping. The ciphertext, nonce and tag stay as they are, because the DEK stays the same
 * and the associated data covers none of these envelope fields.
 *
 * <p>Thread safety: all methods may be called from any thread.
 */
public final class EnvelopeRewriter {

    private final Map<Schema, CanonicalDatumWriter<GenericRecord>> writers =
            new ConcurrentHashMap<>();
    private final ThreadLocal<ByteArrayEncoder> buffers =
            ThreadLocal.withInitial(() -> new ByteArrayEncoder(4096));

    /**
     * Returns the record in single-object encoding with its envelope naming {@code newKeyArn} and
     * {@code newEdek}. Does not change {@code derived}.
     *
     * @param layoutFingerprint the single-object fingerprint the record was read with
     */
    public byte[] rewrite(
            GenericRecord derived, long layoutFingerprint, String newKeyArn, byte[] newEdek)
            throws InvalidCiphertextException {
        return withEnvelope(
                derived,
                layoutFingerprint,
                RecordOpener.envelopeOf(derived).withKey(newKeyArn, newEdek));
    }

    /**
     * Returns the record in single-object encoding with the data-key reference in its envelope
     * (format version 2) replaced by {@code newReference}. Does not change {@code derived}.
     *
     * @param layoutFingerprint the single-object fingerprint the record was read with
     * @throws IllegalStateException when the record carries its EDEK (format version 1)
     */
    public byte[] rewriteReference(
            GenericRecord derived, long layoutFingerprint, byte[] newReference)
            throws InvalidCiphertextException {
        return withEnvelope(
                derived,
                layoutFingerprint,
                RecordOpener.envelopeOf(derived).withReference(newReference));
    }

    private byte[] withEnvelope(GenericRecord derived, long layoutFingerprint, Envelope envelope) {
        Schema schema = derived.getSchema();
        GenericData.Record copy = new GenericData.Record((GenericData.Record) derived, false);
        copy.put(schema.getField(EnvelopeSchema.FIELD_NAME).pos(), envelope.toRecord());
        return encode(copy, layoutFingerprint);
    }

    /**
     * Encodes a derived record in single-object encoding, map entries sorted by key, as the sealer
     * writes it.
     */
    public byte[] encode(GenericRecord derived, long layoutFingerprint) {
        ByteArrayEncoder out = buffers.get();
        out.reset();
        SingleObjectEncoding.writeHeader(out, layoutFingerprint);
        try {
            writers.computeIfAbsent(derived.getSchema(), CanonicalDatumWriter::new)
                    .write(derived, out);
        } catch (IOException e) {
            throw new IllegalStateException("encoding into memory failed", e);
        }
        return out.toByteArray();
    }
}
