package io.cmekflink.schema;

import java.io.IOException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;

/**
 * Decodes plain Avro binary records of one schema and rejects any payload that is not exactly one
 * record: truncated or invalid encodings, declared lengths beyond the payload (see {@link
 * BoundedBinaryDecoder}), and trailing bytes the schema does not consume.
 *
 * <p>Trailing bytes matter here: the encrypted form of a record can decode as a valid record of its
 * writer schema when the marked fields are strings, and only the bytes left over show that it is
 * not one. Records are read with {@link CanonicalDatumWriter#GENERIC_DATA}, so logical types stay
 * in their underlying Avro types.
 *
 * <p>Thread safety: all methods may be called from any thread.
 */
public final class StrictRecordDecoder {

    private static final ThreadLocal<BoundedBinaryDecoder> DECODERS =
            ThreadLocal.withInitial(BoundedBinaryDecoder::new);

    private final Schema schema;
    private final GenericDatumReader<GenericRecord> reader;

    public StrictRecordDecoder(Schema schema) {
        if (schema.getType() != Schema.Type.RECORD) {
            throw new IllegalArgumentException(
                    "schema must be a record, got " + schema.getType().getName());
        }
        this.schema = schema;
        this.reader = new GenericDatumReader<>(schema, schema, CanonicalDatumWriter.GENERIC_DATA);
    }

    public Schema schema() {
        return schema;
    }

    public GenericRecord decode(byte[] bytes) throws MalformedRecordException {
        return decode(bytes, 0, bytes.length);
    }

    /** Decodes {@code bytes[offset, offset + length)}, which must hold exactly one record. */
    public GenericRecord decode(byte[] bytes, int offset, int length)
            throws MalformedRecordException {
        BoundedBinaryDecoder decoder = DECODERS.get().reset(bytes, offset, length);
        try {
            return readOneRecord(decoder, length);
        } finally {
            // The thread-local decoder outlives the call, so it must not keep the payload.
            decoder.clear();
        }
    }

    private GenericRecord readOneRecord(BoundedBinaryDecoder decoder, int length)
            throws MalformedRecordException {
        GenericRecord record;
        try {
            record = reader.read(null, decoder);
        } catch (IOException | RuntimeException e) {
            throw malformed(
                    "failed after " + decoder.position() + " of " + length + " bytes" + reason(e),
                    decoder.position(),
                    length,
                    e);
        } catch (StackOverflowError e) {
            throw malformed(
                    "failed: the record nests deeper than the thread stack allows",
                    decoder.position(),
                    length,
                    null);
        }
        if (!decoder.isEnd()) {
            throw malformed(
                    "consumed "
                            + decoder.position()
                            + " of "
                            + length
                            + " bytes and left "
                            + decoder.remaining()
                            + " trailing bytes; the payload is not one plain record of this schema",
                    decoder.position(),
                    length,
                    null);
        }
        return record;
    }

    /**
     * Describes a read failure. Only the decoder's own messages are quoted, because they name byte
     * positions and counts, never values. Any other exception contributes only its type.
     */
    private static String reason(Exception e) {
        if (e instanceof BoundedBinaryDecoder.InvalidEncodingException) {
            return ": " + e.getMessage();
        }
        return " (" + e.getClass().getSimpleName() + ")";
    }

    private MalformedRecordException malformed(
            String what, int consumed, int total, Throwable cause) {
        return new MalformedRecordException(
                "Avro record of schema " + schema.getFullName() + " is malformed: decoding " + what,
                schema.getFullName(),
                consumed,
                total,
                cause);
    }
}
