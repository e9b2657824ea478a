package io.cmekflink.ingest;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;

/**
 * Decodes the Confluent wire format. Byte 0 is the magic byte 0, and bytes 1 to 4 are the schema id
 * as a big-endian signed int. The rest is Avro binary encoding under the schema of that id, and it
 * must end exactly at the end of the value.
 *
 * <p>The schema ids and their schemas are configured, and the decoder asks no schema registry. Byte
 * offsets in messages count from the first byte after the header. One instance serves one thread at
 * a time.
 */
public final class ConfluentAvroValueDecoder implements ValueDecoder {

    /** Magic byte, schema id. */
    static final int HEADER_BYTES = 5;

    private final Map<Integer, AvroBinaryValueDecoder> decodersById = new HashMap<>();
    private final List<Schema> schemas;
    private final String configuredIds;

    /**
     * Creates a decoder.
     *
     * @param schemasById writer schema per Confluent schema id; at least one
     * @param options the nesting bound
     */
    public ConfluentAvroValueDecoder(Map<Integer, Schema> schemasById, DecoderOptions options) {
        if (schemasById.isEmpty()) {
            throw new IllegalArgumentException("confluent-avro needs at least one schema id");
        }
        TreeMap<Integer, Schema> sorted = new TreeMap<>(schemasById);
        List<Schema> orderedSchemas = new ArrayList<>();
        sorted.forEach(
                (id, schema) -> {
                    String description = schema.getFullName() + " (schema id " + id + ")";
                    decodersById.put(id, new AvroBinaryValueDecoder(schema, options, description));
                    orderedSchemas.add(schema);
                });
        this.schemas = List.copyOf(orderedSchemas);
        this.configuredIds = sorted.keySet().toString();
    }

    @Override
    public GenericRecord decode(byte[] value) throws IngestException {
        if (value == null) {
            throw malformed("record value is null (a tombstone)");
        }
        if (value.length < HEADER_BYTES) {
            throw malformed(
                    "value has "
                            + value.length
                            + " bytes, fewer than the 5 bytes of the Confluent header");
        }
        if (value[0] != 0) {
            throw malformed(
                    "first byte is not the Confluent magic byte 0; is the topic written in plain"
                            + " Avro or JSON?");
        }
        int schemaId =
                (value[1] & 0xff) << 24
                        | (value[2] & 0xff) << 16
                        | (value[3] & 0xff) << 8
                        | (value[4] & 0xff);
        AvroBinaryValueDecoder decoder = decodersById.get(schemaId);
        if (decoder == null) {
            throw new IngestException(
                    IngestErrorCode.UNKNOWN_SCHEMA,
                    "schema id "
                            + schemaId
                            + " is not configured; configured ids: "
                            + configuredIds
                            + ". Add the schema file of that id to the job definition.",
                    null,
                    null);
        }
        return decoder.decode(value, HEADER_BYTES, value.length - HEADER_BYTES);
    }

    private static IngestException malformed(String message) {
        return new IngestException(IngestErrorCode.MALFORMED_RECORD, message, null, null);
    }

    @Override
    public List<Schema> writerSchemas() {
        return schemas;
    }

    @Override
    public ValueFormat format() {
        return ValueFormat.CONFLUENT_AVRO;
    }
}
