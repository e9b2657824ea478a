package io.cmekflink.ingest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.IOException;
import java.util.List;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;

/**
 * Decodes one plain JSON object, such as a Kong log entry, into a record of the writer schema by
 * field name. This is not Avro's JSON encoding: unions have no wrapper object, and {@link
 * JsonUnionReader} chooses the branch by the JSON token type.
 *
 * <p>Rules: the top-level value must be one object and nothing may follow it; records map keys to
 * fields, reject unknown and repeated keys, and fill missing fields with their default, or null
 * when nullable, else reject the record; maps take any keys but not repeated ones; enums take their
 * symbols; bytes and fixed take base64 strings; int and long take integers within range; float and
 * double take any number; logical types read as their underlying type, so timestamp-millis takes an
 * integer of milliseconds; decimal takes a number. Nesting past {@link DecoderOptions#maxDepth()}
 * is rejected. A missing or non-string top-level org id field is {@link
 * IngestErrorCode#MISSING_ORG_ID}.
 *
 * <p>Records hold the same Java types as Avro binary decoding gives ({@code Utf8} strings, {@code
 * HashMap} maps with {@code Utf8} keys), so both formats yield equal records. Jackson's error
 * messages quote input, so they never reach {@link IngestException}; the source is also left out of
 * Jackson's locations. Unlike the Avro decoders this one keeps no per-call state, so threads may
 * share it.
 */
public final class JsonValueDecoder implements ValueDecoder {

    private final Schema schema;
    private final JsonFactory factory;
    private final JsonRecordReader root;

    /**
     * Creates a decoder.
     *
     * @param writerSchema a record schema
     * @param options the nesting bound and the org id field
     */
    public JsonValueDecoder(Schema writerSchema, DecoderOptions options) {
        this.schema = Objects.requireNonNull(writerSchema, "writerSchema");
        if (writerSchema.getType() != Schema.Type.RECORD) {
            throw new IllegalArgumentException(
                    "writer schema must be a record, got " + writerSchema.getType());
        }
        this.factory =
                JsonFactory.builder()
                        .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
                        .streamReadConstraints(
                                StreamReadConstraints.builder()
                                        .maxNestingDepth(2 * DecoderOptions.MAX_MAX_DEPTH)
                                        .build())
                        .build();
        this.root = JsonReaderCompiler.compile(writerSchema, options);
    }

    @Override
    public GenericRecord decode(byte[] value) throws IngestException {
        if (value == null) {
            throw new IngestException(
                    IngestErrorCode.MALFORMED_RECORD,
                    "record value is null (a tombstone); expected a JSON object of "
                            + schema.getFullName(),
                    schema.getFullName(),
                    null);
        }
        try (JsonParser parser = factory.createParser(value)) {
            GenericRecord record = readTopLevel(parser);
            JsonToken after = nextToken(parser);
            if (after != null) {
                throw DecodeFailure.malformed(
                        "a JSON "
                                + JsonValueReader.tokenName(after)
                                + " follows the top-level object",
                        JsonValueReader.location(parser));
            }
            return record;
        } catch (DecodeFailure failure) {
            throw failure.toIngestException(schema.getFullName(), schema.getFullName());
        } catch (IOException e) {
            throw JsonFailures.of(e).toIngestException(schema.getFullName(), schema.getFullName());
        }
    }

    private GenericRecord readTopLevel(JsonParser parser) throws IOException {
        JsonToken first = nextToken(parser);
        if (first == null) {
            throw DecodeFailure.malformed("empty input: expected a JSON object");
        }
        if (first == JsonToken.START_ARRAY) {
            throw DecodeFailure.malformed(
                    "top-level JSON value is an array, expected one object per Kafka record (Kong's"
                            + " http-log and kafka-log send arrays when max_batch_size > 1)",
                    JsonValueReader.location(parser));
        }
        if (first != JsonToken.START_OBJECT) {
            throw DecodeFailure.malformed(
                    "top-level JSON value is a "
                            + JsonValueReader.tokenName(first)
                            + ", expected an object",
                    JsonValueReader.location(parser));
        }
        return root.readTopLevel(parser, first);
    }

    private static JsonToken nextToken(JsonParser parser) throws DecodeFailure {
        try {
            return parser.nextToken();
        } catch (IOException e) {
            throw JsonFailures.of(e);
        }
    }

    @Override
    public List<Schema> writerSchemas() {
        return List.of(schema);
    }

    @Override
    public ValueFormat format() {
        return ValueFormat.JSON;
    }
}
