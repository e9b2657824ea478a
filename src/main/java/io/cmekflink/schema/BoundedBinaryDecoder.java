package io.cmekflink.schema;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.avro.io.Decoder;
import org.apache.avro.util.Utf8;

/**
 * An Avro binary {@link Decoder} over a byte range that checks every declared length against the
 * bytes that remain.
 *
 * <p>Avro 1.12.1's {@code BinaryDecoder} allocates whatever length or item count the input declares
 * (up to 2^31 - 9), so a five-byte payload can demand a gigabyte and end in {@link
 * OutOfMemoryError}. This decoder instead rejects, with an {@link IOException}:
 *
 * <ul>
 *   <li>a string, bytes or fixed value longer than the bytes that remain;
 *   <li>an array or map block that declares more items than bytes remain. Every item takes at least
 *       one byte unless its type encodes to nothing ({@code null}, a record without fields, a fixed
 *       of size 0), so only arrays of such items can be rejected while valid;
 *   <li>a boolean byte other than 0 or 1, and an int or long varint that overflows its type;
 *   <li>negative lengths, enum indexes and union indexes.
 * </ul>
 *
 * <p>{@link #position()} and {@link #remaining()} report how much of the range was consumed, so a
 * caller can reject trailing bytes.
 *
 * <p>Thread safety: none; use one instance per thread and {@link #reset} it for each input.
 */
public final class BoundedBinaryDecoder extends Decoder {

    private byte[] buffer = new byte[0];
    private int start;
    private int position;
    private int limit;

    /** Points this decoder at {@code bytes[offset, offset + length)} and returns it. */
    public BoundedBinaryDecoder reset(byte[] bytes, int offset, int length) {
        if (offset < 0 || length < 0 || offset > bytes.length - length) {
            throw new IndexOutOfBoundsException(
                    "range ["
                            + offset
                            + ", "
                            + offset
                            + " + "
                            + length
                            + ") is outside an array of "
                            + bytes.length
                            + " bytes");
        }
        this.buffer = bytes;
        this.start = offset;
        this.position = offset;
        this.limit = offset + length;
        return this;
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
        require(1);
        int value = buffer[position];
        if (value != 0 && value != 1) {
            throw new IOException(
                    "invalid boolean byte "
                            + value
                            + " at byte "
                            + position()
                            + ", expected 0 or 1");
        }
        position++;
        return value == 1;
    }

    @Override
    public int readInt() throws IOException {
        int at = position();
        int raw = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            require(1);
            int b = buffer[position++] & 0xFF;
            if (shift == 28 && b > 0x0F) {
                throw new IOException("int varint at byte " + at + " overflows 32 bits");
            }
            raw |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return (raw >>> 1) ^ -(raw & 1);
            }
        }
        throw new IOException("int varint at byte " + at + " is longer than 5 bytes");
    }

    @Override
    public long readLong() throws IOException {
        int at = position();
        long raw = 0;
        for (int shift = 0; shift < 70; shift += 7) {
            require(1);
            int b = buffer[position++] & 0xFF;
            if (shift == 63 && b > 0x01) {
                throw new IOException("long varint at byte " + at + " overflows 64 bits");
            }
            raw |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return (raw >>> 1) ^ -(raw & 1);
            }
        }
        throw new IOException("long varint at byte " + at + " is longer than 10 bytes");
    }

    @Override
    public float readFloat() throws IOException {
        require(4);
        int bits = littleEndianInt(position);
        position += 4;
        return Float.intBitsToFloat(bits);
    }

    @Override
    public double readDouble() throws IOException {
        require(8);
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
        position += readLength("string");
    }

    @Override
    public ByteBuffer readBytes(ByteBuffer old) throws IOException {
        int length = readLength("bytes");
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
        position += readLength("bytes");
    }

    @Override
    public void readFixed(byte[] bytes, int offset, int length) throws IOException {
        require(length);
        System.arraycopy(buffer, position, bytes, offset, length);
        position += length;
    }

    @Override
    public void skipFixed(int length) throws IOException {
        require(length);
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
            throw new IOException("negative " + what + " index " + index + " at byte " + at);
        }
        return index;
    }

    private int readLength(String what) throws IOException {
        int at = position();
        long length = readLong();
        if (length < 0) {
            throw new IOException("negative " + what + " length " + length + " at byte " + at);
        }
        if (length > remaining()) {
            throw new EOFException(
                    what
                            + " at byte "
                            + at
                            + " declares "
                            + length
                            + " bytes but only "
                            + remaining()
                            + " remain");
        }
        return (int) length;
    }

    /**
     * Reads the item count of the next block. A negative count is followed by the block's size in
     * bytes, which the generic reader does not need.
     */
    private long readBlockCount(String what) throws IOException {
        int at = position();
        long count = readLong();
        if (count < 0) {
            if (count == Long.MIN_VALUE) {
                throw new IOException("invalid " + what + " block count at byte " + at);
            }
            count = -count;
            readBlockSize(what, at);
        }
        if (count > remaining()) {
            throw new EOFException(
                    what
                            + " block at byte "
                            + at
                            + " declares "
                            + count
                            + " items but only "
                            + remaining()
                            + " bytes remain");
        }
        return count;
    }

    private long skipBlocks(String what) throws IOException {
        while (true) {
            int at = position();
            long count = readLong();
            if (count >= 0) {
                return count;
            }
            position += readBlockSize(what, at);
        }
    }

    private int readBlockSize(String what, int at) throws IOException {
        long size = readLong();
        if (size < 0 || size > remaining()) {
            throw new EOFException(
                    what
                            + " block at byte "
                            + at
                            + " declares a size of "
                            + size
                            + " bytes but "
                            + remaining()
                            + " remain");
        }
        return (int) size;
    }

    private void require(int length) throws EOFException {
        if (length > limit - position) {
            throw new EOFException(
                    "input ends at byte " + position() + ", " + length + " more bytes expected");
        }
    }

    private int littleEndianInt(int at) {
        return (buffer[at] & 0xFF)
                | (buffer[at + 1] & 0xFF) << 8
                | (buffer[at + 2] & 0xFF) << 16
                | (buffer[at + 3] & 0xFF) << 24;
    }
}
