package io.cmekflink.crypto;

import io.cmekflink.crypto.BinaryPlan.Field;
import io.cmekflink.crypto.BinaryPlan.Node;
import io.cmekflink.crypto.BinaryPlan.Target;
import io.cmekflink.dek.Dek;
import io.cmekflink.dek.DekExhaustedException;
import io.cmekflink.schema.ByteArrayEncoder;
import io.cmekflink.schema.EnvelopeSchema;
import io.cmekflink.schema.PathBuilder;
import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.avro.io.BinaryData;

/**
 * Seals one record straight from its Avro binary encoding, with no GenericRecord in between, and
 * produces the same bytes as {@link SealWalk#sealToBytes} for the same record, DEK state and record
 * id.
 *
 * <p>It walks the whole input with the {@link BinaryPlan} before it seals: it validates every
 * value, writes the associated data and notes where the marked fields, the org id field and the
 * binding fields are. Only then does it seal once. The plaintext is the input range of the marked
 * values when they follow each other, as in most flat records, and otherwise a copy of them in the
 * plaintext buffer. It then writes the derived record from the unmarked byte ranges of the input,
 * the ciphertext slices and the envelope.
 *
 * <p>The GenericRecord path decodes the input and encodes it again, so its output equals the input
 * bytes only where the input is canonical. Wherever that is not certain, the walk throws {@link
 * Fallback} before it seals, and the caller seals the record on the GenericRecord path, which also
 * produces the exact error of invalid input. The walk falls back on:
 *
 * <ul>
 *   <li>input that is not valid Avro binary of the writer schema or has trailing bytes;
 *   <li>a varint with redundant continuation bytes;
 *   <li>an array or map in more than one block, or with a negative block count;
 *   <li>a map whose keys are not strictly ascending by their unsigned UTF-8 bytes, because the
 *       GenericRecord path sorts map entries and keeps only the last of equal keys;
 *   <li>a float or double NaN, whose payload bits a decode and encode might not keep;
 *   <li>an org id field that does not contain the org id the record is sealed for.
 * </ul>
 *
 * <p>Holds reusable buffers, so each thread needs its own instance. Plaintext left in the buffer is
 * zeroed before {@link #seal} returns.
 */
final class BinarySealWalk {

    /**
     * Thrown when a record has to take the GenericRecord path. It is thrown before the DEK is used,
     * so no nonce is spent. One shared instance without a stack trace, because it carries no
     * information and controls the flow.
     */
    static final class Fallback extends RuntimeException {
        static final Fallback INSTANCE = new Fallback();

        private Fallback() {
            super("record needs the GenericRecord path", null, false, false);
        }
    }

    private static final Fallback FALLBACK = Fallback.INSTANCE;
    private static final byte[] EMPTY = new byte[0];

    private final BinaryPlan plan;
    private final ByteArrayEncoder plaintext = new ByteArrayEncoder(1024);
    private final ByteArrayEncoder aad = new ByteArrayEncoder(512);
    private final PathBuilder path = new PathBuilder();
    private final byte[] nonce = new byte[Dek.NONCE_BYTES];
    private final int[] slotStart;
    private final int[] slotEnd;

    /** The marked fields in walk order: input range, and plaintext length or -1 for null. */
    private int[] markedStart = new int[8];

    private int[] markedEnd = new int[8];
    private int[] markedLength = new int[8];
    private boolean[] markedNullable = new boolean[8];
    private int markedCount;
    private int presentCount;
    private int plaintextLength;

    /** The input position of the first present marked value. */
    private int plaintextStart;

    /** Whether each present marked value starts where the one before it ends. */
    private boolean contiguous;

    private byte[] mapKey = new byte[32];
    private byte[] exactAad = EMPTY;

    private byte[] in = EMPTY;
    private int pos;
    private int limit;

    private String cachedOrgId = "";
    private byte[] cachedOrgIdUtf8 = EMPTY;
    private String cachedTopic = "";
    private byte[] cachedTopicUtf8 = EMPTY;
    private byte[] cachedAadStart = EMPTY;

