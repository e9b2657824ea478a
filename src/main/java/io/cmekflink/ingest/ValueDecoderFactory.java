package io.cmekflink.ingest;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.Schema;

/** Builds a {@link ValueDecoder} from a format name and schema files. */
public final class ValueDecoderFactory {

    private ValueDecoderFactory() {}

    /**
     * Builds a decoder from files.
     *
     * @param formatName {@code avro}, {@code confluent-avro} or {@code json}
     * @param schemaFile the writer schema file for {@code avro} and {@code json}; null for {@code
     *     confluent-avro}
     * @param schemaFilesById the schema file of each Confluent schema id for {@code
     *     confluent-avro}; empty for the other formats
     * @param options nesting bound and org id field
     * @throws IllegalArgumentException for an unknown format name, a schema file that cannot be
     *     read or parsed, a missing or superfluous file argument, or a schema without a top-level
     *     string org id field. The message names the file.
     */
    public static ValueDecoder create(
            String formatName,
            Path schemaFile,
            Map<Integer, Path> schemaFilesById,
            DecoderOptions options) {
        ValueFormat format = ValueFormat.fromName(formatName);
        Objects.requireNonNull(schemaFilesById, "schemaFilesById");
        if (format == ValueFormat.CONFLUENT_AVRO) {
            if (schemaFile != null) {
                throw new IllegalArgumentException(
                        "format confluent-avro takes one schema file per schema id, not a single"
                                + " schema file ("
                                + schemaFile
                                + ")");
            }
            if (schemaFilesById.isEmpty()) {
                throw new IllegalArgumentException(
                        "format confluent-avro needs at least one schema id with its schema file");
            }
            Map<Integer, Schema> schemas = new LinkedHashMap<>();
            schemaFilesById.forEach(
                    (id, file) -> schemas.put(id, checked(SchemaFiles.parse(file), file, options)));
            return new ConfluentAvroValueDecoder(schemas, options);
        }
        if (schemaFile == null) {
            throw new IllegalArgumentException(
                    "format " + formatName + " needs the writer schema file");
        }
        if (!schemaFilesById.isEmpty()) {
            throw new IllegalArgumentException(
                    "schema ids are only used with format confluent-avro, not " + formatName);
        }
        return create(format, checked(SchemaFiles.parse(schemaFile), schemaFile, options), options);
    }

    /**
     * Builds an {@code avro} or {@code json} decoder from a parsed writer schema.
     *
     * @throws IllegalArgumentException for {@code confluent-avro}, which needs schema ids, or a
     *     schema without a top-level string org id field
     */
    public static ValueDecoder create(
            ValueFormat format, Schema writerSchema, DecoderOptions options) {
        checkOrgIdField(writerSchema, options.orgIdField());
        return switch (format) {
            case AVRO -> new AvroBinaryValueDecoder(writerSchema, options);
            case JSON -> new JsonValueDecoder(writerSchema, options);
            case CONFLUENT_AVRO ->
                    throw new IllegalArgumentException(
                            "format confluent-avro needs schemas by id: use"
                                    + " ConfluentAvroValueDecoder");
        };
    }

    private static Schema checked(Schema schema, Path file, DecoderOptions options) {
        try {
            checkOrgIdField(schema, options.orgIdField());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("schema file " + file + ": " + e.getMessage(), e);
        }
        return schema;
    }

    /**
     * Checks that a writer schema is a record with a top-level org id field of type string, or a
     * union with a string branch.
     */
    static void checkOrgIdField(Schema schema, String orgIdField) {
        if (schema.getType() != Schema.Type.RECORD) {
            throw new IllegalArgumentException(
                    "writer schema must be a record, got " + schema.getType());
        }
        Schema.Field field = schema.getField(orgIdField);
        if (field == null) {
            throw new IllegalArgumentException(
                    "record "
                            + schema.getFullName()
                            + " has no top-level field "
                            + orgIdField
                            + " for the org id; add it or configure the org id field");
        }
        if (!acceptsString(field.schema())) {
            throw new IllegalArgumentException(
                    "org id field "
                            + orgIdField
                            + " of "
                            + schema.getFullName()
                            + " must be a string, got "
                            + field.schema());
        }
    }

    private static boolean acceptsString(Schema schema) {
        if (schema.getType() == Schema.Type.STRING) {
            return true;
        }
        return schema.getType() == Schema.Type.UNION
                && schema.getTypes().stream().anyMatch(s -> s.getType() == Schema.Type.STRING);
    }
}
