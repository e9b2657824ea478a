package io.cmekflink.schema;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.util.internal.Accessor;

/**
 * Derives the output schema from a writer schema; see {@link DerivedSchema} for the rules.
 *
 * <p>Field defaults and JSON properties are copied as Jackson nodes through Avro's {@link
 * Accessor}, because converting them to Java values and back changes their node types (an int
 * default of a long field comes back as a long node) and with it {@code Schema.equals}.
 */
final class SchemaDerivation {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final MarkingRules rules;
    private final Schema writer;
    private final Set<String> visitedRecords = new HashSet<>();
    private RecordsWithMarks recordsWithMarks;
    private final Map<String, Schema> derivedRecords = new HashMap<>();
    private final List<MarkedField> markedFields = new ArrayList<>();

    private SchemaDerivation(MarkingRules rules, Schema writer) {
        this.rules = rules;
        this.writer = writer;
    }

    record Result(Schema derived, List<MarkedField> markedFields) {}

    static Result derive(Schema writer, DerivationOptions options) {
        if (writer.getType() != Schema.Type.RECORD) {
            throw new IllegalArgumentException(
                    "writer schema must be a record, got " + writer.getType().getName());
        }
        SchemaDerivation derivation = new SchemaDerivation(options.markingRules(), writer);
        derivation.collectReachable();
        derivation.recordsWithMarks =
                RecordsWithMarks.find(writer, options.markingRules()::isMarked);
        Schema derived = derivation.deriveTopLevel(options);
        return new Result(derived, List.copyOf(derivation.markedFields));
    }

    /** Visits every schema reachable through unmarked fields and checks it. */
    private void collectReachable() {
        String top = writer.getFullName();
        for (Schema.Field field : writer.getFields()) {
            if (field.name().equals(EnvelopeSchema.FIELD_NAME)) {
                throw new IllegalArgumentException(
                        "writer schema "
                                + top
                                + " already has a field named '"
                                + EnvelopeSchema.FIELD_NAME
                                + "', the name of the envelope field that encryption adds; rename"
                                + " the field, or check that the input is not already encrypted");
            }
        }
        rules.checkTypeNotMarked(writer, top);
        checkNamedType(writer, top);
        visitedRecords.add(top);
        visitFields(writer, top);
    }

    private void visitFields(Schema record, String path) {
        for (Schema.Field field : record.getFields()) {
            String fieldPath = path + "." + field.name();
            checkReservedProps(field.getObjectProps().keySet(), "field " + fieldPath);
            if (rules.isMarked(field)) {
                checkMarkable(field, fieldPath);
                markedFields.add(
                        new MarkedField(record.getFullName(), field.name(), field.schema()));
            } else {
                visit(field.schema(), fieldPath);
            }
        }
    }

    private void visit(Schema schema, String path) {
        rules.checkTypeNotMarked(schema, path);
        switch (schema.getType()) {
            case RECORD -> {
                if (schema.getFullName().equals(writer.getFullName())) {
                    throw new IllegalArgumentException(
                            "writer schema "
                                    + writer.getFullName()
                                    + " contains itself at "
                                    + path
                                    + "; a recursive top-level record is not supported, because"
                                    + " every level would need an envelope. Wrap it in another"
                                    + " record");
                }
                if (visitedRecords.add(schema.getFullName())) {
                    checkNamedType(schema, path);
                    visitFields(schema, path);
                }
            }
            case ARRAY -> visit(schema.getElementType(), path + "[]");
            case MAP -> visit(schema.getValueType(), path + "{}");
            case UNION -> {
                for (Schema branch : schema.getTypes()) {
                    visit(branch, path);
                }
            }
            case ENUM, FIXED -> checkNamedType(schema, path);
            default -> {}
        }
    }

    private void checkNamedType(Schema named, String path) {
        checkReservedProps(named.getObjectProps().keySet(), "type " + named.getFullName());
        if (EnvelopeSchema.NAMESPACE.equals(named.getNamespace())) {
            throw new IllegalArgumentException(
                    "type "
                            + named.getFullName()
                            + " at "
                            + path
                            + " uses the namespace "
                            + EnvelopeSchema.NAMESPACE
                            + ", which is reserved for the encryption envelope; rename it");
        }
    }

    private static void checkReservedProps(Set<String> names, String where) {
        for (String name : names) {
            if (name.startsWith(DerivedSchema.RESERVED_PROP_PREFIX)) {
                throw new IllegalArgumentException(
                        where
                                + " has the property '"
                                + name
                                + "'; properties starting with '"
                                + DerivedSchema.RESERVED_PROP_PREFIX
                                + "' are reserved for derived schemas");
            }
        }
    }

    private static void checkMarkable(Schema.Field field, String path) {
        if (field.schema().getType() == Schema.Type.NULL) {
            throw new IllegalArgumentException(
                    "marked field " + path + " has type null, so it has no value to encrypt");
        }
    }

    private boolean containsMarks(Schema schema) {
        return recordsWithMarks.contains(schema);
    }

