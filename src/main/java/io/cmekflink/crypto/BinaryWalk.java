package io.cmekflink.crypto;

import io.cmekflink.crypto.BinaryPlan.Field;
import io.cmekflink.crypto.BinaryPlan.Node;
import io.cmekflink.crypto.BinaryPlan.Target;
import io.cmekflink.schema.ByteArrayEncoder;
import io.cmekflink.schema.PathBuilder;
import java.util.Arrays;

/**
 * The walk over an Avro binary encoding with a {@link BinaryPlan} that sealing and opening share:
 * it validates every value, keeps the path of the marked fields and notes where the org id field
 * and the binding fields are. What happens at a marked field is up to the subclass: sealing reads
 * the value in the writer schema, opening reads the ciphertext slice of the derived schema.
 *
 * <p>Only canonical encodings pass, the ones that a decode and encode would give back unchanged.
 * Everything else throws {@link Fallback}, and the caller takes the GenericRecord path, which also
 * produces the exact error of invalid input:
 *
 * <ul>
 *   <li>input that is not valid Avro binary of the schema;
 *   <li>a varint with redundant continuation bytes;
 *   <li>an array or map in more than one block, or with a negative block count;
 *   <li>a map whose keys are not strictly ascending by their unsigned UTF-8 bytes, because the
 *       GenericRecord path sorts map entries and keeps only the last of equal keys;
 *   <li>a float or double NaN, whose payload bits a decode and encode might not keep.
 * </ul>
 *
 * <p>Holds reusable buffers, so each thread needs its own instance.
 */
abstract class BinaryWalk {

    /**
     * Thrown when a record has to take the GenericRecord path. It is thrown before a DEK is used
     * for sealing, so no nonce is spent. One shared instance without a stack trace, because it
     * carries no information and controls the flow.
     */
    static final class Fallback extends RuntimeException {
        static final Fallback INSTANCE = new Fallback();

        private Fallback() {
            super("record needs the GenericRecord path", null, false, false);
        }
    }

    static final Fallback FALLBACK = Fallback.INSTANCE;
    static final byte[] EMPTY = new byte[0];

    final PathBuilder path = new PathBuilder();

    /** The start and end of the org id field and of each binding field by slot, or -1 if unseen. */
    int[] slotStart = new int[0];

    int[] slotEnd = new int[0];

    private byte[] mapKey = new byte[32];

    byte[] in = EMPTY;
    int pos;
    int limit;

    /** Prepares a walk of {@code plan} over {@code bytes[offset, limit)}. */
    final void begin(BinaryPlan plan, byte[] bytes, int offset, int limit) {
        this.in = bytes;
        this.pos = offset;
        this.limit = limit;
        path.truncate(0);
        if (slotStart.length != plan.slotCount) {
            slotStart = new int[plan.slotCount];
            slotEnd = new int[plan.slotCount];
        }
        Arrays.fill(slotStart, -1);
    }

    /** Handles a marked field at {@link #pos}, with the path of its record in {@link #path}. */
    abstract void walkMarked(Field field);

    /** Walks the top-level record of {@code plan}; the caller checks what follows it. */
    final void walkRoot(BinaryPlan plan) {
        try {
            walkRecord(plan.root, plan.targets);
        } catch (StackOverflowError e) {
            throw FALLBACK;
        }
    }

    private void walkRecord(Node node, Target target) {
        int[] codes = node.fieldCodes;
        for (int i = 0; i < codes.length; i++) {
            int start = pos;
            switch (codes[i]) {
                case BinaryPlan.PLAIN_STRING, BinaryPlan.PLAIN_BYTES -> {
                    int length = readLength();
                    pos += length;
                }
                case BinaryPlan.PLAIN_INT -> readInt();
                case BinaryPlan.PLAIN_LONG -> readLong();
                default -> walkField(node.fields[i], target == null ? null : target.children[i]);
            }
            if (target != null) {
                Target child = target.children[i];
                if (child != null && child.slot >= 0) {
                    slotStart[child.slot] = start;
                    slotEnd[child.slot] = pos;
                }
            }
        }
    }

