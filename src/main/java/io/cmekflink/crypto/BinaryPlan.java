package io.cmekflink.crypto;

import io.cmekflink.schema.DerivedSchema;
import io.cmekflink.schema.EnvelopeSchema;
import io.cmekflink.schema.Fingerprints;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;

/**
 * The walk of {@link BinarySealWalk} over the Avro binary encoding of one writer schema, compiled
 * once: a graph of nodes that mirrors the writer schema, with the marks of the derived schema.
 *
 * <p>There are two kinds of nodes. Plain nodes only validate and skip a value. Every part of the
 * writer schema has one, and the walk uses them inside marked values too. Marking nodes exist for
 * the parts outside marked values that contain marked fields: they record where marked fields start
 * and which path segments they get. A recursive record type points back to its own node.
 *
 * <p>{@link #unsupportedReason} is non-null when records of this schema cannot be sealed from their
 * binary encoding without risking output that differs from the GenericRecord path, so every record
 * takes that path instead.
 *
 * <p>Thread safety: immutable after construction.
 */
final class BinaryPlan {

    static final int NULL = 0;
    static final int BOOLEAN = 1;
    static final int INT = 2;
    static final int LONG = 3;
    static final int FLOAT = 4;
    static final int DOUBLE = 5;
    static final int STRING = 6;
    static final int BYTES = 7;
    static final int FIXED = 8;
    static final int ENUM = 9;
    static final int ARRAY = 10;
    static final int MAP = 11;
    static final int UNION = 12;
    static final int RECORD = 13;

    /**
     * Field codes of unmarked fields whose types the walk skips inline: role {@link #FIELD_PLAIN}
     * (0) times 16 plus the kind.
     */
    static final int PLAIN_INT = INT;

    static final int PLAIN_LONG = LONG;
    static final int PLAIN_STRING = STRING;
    static final int PLAIN_BYTES = BYTES;

    /** A field copied as it is, or walked further without marks of its own. */
    static final int FIELD_PLAIN = 0;

    /** An unmarked field whose value contains marked fields. */
    static final int FIELD_NESTED = 1;

    /** A marked field of a schema without null: derived as {@code bytes}. */
    static final int FIELD_MARKED = 2;

    /** A marked field of a union with null: derived as {@code ["null","bytes"]}. */
    static final int FIELD_MARKED_NULLABLE = 3;

    /** One part of a schema. Which fields are set depends on {@link #kind}. */
    static final class Node {
        final int kind;

        /** True for a marking node; false for a plain one. */
        final boolean marking;

        /** The size of a fixed, or the number of symbols of an enum. */
        int size;

        /** The items of an array or the values of a map. */
        Node element;

        Node[] branches;

        /** The index of the null branch of a union, or -1. */
        int nullBranch = -1;

        /** Path segments of the branches of a marking union, or null when the path omits them. */
        byte[][] branchNames;

        Field[] fields;

        /**
         * For a record, one code per field: {@code role * 16 + kind} of the field's node, so that
         * the walk dispatches on one int without loading the field and node objects.
         */
        int[] fieldCodes;

        Node(int kind, boolean marking) {
            this.kind = kind;
            this.marking = marking;
        }
    }

    /**
     * A record field: its role, one of the {@code FIELD_} constants, its name as the path segment
     * after an empty path and after a non-empty one, and its node.
     */
    record Field(int role, byte[] nameUtf8, byte[] dottedNameUtf8, Node node) {
        Field(int role, String name, Node node) {
            this(
                    role,
                    name.getBytes(StandardCharsets.UTF_8),
                    ("." + name).getBytes(StandardCharsets.UTF_8),
                    node);
        }
    }

    /**
     * A node of the tree of record fields that lead to the org id field and the binding fields.
     * {@code children[i]} follows field {@code i}. {@code slot} is -1, or the slot of the field
     * that ends here: {@link #ORG_ID_SLOT} or 1 plus the binding's index.
     */
    static final class Target {
        final Target[] children;
        int slot = -1;

        Target(int fieldCount) {
            children = new Target[fieldCount];
        }
    }

    static final int ORG_ID_SLOT = 0;

    final Node root;
    final Target targets;
    final int slotCount;

    /** The binding paths in the order of {@link RecordPlan#bindings}. */
    final byte[][] bindingPaths;

    /** Whether the org id field is a union of null and string, and its null branch. */
    final int orgIdNullBranch;

    /** The single-object header of every sealed record: marker and layout fingerprint. */
    final byte[] singleObjectHeader;

    final byte[] fingerprintBytes;
    final byte[] fullNameUtf8;
    final String unsupportedReason;

    private final DerivedSchema schema;
    private final Map<String, Node> plainRecords = new HashMap<>();
    private final Map<String, Node> markingRecords = new HashMap<>();
    private String unsupported;

