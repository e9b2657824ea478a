package io.cmekflink.schema;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import org.apache.avro.io.Decoder;
import org.apache.avro.util.Utf8;

/**
 * An Avro binary {@link Decoder} over a byte range that checks every declared length and item count
 * against the bytes that remain before it allocates.
 *
 * <p>Avro 1.12.1's {@code BinaryDecoder} allocates whatever length or item count the input declares
 * (up to 2^31 - 9): a 5-byte value that declares a 1 GiB string ends in {@link OutOfMemoryError} on
 * a JVM with a 256 MiB heap. This decoder instead rejects:
 *
 * <ul>
 *   <li>a string, bytes or fixed value longer than the bytes that remain;
 *   <li>an array or map block, read or skipped, that declares more items than bytes remain. Every
 *       item takes at least one byte unless its type encodes to nothing ({@code null}, a record
 *       without fields, a fixed of size 0), so only arrays of such items can be rejected while
 *       valid;
 *   <li>a block byte size that is negative or larger than the bytes that remain;
 *   <li>a boolean byte other than 0 or 1, and an int or long varint that overflows its type;
 *   <li>negative lengths, enum indexes and union indexes.
 * </ul>
 *
 * <p>The upper bounds of enum and union indexes depend on the schema, so the datum reader checks
 * them: Avro 1.12.1's {@code GenericDatumReader} throws {@link ArrayIndexOutOfBoundsException}.
 * Varints with redundant continuation bytes, such as {@code 0x80 0x00} for 0, are accepted, as
 * {@code BinaryDecoder} accepts them.
 *
 * <p>Every input error is an {@link InvalidEncodingException}. A negative {@code readFixed} or
 * {@code skipFixed} length and a target range outside the array are caller errors and throw {@link
 * IllegalArgumentException} or {@link IndexOutOfBoundsException}.
 *
 * <p>{@link #position()} and {@link #remaining()} report how much of the range was consumed, so a
 * caller can reject trailing bytes.
 *
 * <p>Thread safety: none; use one instance per thread and {@link #reset} it for each input.
 */
public final class BoundedBinaryDecoder extends Decoder {

    /**
     * Input that ends early or is not valid Avro binary. The message names byte positions counted
     * from the start of the range, the type read there and the bytes that remain, never a decoded
     * value, so callers may pass it on. Declared lengths and counts are left out too, because bytes
     * of another schema can put a field value where a length is expected.
     *
     * <p>It has no stack trace, because the failure is about the input and malformed records can
     * arrive in bulk.
     */
    public static final class InvalidEncodingException extends IOException {

        private InvalidEncodingException(String message) {
            super(message);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    private static final byte[] EMPTY = new byte[0];

    private byte[] buffer = EMPTY;
    private int start;
    private int position;
    private int limit;

    /**
     * Points this decoder at {@code bytes[offset, offset + length)} and returns it.
     *
     * @throws IndexOutOfBoundsException if the range is outside {@code bytes}
     */
    public BoundedBinaryDecoder reset(byte[] bytes, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        this.buffer = bytes;
        this.start = offset;
        this.position = offset;
        this.limit = offset + length;
        return this;
    }

    /** Points this decoder at an empty range, so that it no longer references the last input. */
    public void clear() {
        reset(EMPTY, 0, 0);
    }

    /** Returns the number of bytes consumed since {@link #reset}. */
    public int position() {
        return position - start;
    }

    public int remaining() {
        return limit - position;
    }

    public boolean isEnd() {
        return position == limit;
    }

    @Override
    public void readNull() {}

    @Override
    public boolean readBoolean() throws IOException {
        require(1, "boolean");
        int value = buffer[position];
        if (value != 0 && value != 1) {
            throw new InvalidEncodingException(
                    "boolean at byte " + position() + " is neither 0 nor 1");
        }
        position++;
        return value == 1;
    }

    @Override
    public int readInt() throws IOException {
        int at = position();
        int raw = 0;
        // The fifth byte carries only the top 4 bits and ends the varint, so the loop ends there.
        for (int shift = 0; ; shift += 7) {
            int b = nextVarintByte("int", at);
            if (shift == 28 && b > 0x0F) {
                throw new InvalidEncodingException(
                        "int varint at byte " + at + " overflows 32 bits");
            }
            raw |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return (raw >>> 1) ^ -(raw & 1);
            }
        }
    }

    @Override
    public long readLong() throws IOException {
        int at = position();
        long raw = 0;
        // The tenth byte carries only the top bit and ends the varint, so the loop ends there.
        for (int shift = 0; ; shift += 7) {
            int b = nextVarintByte("long", at);
            if (shift == 63 && b > 0x01) {
                throw new InvalidEncodingException(
                        "long varint at byte " + at + " overflows 64 bits");
            }
            raw |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return (raw >>> 1) ^ -(raw & 1);
            }
        }
    }

    @Override
    public float readFloat() throws IOException {
        require(4, "float");
        int bits = littleEndianInt(position);
        position += 4;
        return Float.intBitsToFloat(bits);
    }

    @Override
    public double readDouble() throws IOException {
        require(8, "double");
        long low = littleEndianInt(position) & 0xFFFFFFFFL;
        long high = littleEndianInt(position + 4) & 0xFFFFFFFFL;
        position += 8;
        return Double.longBitsToDouble((high << 32) | low);
    }

    @Override
    public Utf8 readString(Utf8 old) throws IOException {
        int length = readLength("string");
        Utf8 result = old != null ? old : new Utf8();
        result.setByteLength(length);
        System.arraycopy(buffer, position, result.getBytes(), 0, length);
        position += length;
        return result;
    }

