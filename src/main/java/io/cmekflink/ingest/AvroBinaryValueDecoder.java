package io.cmekflink.ingest;

import java.io.IOException;
import java.util.List;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;

/**
 * Decodes Avro binary encoding of one record of the writer schema. The value must end exactly where
 * the record ends: ciphertext can decode as a valid record when fields are strings, and trailing
 * bytes are the usual sign of that, so they are an error, like truncated input.
 *
 * <p>Strings decode as {@link org.apache.avro.util.Utf8}, maps as {@link java.util.HashMap} with
 * {@code Utf8} keys, as Avro's {@code GenericDatumReader} returns them. One instance serves one
 * thread at a time: it reuses its decoder and reader between calls.
 */
public final class AvroBinaryValueDecoder implements ValueDecoder {

    private final Schema schema;
    private final String schemaDescription;
    private final BoundedBinaryDecoder decoder = new BoundedBinaryDecoder();
    private final PathTrackingDatumReader reader;

    /**
     * Creates a decoder.
     *
     * @param writerSchema a record schema
     * @param options the nesting bound
     */
    public AvroBinaryValueDecoder(Schema writerSchema, DecoderOptions options) {
        this(writerSchema, options, writerSchema.getFullName());
    }

    AvroBinaryValueDecoder(Schema writerSchema, DecoderOptions options, String schemaDescription) {
        this.schema = Objects.requireNonNull(writerSchema, "writerSchema");
        if (writerSchema.getType() != Schema.Type.RECORD) {
            throw new IllegalArgumentException(
                    "writer schema must be a record, got " + writerSchema.getType());
        }
        this.schemaDescription = schemaDescription;
        this.reader = new PathTrackingDatumReader(writerSchema, options.maxDepth());
    }

    @Override
    public GenericRecord decode(byte[] value) throws IngestException {
        if (value == null) {
            throw new IngestException(
                    IngestErrorCode.MALFORMED_RECORD,
                    "record value is null (a tombstone); expected Avro binary of "
                            + schemaDescription,
                    schema.getFullName(),
                    null);
        }
        return decode(value, 0, value.length);
    }

    /** Decodes the record in {@code length} bytes of {@code value} from {@code offset}. */
    GenericRecord decode(byte[] value, int offset, int length) throws IngestException {
        decoder.reset(value, offset, length);
        try {
            GenericRecord record = reader.read(null, decoder);
            if (decoder.remaining() != 0) {
                throw DecodeFailure.malformed(
                        decoder.remaining()
                                + " trailing bytes after the record: the writer schema consumed "
                                + decoder.consumed()
                                + " of "
                                + length
                                + " bytes");
            }
            return record;
        } catch (DecodeFailure failure) {
            throw failure.toIngestException(schemaDescription, schema.getFullName());
        } catch (RuntimeException e) {
            throw PathTrackingDatumReader.fromAvro(e)
                    .toIngestException(schemaDescription, schema.getFullName());
        } catch (IOException e) {
            throw DecodeFailure.malformed(
                            "reading Avro binary failed (" + e.getClass().getSimpleName() + ")")
                    .toIngestException(schemaDescription, schema.getFullName());
        } finally {
            reader.resetDepth();
            decoder.clear();
        }
    }

    @Override
    public List<Schema> writerSchemas() {
        return List.of(schema);
    }

    @Override
    public ValueFormat format() {
        return ValueFormat.AVRO;
    }
}