    private BinaryPlan(RecordPlan plan) {
        this.schema = plan.schema;
        Schema writer = schema.writerSchema();
        Schema derived = schema.derivedSchema();
        this.fullNameUtf8 = plan.fullNameUtf8;
        this.fingerprintBytes = plan.fingerprintBytes;
        this.singleObjectHeader = singleObjectHeader(schema.layoutFingerprint());
        this.root = markingRecord(writer, derived);
        this.bindingPaths = new byte[plan.bindings.length][];
        for (int i = 0; i < bindingPaths.length; i++) {
            bindingPaths[i] = plan.bindings[i].pathUtf8();
        }
        this.targets = new Target(writer.getFields().size());
        addTarget(writer, plan.orgIdPositions, ORG_ID_SLOT);
        for (int i = 0; i < plan.bindings.length; i++) {
            addTarget(writer, plan.bindings[i].positions(), 1 + i);
        }
        this.slotCount = 1 + plan.bindings.length;
        Schema orgIdSchema = schema.orgIdField().schema();
        this.orgIdNullBranch =
                orgIdSchema.isUnion() ? orgIdSchema.getIndexNamed(Schema.Type.NULL.getName()) : -1;
        if (derived.getFields().size() != writer.getFields().size() + 1
                || plan.envelopePosition != writer.getFields().size()
                || !derived.getField(EnvelopeSchema.FIELD_NAME)
                        .schema()
                        .equals(EnvelopeSchema.SCHEMA)) {
            unsupported = "the envelope is not the last field of the derived record";
        }
        this.unsupportedReason = unsupported;
    }

    static BinaryPlan compile(RecordPlan plan) {
        return new BinaryPlan(plan);
    }

    /** Returns whether {@code payload} starts with {@link #singleObjectHeader}. */
    boolean hasHeaderOf(byte[] payload) {
        int length = singleObjectHeader.length;
        return payload.length >= length
                && Arrays.equals(payload, 0, length, singleObjectHeader, 0, length);
    }

    private static byte[] singleObjectHeader(long layoutFingerprint) {
        byte[] header = new byte[2 + Fingerprints.BYTES];
        header[0] = (byte) 0xC3;
        header[1] = (byte) 0x01;
        System.arraycopy(Fingerprints.toLittleEndian(layoutFingerprint), 0, header, 2, 8);
        return header;
    }

    private void addTarget(Schema writer, int[] positions, int slot) {
        Target target = targets;
        Schema record = writer;
        for (int i = 0; i < positions.length - 1; i++) {
            Schema next = record.getFields().get(positions[i]).schema();
            if (target.children[positions[i]] == null) {
                target.children[positions[i]] = new Target(next.getFields().size());
            }
            target = target.children[positions[i]];
            record = next;
        }
        Target leaf = target.children[positions[positions.length - 1]];
        if (leaf == null) {
            Schema last = record.getFields().get(positions[positions.length - 1]).schema();
            leaf = new Target(last.getType() == Schema.Type.RECORD ? last.getFields().size() : 0);
            target.children[positions[positions.length - 1]] = leaf;
        }
        leaf.slot = slot;
    }

    /**
     * Returns the marking node of a part of the derived schema, or the plain node without marks.
     */
    private Node marking(Schema writer, Schema derived) {
        if (!schema.containsMarks(derived)) {
            return plain(writer);
        }
        return switch (derived.getType()) {
            case RECORD -> markingRecord(writer, derived);
            case ARRAY -> {
                Node node = new Node(ARRAY, true);
                node.element = marking(writer.getElementType(), derived.getElementType());
                yield node;
            }
            case MAP -> {
                checkStringType(writer);
                Node node = new Node(MAP, true);
                node.element = marking(writer.getValueType(), derived.getValueType());
                yield node;
            }
            case UNION -> markingUnion(writer, derived);
            default -> throw new IllegalStateException("type without fields has marks: " + derived);
        };
    }

    private Node markingRecord(Schema writer, Schema derived) {
        Node existing = markingRecords.get(writer.getFullName());
        if (existing != null) {
            return existing;
        }
        Node node = new Node(RECORD, true);
        markingRecords.put(writer.getFullName(), node);
        List<Schema.Field> writerFields = writer.getFields();
        List<Schema.Field> derivedFields = derived.getFields();
        Field[] fields = new Field[writerFields.size()];
        for (int i = 0; i < fields.length; i++) {
            Schema.Field writerField = writerFields.get(i);
            Schema.Field derivedField = derivedFields.get(i);
            Node value;
            int role;
            if (DerivedSchema.isMarked(derivedField)) {
                value = plain(writerField.schema());
                role = derivedField.schema().isUnion() ? FIELD_MARKED_NULLABLE : FIELD_MARKED;
                checkMarkedLayout(writerField, derivedField.schema());
            } else if (schema.containsMarks(derivedField.schema())) {
                value = marking(writerField.schema(), derivedField.schema());
                role = FIELD_NESTED;
            } else {
                value = plain(writerField.schema());
                role = FIELD_PLAIN;
            }
            fields[i] = new Field(role, writerField.name(), value);
        }
        node.fields = fields;
        node.fieldCodes = fieldCodes(fields);
        return node;
    }

