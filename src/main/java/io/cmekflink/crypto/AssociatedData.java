package io.cmekflink.crypto;

import io.cmekflink.schema.ByteArrayEncoder;
import io.cmekflink.schema.PathBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.avro.io.DatumWriter;

/**
 * The associated data of the one AES-GCM operation that seals a record, layout version 1.
 *
 * <p>It binds the ciphertext to its place, so that the tag fails for the whole record when a slice
 * moves to another field or record, the record moves to another org or gets another record id, a
 * binding field changes, or a marked value appears or disappears. It does not cover the key ARN or
 * the EDEK, so re-wrapping the EDEK under another key leaves the ciphertext valid.
 *
 * <p>Byte layout. Integers are big-endian two's complement; {@code string} is an int32 byte count
 * followed by that many bytes of UTF-8:
 *
 * <pre>
 * int32     layout version            1, for envelopes of format versions 1 and 2
 * string    org id                    from the envelope's encryption context
 * string    record full name          of the writer (and derived) top-level record
 * string    record id topic
 * int32     record id partition
 * int64     record id offset
 * 8 bytes   schema fingerprint        the exact fingerprint, as stored in the envelope
 * int32     n                         number of present (non-null) marked values
 * n times:
 *   string  path                      see PathBuilder; map keys unredacted
 *   int32   value length              bytes of the value's Avro binary encoding
 * int32     m                         number of binding fields, in the derived schema's order
 * m times:
 *   string  path                      the dotted path as configured
 *   int32   value length
 *   bytes   value                     Avro binary encoding under the field's schema, map
 *                                     entries sorted by key
 * </pre>
 *
 * The marked values appear in walk order: record fields in schema order, array items in order, map
 * entries sorted by key (unsigned UTF-8 bytes). The plaintext sealed under this associated data is
 * the concatenation of the marked values' Avro encodings in the same order; the value lengths make
 * the boundaries between them part of what the tag covers.
 *
 * <p>Envelopes of both format versions use this layout, version 1: the associated data covers
 * neither the key ARN and EDEK of format version 1 nor the data-key reference of format version 2,
 * so a record can move between the two by a rewrite of its envelope, without sealing it again. The
 * tag still fails under any other DEK.
 */
public final class AssociatedData {

    /** The version of this layout. */
    public static final int LAYOUT_VERSION = 1;

    private AssociatedData() {}

    static void writeHeader(
            ByteArrayEncoder out,
            byte[] orgId,
            byte[] recordFullName,
            byte[] topic,
            RecordId recordId,
            byte[] schemaFingerprint) {
        writeHeaderStart(out, orgId, recordFullName, topic);
        writeHeaderEnd(out, recordId, schemaFingerprint);
    }

    /**
     * Writes the header up to the record id topic, the part that stays the same for the records of
     * one org and topic.
     */
    static void writeHeaderStart(
            ByteArrayEncoder out, byte[] orgId, byte[] recordFullName, byte[] topic) {
        writeHeaderStart(out, orgId, 0, orgId.length, recordFullName, topic, 0, topic.length);
    }

    /**
     * Writes the header up to the record id topic from the org id's and the topic's UTF-8 bytes in
     * ranges of larger arrays.
     */
    static void writeHeaderStart(
            ByteArrayEncoder out,
            byte[] orgId,
            int orgIdOffset,
            int orgIdLength,
            byte[] recordFullName,
            byte[] topic,
            int topicOffset,
            int topicLength) {
        out.writeIntBigEndian(LAYOUT_VERSION);
        writeString(out, orgId, orgIdOffset, orgIdLength);
        writeString(out, recordFullName, 0, recordFullName.length);
        writeString(out, topic, topicOffset, topicLength);
    }

    /** Writes the rest of the header after {@link #writeHeaderStart}. */
    static void writeHeaderEnd(ByteArrayEncoder out, RecordId recordId, byte[] schemaFingerprint) {
        writeHeaderEnd(out, recordId.partition(), recordId.offset(), schemaFingerprint);
    }

    /** Writes the rest of the header from the record id's partition and offset. */
    static void writeHeaderEnd(
            ByteArrayEncoder out, int partition, long offset, byte[] schemaFingerprint) {
        out.writeIntBigEndian(partition);
        out.writeLongBigEndian(offset);
        out.writeRaw(schemaFingerprint, 0, schemaFingerprint.length);
    }

    /** Writes a placeholder count and returns its position for {@link #patchCount}. */
    static int reserveCount(ByteArrayEncoder out) {
        int at = out.position();
        out.writeIntBigEndian(0);
        return at;
    }

    static void patchCount(ByteArrayEncoder out, int at, int count) {
        out.putIntBigEndian(at, count);
    }

    /** Writes one marked value's entry and returns the position of its path string. */
    static int writeMarkedValue(ByteArrayEncoder out, PathBuilder path, int valueLength) {
        int at = out.position();
        writeString(out, path.buffer(), 0, path.length());
        out.writeIntBigEndian(valueLength);
        return at;
    }

    /**
     * Writes one marked value's entry whose path is {@code prefix[0, prefixLength)} followed by
     * {@code segment}, as {@link PathBuilder#appendField} would build it, without building it.
     */
    static void writeMarkedValue(
            ByteArrayEncoder out,
            byte[] prefix,
            int prefixLength,
            byte[] segment,
            int valueLength) {
        out.writeIntBigEndian(prefixLength + segment.length);
        out.writeRaw(prefix, 0, prefixLength);
        out.writeRaw(segment, 0, segment.length);
        out.writeIntBigEndian(valueLength);
    }

    /** Writes one binding field's entry from its Avro encoding, {@code value[offset, +length)}. */
    static void writeBinding(
            ByteArrayEncoder out, byte[] path, byte[] value, int offset, int length) {
        writeString(out, path, 0, path.length);
        out.writeIntBigEndian(length);
        out.writeRaw(value, offset, length);
    }

    static void writeBinding(
            ByteArrayEncoder out, byte[] path, DatumWriter<Object> writer, Object value) {
        writeString(out, path, 0, path.length);
        int lengthAt = reserveCount(out);
        int start = out.position();
        try {
            writer.write(value, out);
        } catch (IOException e) {
            throw new UncheckedIOException("encoding into memory failed", e);
        }
        out.putIntBigEndian(lengthAt, out.position() - start);
    }

    /**
     * Returns the path whose entry {@link #writeMarkedValue} wrote at {@code at}, map keys
     * redacted.
     */
    static String redactedPathAt(ByteArrayEncoder out, int at) {
        byte[] buffer = out.buffer();
        int length =
                (buffer[at] & 0xFF) << 24
                        | (buffer[at + 1] & 0xFF) << 16
                        | (buffer[at + 2] & 0xFF) << 8
                        | (buffer[at + 3] & 0xFF);
        return PathBuilder.redact(buffer, at + 4, length);
    }

    private static void writeString(ByteArrayEncoder out, byte[] utf8, int offset, int length) {
        out.writeIntBigEndian(length);
        out.writeRaw(utf8, offset, length);
    }
}
