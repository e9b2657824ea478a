package io.cmekflink.schema;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.JsonProperties;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.apache.avro.util.internal.Accessor;

/**
 * Restores the writer schema from a derived schema: the inverse of {@link SchemaDerivation}.
 *
 * <p>Each marked field gets back the schema stored in {@value DerivedSchema#ORIGINAL_SCHEMA_PROP},
 * each field with {@value DerivedSchema#ORIGINAL_DEFAULT_PROP} gets back that default, the envelope
 * field and every property starting with {@value DerivedSchema#RESERVED_PROP_PREFIX} go.
 */
final class SchemaRestoration {

    private final Map<String, Schema> restoredRecords = new HashMap<>();
    private final List<MarkedField> markedFields = new ArrayList<>();

    private SchemaRestoration() {}

    record Result(Schema writer, List<MarkedField> markedFields) {}

    static Result restore(Schema derived) {
        checkEnvelope(derived);
        SchemaRestoration restoration = new SchemaRestoration();
        Schema top = newRecordLike(derived);
        List<Schema.Field> fields = new ArrayList<>();
        List<Schema.Field> derivedFields = derived.getFields();
        for (Schema.Field field : derivedFields.subList(0, derivedFields.size() - 1)) {
            fields.add(restoration.restoreField(derived, field));
        }
        top.setFields(fields);
        return new Result(top, List.copyOf(restoration.markedFields));
    }

    private static void checkEnvelope(Schema derived) {
        if (derived.getType() != Schema.Type.RECORD) {
            throw new IllegalArgumentException(
                    "derived schema must be a record, got " + derived.getType().getName());
        }
        List<Schema.Field> fields = derived.getFields();
        Schema.Field last = fields.isEmpty() ? null : fields.get(fields.size() - 1);
        if (last == null || !last.name().equals(EnvelopeSchema.FIELD_NAME)) {
            throw new IllegalArgumentException(
                    "schema "
                            + derived.getFullName()
                            + " is not a derived schema: its last field is not '"
                            + EnvelopeSchema.FIELD_NAME
                            + "'");
        }
        if (!last.schema().equals(EnvelopeSchema.SCHEMA)) {
            throw new IllegalArgumentException(
                    "derived schema "
                            + derived.getFullName()
                            + " has an envelope of another format than "
                            + EnvelopeSchema.SCHEMA.getFullName()
                            + " version "
                            + EnvelopeSchema.FORMAT_VERSION);
        }
    }

    private Schema restoreSchema(Schema schema) {
        return switch (schema.getType()) {
            case RECORD -> restoreRecord(schema);
            case ARRAY ->
                    withPropsOf(schema, Schema.createArray(restoreSchema(schema.getElementType())));
            case MAP -> withPropsOf(schema, Schema.createMap(restoreSchema(schema.getValueType())));
            case UNION -> {
                List<Schema> branches = new ArrayList<>();
                for (Schema branch : schema.getTypes()) {
                    branches.add(restoreSchema(branch));
                }
                yield Schema.createUnion(branches);
            }
            default -> schema;
        };
    }

    private Schema restoreRecord(Schema record) {
        Schema existing = restoredRecords.get(record.getFullName());
        if (existing != null) {
            return existing;
        }
        Schema restored = newRecordLike(record);
        restoredRecords.put(record.getFullName(), restored);
        List<Schema.Field> fields = new ArrayList<>();
        for (Schema.Field field : record.getFields()) {
            fields.add(restoreField(record, field));
        }
        restored.setFields(fields);
        return restored;
    }

    private Schema.Field restoreField(Schema record, Schema.Field field) {
        Object original = field.getObjectProp(DerivedSchema.ORIGINAL_SCHEMA_PROP);
        Schema schema;
        if (original != null) {
            schema = parseOriginal(record, field, JsonValues.toNode(original));
            markedFields.add(new MarkedField(record.getFullName(), field.name(), schema));
        } else {
            schema = restoreSchema(field.schema());
        }
        Object originalDefault = field.getObjectProp(DerivedSchema.ORIGINAL_DEFAULT_PROP);
        JsonNode defaultValue =
                originalDefault != null
                        ? JsonValues.toNode(originalDefault)
                        : Accessor.defaultValue(field);
        Schema.Field restored =
                Accessor.createField(
                        field.name(), schema, field.doc(), defaultValue, true, field.order());
        for (String alias : field.aliases()) {
            restored.addAlias(alias);
        }
        copyUnreservedProps(field, restored);
        return restored;
    }

    private static Schema parseOriginal(Schema record, Schema.Field field, JsonNode json) {
        try {
            return new Schema.Parser().parse(json.toString());
        } catch (SchemaParseException e) {
            throw new IllegalArgumentException(
                    "field "
                            + record.getFullName()
                            + "."
                            + field.name()
                            + " has an invalid "
                            + DerivedSchema.ORIGINAL_SCHEMA_PROP
                            + ": "
                            + e.getMessage(),
                    e);
        }
    }

    private static Schema newRecordLike(Schema record) {
        Schema copy =
                Schema.createRecord(
                        record.getName(), record.getDoc(), record.getNamespace(), record.isError());
        for (String alias : record.getAliases()) {
            copy.addAlias(alias);
        }
        copyUnreservedProps(record, copy);
        return copy;
    }

    private static Schema withPropsOf(Schema original, Schema copy) {
        copy.addAllProps(original);
        return copy;
    }

    private static void copyUnreservedProps(JsonProperties from, JsonProperties to) {
        from.forEachProperty(
                (name, value) -> {
                    if (!name.startsWith(DerivedSchema.RESERVED_PROP_PREFIX)) {
                        Accessor.addProp(to, name, JsonValues.toNode(value));
                    }
                });
    }
}