    @Override
    public String readString() throws IOException {
        int length = readLength("string");
        String result = new String(buffer, position, length, StandardCharsets.UTF_8);
        position += length;
        return result;
    }

    @Override
    public void skipString() throws IOException {
        // Not "position += readLength(...)": Java reads position before the call advances it.
        int length = readLength("string");
        position += length;
    }

    @Override
    public ByteBuffer readBytes(ByteBuffer old) throws IOException {
        int length = readLength("bytes value");
        ByteBuffer result;
        if (old != null && old.hasArray() && !old.isReadOnly() && old.capacity() >= length) {
            result = old;
            result.clear();
            result.put(buffer, position, length);
            result.flip();
        } else {
            result = ByteBuffer.wrap(Arrays.copyOfRange(buffer, position, position + length));
        }
        position += length;
        return result;
    }

    @Override
    public void skipBytes() throws IOException {
        int length = readLength("bytes value");
        position += length;
    }

    /**
     * Reads a fixed value of {@code length} bytes into {@code bytes[offset, offset + length)}.
     *
     * @throws IndexOutOfBoundsException if that range is outside {@code bytes}
     */
    @Override
    public void readFixed(byte[] bytes, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        require(length, "fixed");
        System.arraycopy(buffer, position, bytes, offset, length);
        position += length;
    }

    /**
     * Skips a fixed value of {@code length} bytes.
     *
     * @throws IllegalArgumentException if {@code length} is negative
     */
    @Override
    public void skipFixed(int length) throws IOException {
        if (length < 0) {
            throw new IllegalArgumentException("fixed length must not be negative, got " + length);
        }
        require(length, "fixed");
        position += length;
    }

    @Override
    public int readEnum() throws IOException {
        return readIndex("enum symbol");
    }

    @Override
    public long readArrayStart() throws IOException {
        return readBlockCount("array");
    }

    @Override
    public long arrayNext() throws IOException {
        return readBlockCount("array");
    }

    @Override
    public long skipArray() throws IOException {
        return skipBlocks("array");
    }

    @Override
    public long readMapStart() throws IOException {
        return readBlockCount("map");
    }

    @Override
    public long mapNext() throws IOException {
        return readBlockCount("map");
    }

    @Override
    public long skipMap() throws IOException {
        return skipBlocks("map");
    }

    @Override
    public int readIndex() throws IOException {
        return readIndex("union branch");
    }

    private int readIndex(String what) throws IOException {
        int at = position();
        int index = readInt();
        if (index < 0) {
            throw new InvalidEncodingException("negative " + what + " index at byte " + at);
        }
        return index;
    }

    private int readLength(String what) throws IOException {
        int at = position();
        long length = readLong();
        if (length < 0) {
            throw new InvalidEncodingException("negative " + what + " length at byte " + at);
        }
        if (length > remaining()) {
            throw beyondEnd(what + " at byte " + at, "a length");
        }
        return (int) length;
    }

    /**
     * Reads the item count of the next block. A negative count is followed by the block's size in
     * bytes, which only a skip needs.
     */
    private long readBlockCount(String what) throws IOException {
        int at = position();
        long count = readLong();
        if (count < 0) {
            if (count == Long.MIN_VALUE) {
                throw new InvalidEncodingException(
                        what + " block count at byte " + at + " is out of range");
            }
            count = -count;
            readBlockSize(what, at);
        }
        return checkItemCount(what, at, count);
    }

    /**
     * Skips the blocks that declare their size in bytes and returns the item count of the first
     * block that does not, which the caller skips item by item. A count of 0 ends the array or map.
     */
    private long skipBlocks(String what) throws IOException {
        while (true) {
            int at = position();
            long count = readLong();
            if (count >= 0) {
                return checkItemCount(what, at, count);
            }
            int size = readBlockSize(what, at);
            position += size;
        }
    }

    private long checkItemCount(String what, int at, long count) throws InvalidEncodingException {
        if (count > remaining()) {
            throw beyondEnd(what + " block at byte " + at, "an item count");
        }
        return count;
    }

    private int readBlockSize(String what, int at) throws IOException {
        long size = readLong();
        if (size < 0) {
            throw new InvalidEncodingException(
                    what + " block at byte " + at + " declares a negative size");
        }
        if (size > remaining()) {
            throw beyondEnd(what + " block at byte " + at, "a size");
        }
        return (int) size;
    }

    private int nextVarintByte(String type, int at) throws InvalidEncodingException {
        if (position == limit) {
            throw new InvalidEncodingException(
                    "truncated input: "
                            + type
                            + " varint at byte "
                            + at
                            + " is incomplete because the input ends at byte "
                            + position());
        }
        return buffer[position++] & 0xFF;
    }

    private void require(int length, String what) throws InvalidEncodingException {
        if (length > limit - position) {
            throw new InvalidEncodingException(
                    "truncated input: "
                            + what
                            + " at byte "
                            + position()
                            + " needs "
                            + count(length, "byte")
                            + " but "
                            + remainingBytes());
        }
    }

    private InvalidEncodingException beyondEnd(String where, String declared) {
        return new InvalidEncodingException(
                where
                        + " declares "
                        + declared
                        + " beyond the end of the input, where "
                        + remainingBytes());
    }

    private String remainingBytes() {
        int remaining = remaining();
        return "only " + count(remaining, "byte") + (remaining == 1 ? " remains" : " remain");
    }

    private static String count(long count, String unit) {
        return count + " " + unit + (count == 1 ? "" : "s");
    }

    private int littleEndianInt(int at) {
        return (buffer[at] & 0xFF)
                | (buffer[at + 1] & 0xFF) << 8
                | (buffer[at + 2] & 0xFF) << 16
                | (buffer[at + 3] & 0xFF) << 24;
    }
}
