package io.cmekflink.crypto;

import io.cmekflink.crypto.BinaryPlan.Field;
import io.cmekflink.crypto.BinaryPlan.Node;
import io.cmekflink.dek.Dek;
import io.cmekflink.dek.DekExhaustedException;
import io.cmekflink.schema.ByteArrayEncoder;
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
 * BinaryWalk.Fallback} before it seals, and the caller seals the record on the GenericRecord path,
 * which also produces the exact error of invalid input. Besides the cases that {@link BinaryWalk}
 * lists, the walk falls back on trailing bytes and on an org id field that does not contain the org
 * id the record is sealed for.
 *
 * <p>Holds reusable buffers, so each thread needs its own instance. Plaintext left in the buffer is
 * zeroed before {@link #seal} returns.
 */
final class BinarySealWalk extends BinaryWalk {

    private final BinaryPlan plan;
    private final ByteArrayEncoder plaintext = new ByteArrayEncoder(1024);
    private final ByteArrayEncoder aad = new ByteArrayEncoder(512);
    private final byte[] nonce = new byte[Dek.NONCE_BYTES];

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

    /**
     * The ciphertext and tag of the last record. The buffer is reused and, unlike plaintext, not
     * zeroed.
     */
    private byte[] sealedBuffer = new byte[1024];

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
    }

    /**
     * Seals the record in {@code avro[offset, offset + length)} and returns its single-object
     * encoding under the derived schema.
     *
     * @throws BinaryWalk.Fallback when the record must take the GenericRecord path; the DEK is
     *     unused then
     */
    byte[] seal(byte[] avro, int offset, int length, String orgId, RecordId recordId, Dek dek)
            throws DekExhaustedException {
        begin(plan, avro, offset, offset + length);
        plaintext.reset();
        aad.reset();
        markedCount = 0;
        presentCount = 0;
        plaintextLength = 0;
        plaintextStart = offset;
        contiguous = true;
        try {
            byte[] orgIdUtf8 = orgIdUtf8(orgId);
            aad.writeRaw(aadStart(orgId, recordId.topic()), 0, cachedAadStart.length);
            AssociatedData.writeHeaderEnd(aad, recordId, plan.fingerprintBytes);
            int countAt = AssociatedData.reserveCount(aad);
            walkRoot(plan);
            if (pos != limit) {
                throw FALLBACK;
            }
            checkOrgId(plan, orgIdUtf8, 0, orgIdUtf8.length);
            AssociatedData.patchCount(aad, countAt, presentCount);
            writeBindings(plan, aad);

            int sealedLength = plaintextLength + Dek.TAG_BYTES;
            if (sealedBuffer.length < sealedLength) {
                sealedBuffer = new byte[Math.max(sealedLength, sealedBuffer.length * 2)];
            }
            if (contiguous) {
                // The marked values follow each other in the input, which is the plaintext then.
                dek.seal(
                        nonce,
                        aad.buffer(),
                        aad.position(),
                        in,
                        plaintextStart,
                        plaintextLength,
                        sealedBuffer);
            } else {
                copyPlaintext();
                dek.seal(
                        nonce,
                        aad.buffer(),
                        aad.position(),
                        plaintext.buffer(),
                        0,
                        plaintextLength,
                        sealedBuffer);
            }
            return writeOutput(offset, sealedBuffer, orgId, recordId, dek);
        } finally {
            Arrays.fill(plaintext.buffer(), 0, plaintext.position(), (byte) 0);
            in = EMPTY;
        }
    }

    @Override
    void walkMarked(Field field) {
        int start = pos;
        boolean nullable = field.role() == BinaryPlan.FIELD_MARKED_NULLABLE;
        if (nullable) {
            Node union = field.node();
            int branch = readIndex(union.branches.length);
            if (branch == union.nullBranch) {
                addMarked(start, -1, true);
                return;
            }
            walkPlainField(union.branches[branch]);
        } else {
            walkPlainField(field.node());
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
            start.writeInt(SealWalk.formatVersionOf(dek));
            start.writeString(SealWalk.envelopeKeyArn(dek));
            byte[] edek = SealWalk.envelopeEdek(dek);
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
}
