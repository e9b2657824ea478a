package io.cmekflink.schema;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Builds the path of a value inside a record as UTF-8 bytes, one segment at a time.
 *
 * <p>Path syntax, version 1. The associated data of a sealed record contains these bytes, so the
 * syntax is part of the wire format and must not change:
 *
 * <pre>
 * path    = field { "." field | "[" index "]" | "[" key "]" | "&lt;" branch "&gt;" }
 * field   = an Avro field name (letters, digits, "_"; never ".", "[", "&lt;" or quotes)
 * index   = the array position in decimal, from 0, without leading zeros
 * key     = '"' the map key's UTF-8 bytes, with '"' and '\' each preceded by '\' '"'
 * branch  = the full name of the chosen union branch: a record, enum or fixed full name, or
 *           "array", "map", "string", "int" and so on for unnamed types
 * </pre>
 *
 * <p>Examples: {@code request.headers}, {@code tries[2].ip}, {@code routes["k\"ey"].secret}, {@code
 * payload<com.example.Card>.number}. A branch segment follows a union only when the union has more
 * than one branch besides {@code null}, so that a value cannot move from one branch to another; the
 * branch of a nullable union is implied by the value being present.
 *
 * <p>Map keys are record data, so {@link #toRedactedString()} replaces them with {@code [*]} for
 * messages and logs.
 *
 * <p>Thread safety: none.
 */
public final class PathBuilder {

    private byte[] buffer = new byte[64];
    private int length;

    public int length() {
        return length;
    }

    /** Returns the internal array, whose bytes {@code [0, length())} are the path. */
    public byte[] buffer() {
        return buffer;
    }

    /** Removes the segments added after the path had {@code newLength} bytes. */
    public void truncate(int newLength) {
        length = newLength;
    }

    /** Appends a field segment, with a leading {@code "."} unless the path is empty. */
    public void appendField(byte[] nameUtf8) {
        ensure(nameUtf8.length + 1);
        if (length > 0) {
            buffer[length++] = '.';
        }
        System.arraycopy(nameUtf8, 0, buffer, length, nameUtf8.length);
        length += nameUtf8.length;
    }

    public void appendIndex(int index) {
        ensure(12);
        buffer[length++] = '[';
        if (index < 10) {
            buffer[length++] = (byte) ('0' + index);
        } else {
            byte[] digits = Integer.toString(index).getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(digits, 0, buffer, length, digits.length);
            length += digits.length;
        }
        buffer[length++] = ']';
    }

    public void appendMapKey(byte[] keyUtf8, int keyLength) {
        ensure(2 * keyLength + 4);
        buffer[length++] = '[';
        buffer[length++] = '"';
        for (int i = 0; i < keyLength; i++) {
            byte b = keyUtf8[i];
            if (b == '"' || b == '\\') {
                buffer[length++] = '\\';
            }
            buffer[length++] = b;
        }
        buffer[length++] = '"';
        buffer[length++] = ']';
    }

    public void appendBranch(byte[] branchNameUtf8) {
        ensure(branchNameUtf8.length + 2);
        buffer[length++] = '<';
        System.arraycopy(branchNameUtf8, 0, buffer, length, branchNameUtf8.length);
        length += branchNameUtf8.length;
        buffer[length++] = '>';
    }

    /** Returns the path, map keys included. */
    @Override
    public String toString() {
        return new String(buffer, 0, length, StandardCharsets.UTF_8);
    }

    /**
     * Returns the path with every map key replaced by {@code *}, as in {@code routes[*].secret}.
     */
    public String toRedactedString() {
        return redact(buffer, 0, length);
    }

    /** Redacts the map keys of a path held in {@code bytes[offset, offset + length)}. */
    public static String redact(byte[] bytes, int offset, int length) {
        StringBuilder out = new StringBuilder(length);
        int end = offset + length;
        int i = offset;
        while (i < end) {
            if (bytes[i] == '[' && i + 1 < end && bytes[i + 1] == '"') {
                i = skipQuotedKey(bytes, i + 2, end);
                out.append("[*]");
            } else {
                int segmentEnd = i + 1;
                while (segmentEnd < end && bytes[segmentEnd] != '[') {
                    segmentEnd++;
                }
                out.append(new String(bytes, i, segmentEnd - i, StandardCharsets.UTF_8));
                i = segmentEnd;
            }
        }
        return out.toString();
    }

    /** Returns the index after the {@code "]"} that closes a quoted key starting at {@code i}. */
    private static int skipQuotedKey(byte[] bytes, int i, int end) {
        while (i < end) {
            if (bytes[i] == '\\') {
                i += 2;
            } else if (bytes[i] == '"') {
                return Math.min(end, i + 2);
            } else {
                i++;
            }
        }
        return end;
    }

    private void ensure(int extra) {
        if (length + extra > buffer.length) {
            buffer = Arrays.copyOf(buffer, Math.max(length + extra, buffer.length * 2));
        }
    }
}
