package io.cmekflink.crypto;

import io.cmekflink.crypto.BinaryPlan.Field;
import io.cmekflink.dek.Dek;
import io.cmekflink.schema.ByteArrayEncoder;
import io.cmekflink.schema.EnvelopeSchema;
import io.cmekflink.schema.SingleObjectEncoding;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import org.apache.avro.io.BinaryData;

/**
 * Opens one record straight from its single-object encoding, with no GenericRecord in between: the
 * mirror of {@link BinarySealWalk}.
 *
 * <p>{@link #read} walks the derived record with the {@link BinaryPlan}: it validates every value,
 * notes where the ciphertext slices, the org id field and the binding fields are, and reads the
 * envelope that ends the record. It then checks the org id field against the envelope and builds
 * the associated data. {@link #open} joins the slices and the tag, verifies and decrypts them in
 * one call, checks that each plaintext value is a canonical encoding of its original schema, and
 * writes the record in its writer schema: the unmarked byte ranges of the input with the plaintext
 * values in place of the slices.
 *
 * <p>The output is the canonical encoding of the record that the GenericRecord path opens, map
 * entries sorted by key. Wherever the bytes might differ from that, or the record might fail on
 * that path, the walk throws {@link BinaryWalk.Fallback}, and the caller opens the record on the
 * GenericRecord path, which produces the exact error. Besides the cases that {@link BinaryWalk}
 * lists, the walk falls back on an envelope that is not written the way the sealers write it. The
 * sealers write format version 1 with a key ARN or 2 with a 16-byte reference, the context's two
 * keys in order and one map block. The walk also falls back on an envelope that names another
 * derived schema than the header, on an org id field that differs from the envelope's, and on a tag
 * that does not verify.
 *
 * <p>Holds reusable buffers, so each thread needs its own instance. A record read on one thread can
 * be opened on another; that thread's walk reads it again. The plaintext buffer is zeroed before
 * {@link #open} returns.
 */
final class BinaryOpenWalk extends BinaryWalk {

    /**
     * The plan for the records of one derived schema, with the single-object header of its writer
     * schema that opened records get when the output requests one.
     */
    record Opening(BinaryPlan binary, byte[] plaintextHeader) {}

    private static final byte[] ORG_ID_KEY = utf8(EncryptionContext.ORG_ID_KEY);
    private static final byte[] PURPOSE_KEY = utf8(EncryptionContext.PURPOSE_KEY);
    private static final byte[] PURPOSE = utf8(EncryptionContext.PURPOSE);

    /** The marked values' entries of the associated data, written while the walk passes them. */
    private final ByteArrayEncoder entries = new ByteArrayEncoder(256);

    private final ByteArrayEncoder aad = new ByteArrayEncoder(512);
    private final ByteArrayEncoder ciphertext = new ByteArrayEncoder(1024);
    private byte[] plaintext = new byte[1024];

    /**
     * The marked fields in walk order: the derived range of the whole field, the slice and its
     * length, or -1 for null.
     */
    private Field[] markedFields = new Field[8];

    private int[] markedStart = new int[8];
    private int[] markedEnd = new int[8];
    private int[] sliceStart = new int[8];
    private int[] sliceLength = new int[8];
    private int markedCount;
    private int presentCount;

    /** The record whose walk the fields below contain, or null. */
    private SealedRecord prepared;

    private int envelopeStart;
    private int nonceAt;
    private int tagAt;
    private int keyArnAt;
    private int keyArnLength;
    private int edekAt;
    private int edekLength;
    private int orgIdAt;
    private int orgIdLength;
    private int topicAt;
    private int topicLength;
    private int partition;
    private long offset;

    /**
     * Reads and checks the record in {@code payload}, a single-object encoding whose header names
     * the layout of {@code opening}.
     *
     * @throws BinaryWalk.Fallback when the record must take the GenericRecord path
     */
    SealedRecord read(byte[] payload, Opening opening) {
        prepared = null;
        prepare(payload, opening);
        RecordId recordId;
        try {
            recordId = new RecordId(string(topicAt, topicLength), partition, offset);
        } catch (IllegalArgumentException e) {
            throw FALLBACK;
        }
        SealedRecord record =
                new SealedRecord(
                        payload,
                        opening,
                        string(keyArnAt, keyArnLength),
                        Arrays.copyOfRange(in, edekAt, edekAt + edekLength),
                        string(orgIdAt, orgIdLength),
                        recordId);
        prepared = record;
        return record;
    }

