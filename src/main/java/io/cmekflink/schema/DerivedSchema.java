package io.cmekflink.schema;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;

/**
 * A writer schema together with the derived schema that its encrypted records use.
 *
 * <p>Derivation rules, applied the same way every time, so the same writer schema and options give
 * the same JSON text and fingerprints:
 *
 * <ul>
 *   <li>A marked field (see {@link MarkingRules}) becomes {@code bytes}, or {@code
 *       ["null","bytes"]} when its schema is a union that contains null. It keeps its name, doc,
 *       aliases, order and properties, and gains {@value #ORIGINAL_SCHEMA_PROP}: its schema as
 *       standalone JSON, with every named type it uses defined inline. Its default is kept only
 *       when it is null and the field stays nullable; any other default moves into {@value
 *       #ORIGINAL_DEFAULT_PROP}, since a plaintext default is no valid ciphertext.
 *   <li>A record type that contains marked fields at any depth (through records, arrays, maps and
 *       unions) is derived too, under the same full name, once per full name, so that shared and
 *       recursive types work. Arrays, maps and unions around it are rebuilt. An unmarked field
 *       whose schema changed keeps a null default and moves any other into {@value
 *       #ORIGINAL_DEFAULT_PROP}.
 *   <li>Everything else stays as it is, and the writer's field order is kept.
 *   <li>The top-level record gains the last field {@value EnvelopeSchema#FIELD_NAME} (see {@link
 *       EnvelopeSchema}) and the properties {@value #ORG_ID_FIELD_PROP} and {@value
 *       #BINDING_FIELDS_PROP} from the {@link DerivationOptions}.
 * </ul>
 *
 * <p>Derivation rejects, with {@link IllegalArgumentException}: a writer schema that is not a
 * record, or that has a field named {@value EnvelopeSchema#FIELD_NAME}; a top-level record that
 * contains itself; types in the namespace {@value EnvelopeSchema#NAMESPACE}; properties starting
 * with {@value #RESERVED_PROP_PREFIX}; marked fields of type null; invalid marks (see {@link
 * MarkingRules}); and org id or binding paths that do not name an unmarked field without marks.
 *
 * <p>{@link #fromJson} reverses the derivation: the writer schema it restores equals the one the
 * derived schema was made from, properties and logical types included.
 *
 * <p>Thread safety: immutable once built. The Avro schemas it returns must not be changed.
 */
public final class DerivedSchema {

    /** Every property that derivation adds starts with this; writer schemas must not use it. */
    public static final String RESERVED_PROP_PREFIX = "cmek.";

    public static final String ORIGINAL_SCHEMA_PROP = "cmek.original_schema";
    public static final String ORIGINAL_DEFAULT_PROP = "cmek.original_default";
    public static final String ORG_ID_FIELD_PROP = "cmek.org_id_field";
    public static final String BINDING_FIELDS_PROP = "cmek.binding_fields";

    private final Schema writerSchema;
    private final Schema derivedSchema;
    private final String json;
    private final long layoutFingerprint;
    private final long exactFingerprint;
    private final List<MarkedField> markedFields;
    private final RecordsWithMarks recordsWithMarks;
    private final FieldRef orgIdField;
    private final List<FieldRef> bindingFields;

    /**
     * An unmarked field reached from the top-level record through record fields only.
     *
     * @param path the dotted path, as configured
     * @param positions the field position at each step, the same in the writer and the derived
     *     schema
     * @param schema the field's schema, the same in both
     */
    public record FieldRef(String path, int[] positions, Schema schema) {}

    private DerivedSchema(
            Schema writerSchema,
            Schema derivedSchema,
            String json,
            List<MarkedField> markedFields) {
        this.writerSchema = writerSchema;
        this.derivedSchema = derivedSchema;
        this.json = json;
        this.layoutFingerprint = Fingerprints.layoutFingerprint(derivedSchema);
        this.exactFingerprint = Fingerprints.exactFingerprint(json);
        this.markedFields = markedFields;
        this.recordsWithMarks = RecordsWithMarks.find(derivedSchema, DerivedSchema::isMarked);
        this.orgIdField = resolveOrgIdField();
        this.bindingFields = resolveBindingFields();
    }

    /**
     * Derives the schema of encrypted records from {@code writerSchema}.
     *
     * @throws IllegalArgumentException when the writer schema or the options are not supported; the
     *     message names the field or type and the fix
     */
    public static DerivedSchema derive(Schema writerSchema, DerivationOptions options) {
        SchemaDerivation.Result result = SchemaDerivation.derive(writerSchema, options);
        String json = result.derived().toString();
        DerivedSchema derived =
                new DerivedSchema(writerSchema, result.derived(), json, result.markedFields());
        derived.checkRestoresTo(writerSchema);
        return derived;
    }

    /**
     * Reads a derived schema from its JSON text, as {@link #json()} returned it. The exact
     * fingerprint covers these characters, so pass them unchanged.
     *
     * @throws IllegalArgumentException when the text is not a derived schema of this format
     */
    public static DerivedSchema fromJson(String json) {
        Schema derived;
        try {
            derived = new Schema.Parser().parse(json);
        } catch (SchemaParseException e) {
            throw new IllegalArgumentException(
                    "derived schema is not valid Avro JSON: " + e.getMessage(), e);
        }
        SchemaRestoration.Result restored = SchemaRestoration.restore(derived);
        return new DerivedSchema(restored.writer(), derived, json, restored.markedFields());
    }

    public Schema writerSchema() {
        return writerSchema;
    }

    public Schema derivedSchema() {
        return derivedSchema;
    }

    /** Returns the derived schema's JSON text, the characters that the exact fingerprint covers. */
    public String json() {
        return json;
    }