    private void walkField(Field field, Target child) {
        switch (field.role()) {
            case BinaryPlan.FIELD_PLAIN -> walkValue(field.node(), child);
            case BinaryPlan.FIELD_NESTED -> {
                int mark = path.length();
                path.appendField(field.nameUtf8());
                walkValue(field.node(), child);
                path.truncate(mark);
            }
            default -> walkMarked(field);
        }
    }

    /**
     * Walks a value without marks of its own, with the most common types inline rather than in a
     * call.
     */
    final void walkPlainField(Node node) {
        int kind = node.kind;
        if (kind == BinaryPlan.STRING || kind == BinaryPlan.BYTES) {
            int length = readLength();
            pos += length;
        } else if (kind == BinaryPlan.INT) {
            readInt();
        } else if (kind == BinaryPlan.LONG) {
            readLong();
        } else {
            walkValue(node, null);
        }
    }

    final void walkValue(Node node, Target target) {
        switch (node.kind) {
            case BinaryPlan.NULL -> {}
            case BinaryPlan.BOOLEAN -> {
                if (pos >= limit || (in[pos] & 0xFE) != 0) {
                    throw FALLBACK;
                }
                pos++;
            }
            case BinaryPlan.INT -> readInt();
            case BinaryPlan.LONG -> readLong();
            case BinaryPlan.FLOAT -> skipFloat();
            case BinaryPlan.DOUBLE -> skipDouble();
            case BinaryPlan.STRING, BinaryPlan.BYTES -> {
                // Not "pos += readLength()": Java reads pos before the call advances it.
                int length = readLength();
                pos += length;
            }
            case BinaryPlan.FIXED -> skipFixed(node.size);
            case BinaryPlan.ENUM -> readIndex(node.size);
            case BinaryPlan.ARRAY -> walkArray(node);
            case BinaryPlan.MAP -> walkMap(node);
            case BinaryPlan.UNION -> walkUnion(node);
            default -> walkRecord(node, target);
        }
    }

    /** Walks an array of one block followed by the zero count that ends it. */
    private void walkArray(Node node) {
        int count = readBlockCount();
        if (count == 0) {
            return;
        }
        Node items = node.element;
        for (int i = 0; i < count; i++) {
            if (node.marking) {
                int mark = path.length();
                path.appendIndex(i);
                walkValue(items, null);
                path.truncate(mark);
            } else {
                walkValue(items, null);
            }
        }
        if (readBlockCount() != 0) {
            throw FALLBACK;
        }
    }

    /** Walks a map of one block whose keys are strictly ascending. */
    private void walkMap(Node node) {
        int count = readBlockCount();
        if (count == 0) {
            return;
        }
        Node values = node.element;
        int previousStart = 0;
        int previousEnd = -1;
        for (int i = 0; i < count; i++) {
            int keyLength = readLength();
            int keyStart = pos;
            pos += keyLength;
            if (previousEnd >= 0
                    && Arrays.compareUnsigned(in, previousStart, previousEnd, in, keyStart, pos)
                            >= 0) {
                throw FALLBACK;
            }
            previousStart = keyStart;
            previousEnd = pos;
            if (node.marking) {
                int mark = path.length();
                appendMapKey(keyStart, keyLength);
                walkValue(values, null);
                path.truncate(mark);
            } else {
                walkValue(values, null);
            }
        }
        if (readBlockCount() != 0) {
            throw FALLBACK;
        }
    }

    private void appendMapKey(int keyStart, int keyLength) {
        if (mapKey.length < keyLength) {
            mapKey = new byte[Math.max(keyLength, mapKey.length * 2)];
        }
        System.arraycopy(in, keyStart, mapKey, 0, keyLength);
        path.appendMapKey(mapKey, keyLength);
    }

    private void walkUnion(Node node) {
        int index = readIndex(node.branches.length);
        Node branch = node.branches[index];
        if (node.marking && branch.marking && node.branchNames != null) {
            int mark = path.length();
            path.appendBranch(node.branchNames[index]);
            walkValue(branch, null);
            path.truncate(mark);
        } else {
            walkValue(branch, null);
        }
    }