    private Schema deriveTopLevel(DerivationOptions options) {
        Schema top = newRecordLike(writer);
        Accessor.addProp(
                top, DerivedSchema.ORG_ID_FIELD_PROP, JSON.valueToTree(options.orgIdField()));
        Accessor.addProp(
                top, DerivedSchema.BINDING_FIELDS_PROP, JSON.valueToTree(options.bindingFields()));
        List<Schema.Field> fields = deriveFields(writer);
        fields.add(EnvelopeSchema.newField());
        top.setFields(fields);
        return top;
    }

    private Schema deriveSchema(Schema schema) {
        if (!containsMarks(schema)) {
            return schema;
        }
        return switch (schema.getType()) {
            case RECORD -> deriveRecord(schema);
            case ARRAY ->
                    withPropsOf(schema, Schema.createArray(deriveSchema(schema.getElementType())));
            case MAP -> withPropsOf(schema, Schema.createMap(deriveSchema(schema.getValueType())));
            case UNION -> {
                List<Schema> branches = new ArrayList<>();
                for (Schema branch : schema.getTypes()) {
                    branches.add(deriveSchema(branch));
                }
                yield Schema.createUnion(branches);
            }
            default -> throw new IllegalStateException("type without fields has marks: " + schema);
        };
    }

    private Schema deriveRecord(Schema record) {
        Schema existing = derivedRecords.get(record.getFullName());
        if (existing != null) {
            return existing;
        }
        Schema derived = newRecordLike(record);
        derivedRecords.put(record.getFullName(), derived);
        derived.setFields(deriveFields(record));
        return derived;
    }

    private List<Schema.Field> deriveFields(Schema record) {
        List<Schema.Field> fields = new ArrayList<>();
        for (Schema.Field field : record.getFields()) {
            if (rules.isMarked(field)) {
                fields.add(markedField(field));
            } else if (containsMarks(field.schema())) {
                fields.add(changedField(field, deriveSchema(field.schema())));
            } else {
                fields.add(new Schema.Field(field, field.schema()));
            }
        }
        return fields;
    }

    /**
     * Derives a marked field: {@code bytes}, or {@code ["null","bytes"]} when its schema is a union
     * with null. The default null is kept only then; any other default moves into {@value
     * DerivedSchema#ORIGINAL_DEFAULT_PROP}.
     */
    private static Schema.Field markedField(Schema.Field field) {
        Schema original = field.schema();
        boolean nullable = original.isUnion() && original.isNullable();
        Schema type =
                nullable
                        ? Schema.createUnion(
                                Schema.create(Schema.Type.NULL), Schema.create(Schema.Type.BYTES))
                        : Schema.create(Schema.Type.BYTES);
        Schema.Field derived = derivedField(field, type, nullable);
        Accessor.addProp(derived, DerivedSchema.ORIGINAL_SCHEMA_PROP, jsonOf(original));
        addOriginalDefault(field, derived);
        return derived;
    }

    /** Derives an unmarked field whose schema contains marks. */
    private static Schema.Field changedField(Schema.Field field, Schema derivedSchema) {
        boolean keepsNull =
                derivedSchema.isUnion()
                        && derivedSchema.getTypes().get(0).getType() == Schema.Type.NULL;
        Schema.Field derived = derivedField(field, derivedSchema, keepsNull);
        addOriginalDefault(field, derived);
        return derived;
    }

    private static Schema.Field derivedField(
            Schema.Field field, Schema type, boolean mayKeepNullDefault) {
        JsonNode originalDefault = Accessor.defaultValue(field);
        boolean keepNull =
                mayKeepNullDefault && originalDefault != null && originalDefault.isNull();
        Schema.Field derived =
                Accessor.createField(
                        field.name(),
                        type,
                        field.doc(),
                        keepNull ? NullNode.getInstance() : null,
                        true,
                        field.order());
        for (String alias : field.aliases()) {
            derived.addAlias(alias);
        }
        derived.addAllProps(field);
        return derived;
    }

    private static void addOriginalDefault(Schema.Field original, Schema.Field derived) {
        JsonNode originalDefault = Accessor.defaultValue(original);
        if (originalDefault != null && !derived.hasDefaultValue()) {
            Accessor.addProp(derived, DerivedSchema.ORIGINAL_DEFAULT_PROP, originalDefault);
        }
    }

    private static Schema newRecordLike(Schema record) {
        Schema copy =
                Schema.createRecord(
                        record.getName(), record.getDoc(), record.getNamespace(), record.isError());
        for (String alias : record.getAliases()) {
            copy.addAlias(alias);
        }
        copy.addAllProps(record);
        return copy;
    }

    private static Schema withPropsOf(Schema original, Schema copy) {
        copy.addAllProps(original);
        return copy;
    }

    /**
     * Converts the schema to standalone JSON, in which the named types it uses are defined inline.
     */
    private static JsonNode jsonOf(Schema schema) {
        try {
            return JSON.readTree(schema.toString());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Avro wrote schema JSON that Jackson cannot read", e);
        }
    }
}