    /**
     * Returns the full name of the top-level record, the same in the writer and the derived schema.
     */
    public String fullName() {
        return derivedSchema.getFullName();
    }

    /** Returns the fingerprint for the single-object header (see {@link Fingerprints}). */
    public long layoutFingerprint() {
        return layoutFingerprint;
    }

    /** Returns the fingerprint for the envelope (see {@link Fingerprints}). */
    public long exactFingerprint() {
        return exactFingerprint;
    }

    /**
     * Returns the marked fields of the writer schema in the order of {@link
     * MarkingRules#findMarkedFields}.
     */
    public List<MarkedField> markedFields() {
        return markedFields;
    }

    public FieldRef orgIdField() {
        return orgIdField;
    }

    public List<FieldRef> bindingFields() {
        return bindingFields;
    }

    /** Returns the file name under which {@link DerivedSchemaFiles} stores this schema. */
    public String fileName() {
        return fullName()
                + "-"
                + Fingerprints.toHex(exactFingerprint)
                + DerivedSchemaFiles.EXTENSION;
    }

    /** Returns whether {@code field}, a field of a derived record, is marked. */
    public static boolean isMarked(Schema.Field field) {
        return field.propsContainsKey(ORIGINAL_SCHEMA_PROP);
    }

    /**
     * Returns whether {@code schema}, a part of the derived schema, contains marked fields: a
     * record that has marked fields at any depth, or an array, map or union of one.
     */
    public boolean containsMarks(Schema schema) {
        return recordsWithMarks.contains(schema);
    }

    private void checkRestoresTo(Schema writer) {
        SchemaRestoration.Result restored = SchemaRestoration.restore(derivedSchema);
        if (!restored.writer().toString().equals(writer.toString())) {
            throw new IllegalStateException(
                    "derived schema of "
                            + writer.getFullName()
                            + " does not restore to its writer schema");
        }
    }

    private FieldRef resolveOrgIdField() {
        Object path = derivedSchema.getObjectProp(ORG_ID_FIELD_PROP);
        if (!(path instanceof String orgIdPath)) {
            throw new IllegalArgumentException(
                    "derived schema "
                            + fullName()
                            + " has no string property "
                            + ORG_ID_FIELD_PROP);
        }
        FieldRef ref = resolve(orgIdPath, "org id field");
        Schema schema = ref.schema();
        boolean isString = schema.getType() == Schema.Type.STRING;
        boolean isNullableString =
                schema.isUnion()
                        && schema.getTypes().size() == 2
                        && schema.isNullable()
                        && schema.getTypes().stream()
                                .anyMatch(s -> s.getType() == Schema.Type.STRING);
        if (!isString && !isNullableString) {
            throw new IllegalArgumentException(
                    "org id field '"
                            + orgIdPath
                            + "' of "
                            + fullName()
                            + " has type "
                            + schema
                            + "; it must be a string or a union of null and string");
        }
        return ref;
    }

    private List<FieldRef> resolveBindingFields() {
        Object paths = derivedSchema.getObjectProp(BINDING_FIELDS_PROP);
        if (!(paths instanceof List<?> list)) {
            throw new IllegalArgumentException(
                    "derived schema "
                            + fullName()
                            + " has no list property "
                            + BINDING_FIELDS_PROP);
        }
        List<FieldRef> refs = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Object path : list) {
            if (!(path instanceof String bindingPath)) {
                throw new IllegalArgumentException(
                        BINDING_FIELDS_PROP + " of " + fullName() + " must list strings");
            }
            if (!seen.add(bindingPath)) {
                throw new IllegalArgumentException(
                        "binding field '"
                                + bindingPath
                                + "' of "
                                + fullName()
                                + " is listed twice");
            }
            refs.add(resolve(bindingPath, "binding field"));
        }
        return List.copyOf(refs);
    }

    /** Resolves a dotted path to an unmarked field that contains no marks. */
    private FieldRef resolve(String path, String role) {
        String[] names = path.split("\\.", -1);
        int[] positions = new int[names.length];
        Schema record = derivedSchema;
        Schema.Field field = null;
        for (int i = 0; i < names.length; i++) {
            if (i > 0 && field.schema().getType() != Schema.Type.RECORD) {
                throw new IllegalArgumentException(
                        role
                                + " '"
                                + path
                                + "' of "
                                + fullName()
                                + " goes through '"
                                + names[i - 1]
                                + "', which is not a record; only record fields can be followed");
            }
            record = i == 0 ? derivedSchema : field.schema();
            field = record.getField(names[i]);
            if (field == null || (i == 0 && names[i].equals(EnvelopeSchema.FIELD_NAME))) {
                throw new IllegalArgumentException(
                        role
                                + " '"
                                + path
                                + "' of "
                                + fullName()
                                + " names no field: "
                                + record.getFullName()
                                + " has no field '"
                                + names[i]
                                + "'");
            }
            if (isMarked(field)) {
                throw new IllegalArgumentException(
                        role
                                + " '"
                                + path
                                + "' of "
                                + fullName()
                                + " is a marked field or inside one;"
                                + " it must stay in plaintext");
            }
            positions[i] = field.pos();
        }
        if (containsMarks(field.schema())) {
            throw new IllegalArgumentException(
                    role
                            + " '"
                            + path
                            + "' of "
                            + fullName()
                            + " contains marked fields; name an"
                            + " unmarked field without marks inside");
        }
        return new FieldRef(path, positions, field.schema());
    }

    @Override
    public String toString() {
        return "DerivedSchema["
                + fullName()
                + ", exact fingerprint "
                + Fingerprints.toHex(exactFingerprint)
                + "]";
    }
}