    /**
     * Checks that the org id field, which the walk has passed, contains exactly {@code
     * orgIdUtf8[offset, offset + length)}. Moves {@link #pos}.
     */
    final void checkOrgId(BinaryPlan plan, byte[] orgIdUtf8, int offset, int length) {
        int start = slotStart[BinaryPlan.ORG_ID_SLOT];
        if (start < 0) {
            throw new IllegalStateException("the walk did not reach the org id field");
        }
        pos = start;
        if (plan.orgIdNullBranch >= 0 && readInt() == plan.orgIdNullBranch) {
            throw FALLBACK;
        }
        int fieldLength = readLength();
        if (!Arrays.equals(in, pos, pos + fieldLength, orgIdUtf8, offset, offset + length)) {
            throw FALLBACK;
        }
    }

    /** Writes the binding entries of the associated data from the binding fields' encodings. */
    final void writeBindings(BinaryPlan plan, ByteArrayEncoder aad) {
        byte[][] paths = plan.bindingPaths;
        aad.writeIntBigEndian(paths.length);
        for (int i = 0; i < paths.length; i++) {
            int start = slotStart[1 + i];
            if (start < 0) {
                throw new IllegalStateException("the walk did not reach binding field " + i);
            }
            AssociatedData.writeBinding(aad, paths[i], in, start, slotEnd[1 + i] - start);
        }
    }

    final int readIndex(int bound) {
        int index = readInt();
        if (index < 0 || index >= bound) {
            throw FALLBACK;
        }
        return index;
    }

    /** Reads a string or bytes length that must fit in the bytes that remain. */
    final int readLength() {
        long length = readLong();
        if (length < 0 || length > limit - pos) {
            throw FALLBACK;
        }
        return (int) length;
    }

    /** Reads an array or map block count: not negative, and at most one item per byte left. */
    final int readBlockCount() {
        long count = readLong();
        if (count < 0 || count > limit - pos) {
            throw FALLBACK;
        }
        return (int) count;
    }

    /**
     * Reads a zigzag varint int in its shortest encoding. A shortest encoding decodes into the int
     * range exactly when it has at most 5 bytes, so the long reader's range check suffices.
     */
    final int readInt() {
        long value = readLong();
        if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
            throw FALLBACK;
        }
        return (int) value;
    }

    /** Reads a zigzag varint long in its shortest encoding. */
    final long readLong() {
        int p = pos;
        if (p >= limit) {
            throw FALLBACK;
        }
        int b = in[p++];
        if (b >= 0) {
            pos = p;
            return (b >>> 1) ^ -(b & 1);
        }
        long raw = b & 0x7F;
        for (int shift = 7; ; shift += 7) {
            if (p >= limit) {
                throw FALLBACK;
            }
            b = in[p++] & 0xFF;
            if (shift == 63 && b > 0x01) {
                throw FALLBACK;
            }
            raw |= (long) (b & 0x7F) << shift;
            if (b < 0x80) {
                if (b == 0) {
                    throw FALLBACK;
                }
                pos = p;
                return (raw >>> 1) ^ -(raw & 1);
            }
        }
    }

    final void skipFixed(int size) {
        if (size > limit - pos) {
            throw FALLBACK;
        }
        pos += size;
    }

    private void skipFloat() {
        if (limit - pos < 4) {
            throw FALLBACK;
        }
        int bits = littleEndianInt(pos);
        if ((bits & 0x7F800000) == 0x7F800000 && (bits & 0x007FFFFF) != 0) {
            throw FALLBACK;
        }
        pos += 4;
    }

    private void skipDouble() {
        if (limit - pos < 8) {
            throw FALLBACK;
        }
        long high = littleEndianInt(pos + 4);
        boolean nan =
                (high & 0x7FF00000) == 0x7FF00000 && ((high & 0xFFFFF) | littleEndianInt(pos)) != 0;
        if (nan) {
            throw FALLBACK;
        }
        pos += 8;
    }

    private int littleEndianInt(int at) {
        return (in[at] & 0xFF)
                | (in[at + 1] & 0xFF) << 8
                | (in[at + 2] & 0xFF) << 16
                | (in[at + 3] & 0xFF) << 24;
    }

    static int copy(byte[] source, int from, int length, byte[] target, int at) {
        System.arraycopy(source, from, target, at, length);
        return at + length;
    }
}
