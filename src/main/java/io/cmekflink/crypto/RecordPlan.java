package io.cmekflink.crypto;

import io.cmekflink.schema.CanonicalDatumWriter;
import io.cmekflink.schema.DerivedSchema;
import io.cmekflink.schema.EnvelopeSchema;
import io.cmekflink.schema.Fingerprints;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;

/**
 * The walk over one derived schema and its writer schema, compiled once, so that sealing and
 * opening a record do no schema lookups: only the parts that contain marked fields have steps, and
 * everything else is copied by reference.
 *
 * <p>Steps form a graph that mirrors the schemas (a recursive record type points back to its own
 * step). Thread safety: immutable after {@link #compile}.
 */
final class RecordPlan {

    final DerivedSchema schema;
    final RecordStep root;
    final int envelopePosition;
    final byte[] fullNameUtf8;
    final byte[] fingerprintBytes;
    final Binding[] bindings;
    final int[] orgIdPositions;
    final byte[] orgIdPathUtf8;
    final CanonicalDatumWriter<Object> derivedWriter;

    /** A step for a part of the schema that contains marked fields. */
    sealed interface Step permits RecordStep, ArrayStep, MapStep, UnionStep {}

    static final class RecordStep implements Step {
        final Schema writerSchema;
        final Schema derivedSchema;
        final String fullName;
        final int fieldCount;
        FieldStep[] fields;

        RecordStep(Schema writerSchema, Schema derivedSchema) {
            this.writerSchema = writerSchema;
            this.derivedSchema = derivedSchema;
            this.fullName = writerSchema.getFullName();
            this.fieldCount = writerSchema.getFields().size();
        }
    }

    /** A field that is marked ({@code marked} set) or contains marks ({@code nested} set). */
    record FieldStep(int position, byte[] nameUtf8, MarkedValue marked, Step nested) {}

    /** A marked field: its original schema and how to encode and decode its values. */
    record MarkedValue(
            Schema originalSchema,
            boolean nullable,
            CanonicalDatumWriter<Object> writer,
            GenericDatumReader<Object> reader) {}

    record ArrayStep(Step items, Schema writerSchema, Schema derivedSchema) implements Step {}

    record MapStep(Step values) implements Step {}

    /**
     * A union with marks in some branches; {@code branches[i]} is null for a branch without marks.
     * {@code branchNames} is null unless the union has more than one branch besides null.
     */
    record UnionStep(
            Schema writerSchema, Schema derivedSchema, Step[] branches, byte[][] branchNames)
            implements Step {}

    /** A binding field: its path, positions and a writer for its schema. */
    record Binding(byte[] pathUtf8, int[] positions, CanonicalDatumWriter<Object> writer) {}

    private final Map<String, RecordStep> records = new HashMap<>();

    private RecordPlan(DerivedSchema schema) {
        this.schema = schema;
        Schema derived = schema.derivedSchema();
        this.envelopePosition = derived.getField(EnvelopeSchema.FIELD_NAME).pos();
        this.fullNameUtf8 = schema.fullName().getBytes(StandardCharsets.UTF_8);
        this.fingerprintBytes = Fingerprints.toLittleEndian(schema.exactFingerprint());
        this.root = new RecordStep(schema.writerSchema(), derived);
        records.put(root.fullName, root);
        root.fields = compileFields(root);
        this.bindings = compileBindings(schema);
        this.orgIdPositions = schema.orgIdField().positions();
        this.orgIdPathUtf8 = schema.orgIdField().path().getBytes(StandardCharsets.UTF_8);
        this.derivedWriter = new CanonicalDatumWriter<>(derived);
    }

    static RecordPlan compile(DerivedSchema schema) {
        return new RecordPlan(schema);
    }

    private static Binding[] compileBindings(DerivedSchema schema) {
        List<Binding> bindings = new ArrayList<>();
        for (DerivedSchema.FieldRef ref : schema.bindingFields()) {
            bindings.add(
                    new Binding(
                            ref.path().getBytes(StandardCharsets.UTF_8),
                            ref.positions(),
                            new CanonicalDatumWriter<>(ref.schema())));
        }
        return bindings.toArray(new Binding[0]);
    }

    private FieldStep[] compileFields(RecordStep step) {
        List<Schema.Field> writerFields = step.writerSchema.getFields();
        List<Schema.Field> derivedFields = step.derivedSchema.getFields();
        List<FieldStep> steps = new ArrayList<>();
        for (int i = 0; i < writerFields.size(); i++) {
            Schema.Field writerField = writerFields.get(i);
            Schema.Field derivedField = derivedFields.get(i);
            if (!writerField.name().equals(derivedField.name())) {
                throw new IllegalStateException(
                        "field "
                                + i
                                + " of "
                                + step.fullName
                                + " differs between writer and derived schema");
            }
            byte[] name = writerField.name().getBytes(StandardCharsets.UTF_8);
            if (DerivedSchema.isMarked(derivedField)) {
                steps.add(
                        new FieldStep(
                                i,
                                name,
                                markedValue(writerField.schema(), derivedField.schema()),
                                null));
            } else {
                Step nested = compile(writerField.schema(), derivedField.schema());
                if (nested != null) {
                    steps.add(new FieldStep(i, name, null, nested));
                }
            }
        }
        return steps.toArray(new FieldStep[0]);
    }

    private static MarkedValue markedValue(Schema original, Schema derived) {
        return new MarkedValue(
                original,
                derived.isUnion(),
                new CanonicalDatumWriter<>(original),
                new GenericDatumReader<>(original, original, CanonicalDatumWriter.GENERIC_DATA));
    }

    /** Returns the step for a schema part, or null when it contains no marks. */
    private Step compile(Schema writer, Schema derived) {
        if (!schema.containsMarks(derived)) {
            return null;
        }
        return switch (derived.getType()) {
            case RECORD -> compileRecord(writer, derived);
            case ARRAY ->
                    new ArrayStep(
                            compile(writer.getElementType(), derived.getElementType()),
                            writer,
                            derived);
            case MAP -> new MapStep(compile(writer.getValueType(), derived.getValueType()));
            case UNION -> compileUnion(writer, derived);
            default -> throw new IllegalStateException("type without fields has marks: " + derived);
        };
    }

    private RecordStep compileRecord(Schema writer, Schema derived) {
        RecordStep existing = records.get(derived.getFullName());
        if (existing != null) {
            return existing;
        }
        RecordStep step = new RecordStep(writer, derived);
        records.put(step.fullName, step);
        step.fields = compileFields(step);
        return step;
    }

    private UnionStep compileUnion(Schema writer, Schema derived) {
        List<Schema> writerBranches = writer.getTypes();
        List<Schema> derivedBranches = derived.getTypes();
        Step[] branches = new Step[derivedBranches.size()];
        int nonNull = 0;
        for (int i = 0; i < branches.length; i++) {
            branches[i] = compile(writerBranches.get(i), derivedBranches.get(i));
            if (derivedBranches.get(i).getType() != Schema.Type.NULL) {
                nonNull++;
            }
        }
        byte[][] names = null;
        if (nonNull > 1) {
            names = new byte[branches.length][];
            for (int i = 0; i < branches.length; i++) {
                names[i] = derivedBranches.get(i).getFullName().getBytes(StandardCharsets.UTF_8);
            }
        }
        return new UnionStep(writer, derived, branches, names);
    }
}