    /** The DEK of {@link #cachedEnvelopeStart}, held weakly so that this walk never keeps it. */
    private WeakReference<Dek> cachedDek = new WeakReference<>(null);

    private String cachedEnvelopeOrgId = "";
    private byte[] cachedEnvelopeStart = EMPTY;

    BinarySealWalk(BinaryPlan plan) {
        this.plan = plan;
        this.slotStart = new int[plan.slotCount];
        this.slotEnd = new int[plan.slotCount];
    }

    /**
     * Seals the record in {@code avro[offset, offset + length)} and returns its single-object
     * encoding under the derived schema.
     *
     * @throws Fallback when the record must take the GenericRecord path; the DEK is unused then
     */
    byte[] seal(byte[] avro, int offset, int length, String orgId, RecordId recordId, Dek dek)
            throws DekExhaustedException {
        in = avro;
        pos = offset;
        limit = offset + length;
        plaintext.reset();
        aad.reset();
        path.truncate(0);
        markedCount = 0;
        presentCount = 0;
        plaintextLength = 0;
        plaintextStart = offset;
        contiguous = true;
        Arrays.fill(slotStart, -1);
        try {
            byte[] orgIdUtf8 = orgIdUtf8(orgId);
            aad.writeRaw(aadStart(orgId, recordId.topic()), 0, cachedAadStart.length);
            AssociatedData.writeHeaderEnd(aad, recordId, plan.fingerprintBytes);
            int countAt = AssociatedData.reserveCount(aad);
            walk();
            checkOrgId(orgIdUtf8);
            AssociatedData.patchCount(aad, countAt, presentCount);
            writeBindings();

            byte[] sealed;
            if (contiguous) {
                // The marked values follow each other in the input, which is the plaintext then.
                sealed = dek.seal(nonce, exactAad(), in, plaintextStart, plaintextLength);
            } else {
                copyPlaintext();
                sealed = dek.seal(nonce, exactAad(), plaintext.buffer(), 0, plaintextLength);
            }
            return writeOutput(offset, sealed, orgId, recordId, dek);
        } finally {
            Arrays.fill(plaintext.buffer(), 0, plaintext.position(), (byte) 0);
            in = EMPTY;
        }
    }