    /**
     * Opens a record that {@link #read} returned, with the DEK its EDEK unwraps to, and returns it
     * in the writer schema's binary encoding, after the writer schema's single-object header when
     * {@code singleObject} is set.
     *
     * @throws BinaryWalk.Fallback when the record must take the GenericRecord path
     */
    byte[] open(SealedRecord record, Dek dek, boolean singleObject) {
        // The length of plaintext that decryption may write, which the finally block zeroes.
        int plaintextLength = 0;
        try {
            if (prepared != record) {
                prepare(record.payload(), record.opening());
            }
            ciphertext.reset();
            for (int i = 0; i < markedCount; i++) {
                if (sliceLength[i] >= 0) {
                    ciphertext.writeRaw(in, sliceStart[i], sliceLength[i]);
                }
            }
            ciphertext.writeRaw(in, tagAt, Dek.TAG_BYTES);
            if (plaintext.length < ciphertext.position()) {
                plaintext = new byte[Math.max(ciphertext.position(), plaintext.length * 2)];
            }
            plaintextLength = ciphertext.position() - Dek.TAG_BYTES;
            try {
                dek.open(
                        in,
                        nonceAt,
                        aad.buffer(),
                        aad.position(),
                        ciphertext.buffer(),
                        0,
                        ciphertext.position(),
                        plaintext);
            } catch (AEADBadTagException e) {
                throw FALLBACK;
            }
            checkPlaintext();
            return writeOutput(record.opening(), singleObject);
        } finally {
            Arrays.fill(plaintext, 0, plaintextLength, (byte) 0);
            prepared = null;
            in = EMPTY;
        }
    }

    private void prepare(byte[] payload, Opening opening) {
        BinaryPlan plan = opening.binary();
        begin(plan, payload, SingleObjectEncoding.HEADER_BYTES, payload.length);
        entries.reset();
        markedCount = 0;
        presentCount = 0;
        walkRoot(plan);
        envelopeStart = pos;
        readEnvelope(plan);
        checkOrgId(plan, in, orgIdAt, orgIdLength);
        writeAssociatedData(plan);
    }

    @Override
    void walkMarked(Field field) {
        int start = pos;
        if (field.role() == BinaryPlan.FIELD_MARKED_NULLABLE && readIndex(2) == 0) {
            addMarked(field, start, -1, -1);
            return;
        }
        int length = readLength();
        int slice = pos;
        pos += length;
        int prefixLength = path.length();
        byte[] segment = prefixLength == 0 ? field.nameUtf8() : field.dottedNameUtf8();
        AssociatedData.writeMarkedValue(entries, path.buffer(), prefixLength, segment, length);
        presentCount++;
        addMarked(field, start, slice, length);
    }

    private void addMarked(Field field, int start, int slice, int length) {
        if (markedCount == markedStart.length) {
            int grown = markedCount * 2;
            markedFields = Arrays.copyOf(markedFields, grown);
            markedStart = Arrays.copyOf(markedStart, grown);
            markedEnd = Arrays.copyOf(markedEnd, grown);
            sliceStart = Arrays.copyOf(sliceStart, grown);
            sliceLength = Arrays.copyOf(sliceLength, grown);
        }
        markedFields[markedCount] = field;
        markedStart[markedCount] = start;
        markedEnd[markedCount] = pos;
        sliceStart[markedCount] = slice;
        sliceLength[markedCount] = length;
        markedCount++;
    }