    private Node markingUnion(Schema writer, Schema derived) {
        List<Schema> writerBranches = writer.getTypes();
        List<Schema> derivedBranches = derived.getTypes();
        Node node = new Node(UNION, true);
        node.branches = new Node[writerBranches.size()];
        int nonNull = 0;
        for (int i = 0; i < node.branches.length; i++) {
            node.branches[i] = marking(writerBranches.get(i), derivedBranches.get(i));
            if (derivedBranches.get(i).getType() == Schema.Type.NULL) {
                node.nullBranch = i;
            } else {
                nonNull++;
            }
        }
        if (nonNull > 1) {
            node.branchNames = new byte[node.branches.length][];
            for (int i = 0; i < node.branches.length; i++) {
                node.branchNames[i] =
                        derivedBranches.get(i).getFullName().getBytes(StandardCharsets.UTF_8);
            }
        }
        return node;
    }

    /** Returns the plain node of a writer schema part. */
    private Node plain(Schema writer) {
        return switch (writer.getType()) {
            case NULL -> new Node(NULL, false);
            case BOOLEAN -> new Node(BOOLEAN, false);
            case INT -> new Node(INT, false);
            case LONG -> new Node(LONG, false);
            case FLOAT -> new Node(FLOAT, false);
            case DOUBLE -> new Node(DOUBLE, false);
            case STRING -> {
                checkStringType(writer);
                yield new Node(STRING, false);
            }
            case BYTES -> new Node(BYTES, false);
            case FIXED -> {
                Node node = new Node(FIXED, false);
                node.size = writer.getFixedSize();
                yield node;
            }
            case ENUM -> {
                Node node = new Node(ENUM, false);
                node.size = writer.getEnumSymbols().size();
                yield node;
            }
            case ARRAY -> {
                Node node = new Node(ARRAY, false);
                node.element = plain(writer.getElementType());
                yield node;
            }
            case MAP -> {
                checkStringType(writer);
                Node node = new Node(MAP, false);
                node.element = plain(writer.getValueType());
                yield node;
            }
            case UNION -> plainUnion(writer);
            case RECORD -> plainRecord(writer);
        };
    }

    private Node plainUnion(Schema writer) {
        List<Schema> branches = writer.getTypes();
        Node node = new Node(UNION, false);
        node.branches = new Node[branches.size()];
        for (int i = 0; i < branches.size(); i++) {
            node.branches[i] = plain(branches.get(i));
            if (branches.get(i).getType() == Schema.Type.NULL) {
                node.nullBranch = i;
            }
        }
        return node;
    }

    private Node plainRecord(Schema writer) {
        Node existing = plainRecords.get(writer.getFullName());
        if (existing != null) {
            return existing;
        }
        Node node = new Node(RECORD, false);
        plainRecords.put(writer.getFullName(), node);
        List<Schema.Field> writerFields = writer.getFields();
        Field[] fields = new Field[writerFields.size()];
        for (int i = 0; i < fields.length; i++) {
            Schema.Field field = writerFields.get(i);
            fields[i] = new Field(FIELD_PLAIN, field.name(), plain(field.schema()));
        }
        node.fields = fields;
        node.fieldCodes = fieldCodes(fields);
        return node;
    }

    /**
     * Marks the schema unsupported unless a marked field is derived as the walk writes it: {@code
     * bytes}, or {@code ["null","bytes"]} for a union with null, whose null branch is then index 0
     * and whose bytes branch is index 1.
     */
    private void checkMarkedLayout(Schema.Field writerField, Schema derived) {
        boolean nullable = writerField.schema().isUnion() && writerField.schema().isNullable();
        boolean expected =
                nullable
                        ? derived.isUnion()
                                && derived.getTypes().size() == 2
                                && derived.getTypes().get(0).getType() == Schema.Type.NULL
                                && derived.getTypes().get(1).getType() == Schema.Type.BYTES
                        : derived.getType() == Schema.Type.BYTES;
        if (unsupported == null && !expected) {
            unsupported = "marked field " + writerField.name() + " has the derived type " + derived;
        }
    }

    private static int[] fieldCodes(Field[] fields) {
        int[] codes = new int[fields.length];
        for (int i = 0; i < fields.length; i++) {
            codes[i] = fields[i].role() * 16 + fields[i].node().kind;
        }
        return codes;
    }

    /**
     * Marks the schema unsupported when a part sets {@code avro.java.string}: Avro then decodes
     * strings as {@code java.lang.String}, which turns invalid UTF-8 into U+FFFD, so the
     * GenericRecord path would not copy those bytes as they are.
     */
    private void checkStringType(Schema writer) {
        if (unsupported == null && writer.getProp(GenericData.STRING_PROP) != null) {
            unsupported = "a " + writer.getType().getName() + " sets " + GenericData.STRING_PROP;
        }
    }
}