    private void walk() {
        try {
            walkRecord(plan.root, plan.targets);
        } catch (StackOverflowError e) {
            throw FALLBACK;
        }
        if (pos != limit) {
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
     * Walks a field's value without marks of its own, with the most common types inline rather than
     * in a call.
     */
    private void walkPlainField(Node node, Target target) {
        int kind = node.kind;
        if (kind == BinaryPlan.STRING || kind == BinaryPlan.BYTES) {
            int length = readLength();
            pos += length;
        } else if (kind == BinaryPlan.INT) {
            readInt();
        } else if (kind == BinaryPlan.LONG) {
            readLong();
        } else {
            walkValue(node, target);
        }
    }

    private void walkValue(Node node, Target target) {
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
            case BinaryPlan.FIXED -> {
                if (node.size > limit - pos) {
                    throw FALLBACK;
                }
                pos += node.size;
            }
            case BinaryPlan.ENUM -> readIndex(node.size);
            case BinaryPlan.ARRAY -> walkArray(node);
            case BinaryPlan.MAP -> walkMap(node);
            case BinaryPlan.UNION -> walkUnion(node);
            default -> walkRecord(node, target);
        }
    }

    private void walkMarked(Field field) {
        int start = pos;
        boolean nullable = field.role() == BinaryPlan.FIELD_MARKED_NULLABLE;
        if (nullable) {
            Node union = field.node();
            int branch = readIndex(union.branches.length);
            if (branch == union.nullBranch) {
                addMarked(start, -1, true);
                return;
            }
            walkPlainField(union.branches[branch], null);
        } else {
            walkPlainField(field.node(), null);
        }
        int length = pos - start;
        if (presentCount == 0) {
            plaintextStart = start;
        } else if (start != plaintextStart + plaintextLength) {
            contiguous = false;
        }
        plaintextLength += length;
        int prefixLength = path.length();
        byte[] segment = prefixLength == 0 ? field.nameUtf8() : field.dottedNameUtf8();
        AssociatedData.writeMarkedValue(aad, path.buffer(), prefixLength, segment, length);
        presentCount++;
        addMarked(start, length, nullable);
    }

    private void addMarked(int start, int length, boolean nullable) {
        if (markedCount == markedStart.length) {
            int grown = markedCount * 2;
            markedStart = Arrays.copyOf(markedStart, grown);
            markedEnd = Arrays.copyOf(markedEnd, grown);
            markedLength = Arrays.copyOf(markedLength, grown);
            markedNullable = Arrays.copyOf(markedNullable, grown);
        }
        markedStart[markedCount] = start;
        markedEnd[markedCount] = pos;
        markedLength[markedCount] = length;
        markedNullable[markedCount] = nullable;
        markedCount++;
    }

    private void copyPlaintext() {
        for (int i = 0; i < markedCount; i++) {
            if (markedLength[i] >= 0) {
                plaintext.writeRaw(in, markedStart[i], markedLength[i]);
            }
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

    private void checkOrgId(byte[] orgIdUtf8) {
        int start = slotStart[BinaryPlan.ORG_ID_SLOT];
        if (start < 0) {
            throw new IllegalStateException("the walk did not reach the org id field");
        }
        pos = start;
        if (plan.orgIdNullBranch >= 0 && readInt() == plan.orgIdNullBranch) {
            throw FALLBACK;
        }
        int length = readLength();
        if (!Arrays.equals(in, pos, pos + length, orgIdUtf8, 0, orgIdUtf8.length)) {
            throw FALLBACK;
        }
    }

    private void writeBindings() {
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

    /**
     * Returns the associated data in an array of its exact length, as {@link Dek#seal} takes it,
     * reusing the last array when the length repeats.
     */
    private byte[] exactAad() {
        int length = aad.position();
        if (exactAad.length != length) {
            exactAad = new byte[length];
        }
        System.arraycopy(aad.buffer(), 0, exactAad, 0, length);
        return exactAad;
    }

    /**
     * Writes the derived record into an array of its exact length: the single-object header, the
     * unmarked ranges of the input, each marked field as its ciphertext slice, and the envelope.
     */
    private byte[] writeOutput(
            int offset, byte[] sealed, String orgId, RecordId recordId, Dek dek) {
        byte[] envelopeStart = envelopeStart(orgId, dek);
        byte[] out = new byte[outputLength(offset, envelopeStart, recordId)];
        // The length is exact, so the writes below index the array directly.
        int at = copy(plan.singleObjectHeader, 0, plan.singleObjectHeader.length, out, 0);
        int from = offset;
        int sliceAt = 0;
        for (int i = 0; i < markedCount; i++) {
            at = copy(in, from, markedStart[i] - from, out, at);
            int length = markedLength[i];
            if (length < 0) {
                out[at++] = 0; // union index 0, null
            } else {
                if (markedNullable[i]) {
                    out[at++] = 2; // union index 1, bytes
                }
                at += BinaryData.encodeInt(length, out, at);
                at = copy(sealed, sliceAt, length, out, at);
                sliceAt += length;
            }
            from = markedEnd[i];
        }
        at = copy(in, from, limit - from, out, at);

        // The envelope, in the Avro binary layout of EnvelopeSchema.SCHEMA.
        at = copy(envelopeStart, 0, envelopeStart.length, out, at);
        at = copy(nonce, 0, Dek.NONCE_BYTES, out, at);
        at = copy(sealed, plaintextLength, Dek.TAG_BYTES, out, at);
        at += BinaryData.encodeInt(cachedTopicUtf8.length, out, at);
        at = copy(cachedTopicUtf8, 0, cachedTopicUtf8.length, out, at);
        at += BinaryData.encodeInt(recordId.partition(), out, at);
        at += BinaryData.encodeLong(recordId.offset(), out, at);
        at = copy(plan.fingerprintBytes, 0, plan.fingerprintBytes.length, out, at);

        if (at != out.length) {
            throw new IllegalStateException(
                    "sealed record has " + at + " bytes, expected " + out.length);
        }
        return out;
    }

    private static int copy(byte[] source, int from, int length, byte[] target, int at) {
        System.arraycopy(source, from, target, at, length);
        return at + length;
    }

    private int outputLength(int offset, byte[] envelopeStart, RecordId recordId) {
        int length = plan.singleObjectHeader.length + (limit - offset);
        for (int i = 0; i < markedCount; i++) {
            length -= markedEnd[i] - markedStart[i];
            int sliceLength = markedLength[i];
            if (sliceLength < 0) {
                length += 1;
            } else {
                length +=
                        (markedNullable[i] ? 1 : 0)
                                + ByteArrayEncoder.longSize(sliceLength)
                                + sliceLength;
            }
        }
        return length
                + envelopeStart.length
                + Dek.NONCE_BYTES
                + Dek.TAG_BYTES
                + ByteArrayEncoder.longSize(cachedTopicUtf8.length)
                + cachedTopicUtf8.length
                + ByteArrayEncoder.longSize(recordId.partition())
                + ByteArrayEncoder.longSize(recordId.offset())
                + plan.fingerprintBytes.length;
    }

    /**
     * Returns the envelope fields before the nonce, which stay the same for one DEK and org: format
     * version, key ARN, EDEK and the encryption context, whose two keys {@code org_id} and {@code
     * purpose} are written in sorted order, as every map.
     */
    private byte[] envelopeStart(String orgId, Dek dek) {
        if (dek != cachedDek.get() || !orgId.equals(cachedEnvelopeOrgId)) {
            ByteArrayEncoder start = new ByteArrayEncoder(512);
            start.writeInt(EnvelopeSchema.FORMAT_VERSION);
            start.writeString(dek.keyArn());
            byte[] edek = dek.edek();
            start.writeBytes(edek, 0, edek.length);
            start.setItemCount(2);
            start.writeString(EncryptionContext.ORG_ID_KEY);
            start.writeString(orgId);
            start.writeString(EncryptionContext.PURPOSE_KEY);
            start.writeString(EncryptionContext.PURPOSE);
            start.writeMapEnd();
            cachedEnvelopeStart = start.toByteArray();
            cachedDek = new WeakReference<>(dek);
            cachedEnvelopeOrgId = orgId;
        }
        return cachedEnvelopeStart;
    }

    private byte[] orgIdUtf8(String orgId) {
        if (!orgId.equals(cachedOrgId)) {
            cachedOrgIdUtf8 = orgId.getBytes(StandardCharsets.UTF_8);
            cachedOrgId = orgId;
            cachedTopic = null;
        }
        return cachedOrgIdUtf8;
    }

    /** Returns the associated data header up to the topic, cached for the last org and topic. */
    private byte[] aadStart(String orgId, String topic) {
        if (!topic.equals(cachedTopic)) {
            cachedTopicUtf8 = topic.getBytes(StandardCharsets.UTF_8);
            cachedTopic = topic;
            ByteArrayEncoder start = new ByteArrayEncoder(128);
            AssociatedData.writeHeaderStart(
                    start, orgIdUtf8(orgId), plan.fullNameUtf8, cachedTopicUtf8);
            cachedAadStart = start.toByteArray();
        }
        return cachedAadStart;
    }

    private int readIndex(int bound) {
        int index = readInt();
        if (index < 0 || index >= bound) {
            throw FALLBACK;
        }
        return index;
    }

    /** Reads a string or bytes length that must fit in the bytes that remain. */
    private int readLength() {
        long length = readLong();
        if (length < 0 || length > limit - pos) {
            throw FALLBACK;
        }
        return (int) length;
    }

    /** Reads an array or map block count: not negative, and at most one item per byte left. */
    private int readBlockCount() {
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
    private int readInt() {
        long value = readLong();
        if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
            throw FALLBACK;
        }
        return (int) value;
    }

    /** Reads a zigzag varint long in its shortest encoding. */
    private long readLong() {
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
}