    /**
     * Reads the envelope in the layout of {@link EnvelopeSchema#SCHEMA}, as the sealers write it,
     * up to the end of the payload.
     */
    private void readEnvelope(BinaryPlan plan) {
        int formatVersion = readInt();
        if (formatVersion == EnvelopeSchema.FORMAT_VERSION) {
            keyArnLength = readNonEmptyLength();
        } else if (formatVersion == EnvelopeSchema.REFERENCE_FORMAT_VERSION) {
            keyArnLength = readLength();
            if (keyArnLength != 0) {
                throw FALLBACK;
            }
        } else {
            throw FALLBACK;
        }
        keyArnAt = pos;
        pos += keyArnLength;

        edekLength = readNonEmptyLength();
        if (formatVersion == EnvelopeSchema.REFERENCE_FORMAT_VERSION
                && edekLength != EnvelopeSchema.REFERENCE_BYTES) {
            throw FALLBACK;
        }
        edekAt = pos;
        pos += edekLength;

        if (readBlockCount() != 2) {
            throw FALLBACK;
        }
        expect(ORG_ID_KEY);
        orgIdLength = readNonEmptyLength();
        orgIdAt = pos;
        pos += orgIdLength;
        expect(PURPOSE_KEY);
        expect(PURPOSE);
        if (readBlockCount() != 0) {
            throw FALLBACK;
        }

        nonceAt = pos;
        skipFixed(EnvelopeSchema.NONCE_BYTES);
        tagAt = pos;
        skipFixed(EnvelopeSchema.TAG_BYTES);

        topicLength = readNonEmptyLength();
        topicAt = pos;
        pos += topicLength;
        partition = readInt();
        offset = readLong();

        byte[] fingerprint = plan.fingerprintBytes;
        if (limit - pos != fingerprint.length
                || !Arrays.equals(in, pos, limit, fingerprint, 0, fingerprint.length)) {
            // Trailing bytes, or the envelope names another derived schema of this layout.
            throw FALLBACK;
        }
        pos = limit;
    }

    private int readNonEmptyLength() {
        int length = readLength();
        if (length == 0) {
            throw FALLBACK;
        }
        return length;
    }

    /** Reads a string that must be exactly {@code expected}. */
    private void expect(byte[] expected) {
        int length = readLength();
        if (!Arrays.equals(in, pos, pos + length, expected, 0, expected.length)) {
            throw FALLBACK;
        }
        pos += length;
    }

    private void writeAssociatedData(BinaryPlan plan) {
        aad.reset();
        AssociatedData.writeHeaderStart(
                aad, in, orgIdAt, orgIdLength, plan.fullNameUtf8, in, topicAt, topicLength);
        AssociatedData.writeHeaderEnd(aad, partition, offset, plan.fingerprintBytes);
        aad.writeIntBigEndian(presentCount);
        aad.writeRaw(entries.buffer(), 0, entries.position());
        writeBindings(plan, aad);
    }

    /** Checks that each plaintext value is one canonical encoding of its field's writer schema. */
    private void checkPlaintext() {
        byte[] payload = in;
        int payloadLimit = limit;
        in = plaintext;
        int at = 0;
        try {
            for (int i = 0; i < markedCount; i++) {
                if (sliceLength[i] >= 0) {
                    pos = at;
                    limit = at + sliceLength[i];
                    walkValue(markedFields[i].node(), null);
                    if (pos != limit) {
                        throw FALLBACK;
                    }
                    at = limit;
                }
            }
        } catch (StackOverflowError e) {
            throw FALLBACK;
        }
        in = payload;
        limit = payloadLimit;
    }

    /**
     * Writes the record in its writer schema into an array of its exact length. The array gets the
     * unmarked ranges of the input and each marked field's plaintext value. A null marked field
     * becomes the index of the writer union's null branch.
     */
    private byte[] writeOutput(Opening opening, boolean singleObject) {
        byte[] header = singleObject ? opening.plaintextHeader() : EMPTY;
        int length = header.length + envelopeStart - SingleObjectEncoding.HEADER_BYTES;
        for (int i = 0; i < markedCount; i++) {
            length -= markedEnd[i] - markedStart[i];
            length +=
                    sliceLength[i] >= 0
                            ? sliceLength[i]
                            : ByteArrayEncoder.longSize(markedFields[i].node().nullBranch);
        }

        byte[] out = new byte[length];
        // The length is exact, so the writes below index the array directly.
        int at = copy(header, 0, header.length, out, 0);
        int from = SingleObjectEncoding.HEADER_BYTES;
        int plainAt = 0;
        for (int i = 0; i < markedCount; i++) {
            at = copy(in, from, markedStart[i] - from, out, at);
            if (sliceLength[i] < 0) {
                at += BinaryData.encodeInt(markedFields[i].node().nullBranch, out, at);
            } else {
                at = copy(plaintext, plainAt, sliceLength[i], out, at);
                plainAt += sliceLength[i];
            }
            from = markedEnd[i];
        }
        at = copy(in, from, envelopeStart - from, out, at);

        if (at != out.length) {
            throw new IllegalStateException(
                    "opened record has " + at + " bytes, expected " + out.length);
        }
        return out;
    }

    private String string(int at, int length) {
        return new String(in, at, length, StandardCharsets.UTF_8);
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
