package io.cmekflink.ingest;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.avro.io.Decoder;
import org.apache.avro.util.Utf8;

/**
 * Avro binary decoder over one byte array that checks every length and item count against the bytes
 * that remain before it allocates.
 *
 * <p>Avro 1.12.1's {@code BinaryDecoder} allocates a string, bytes value or array from the length
 * prefix before it reads the data: a 5-byte value that declares a 1 GiB string threw {@code
 * OutOfMemoryError} with a 256 MiB heap on this project's machine, which would fail the task on one
 * poison pill. Here such a value fails as {@link IngestErrorCode#MALFORMED_RECORD}.
 *
 * <p>Stricter than {@code BinaryDecoder} in three places, all of which the Avro specification
 * leaves no room for: a boolean byte other than 0 or 1, a varint longer than its type allows, and a
 * block byte size that is negative or exceeds the input are errors.
 *
 * <p>Not thread-safe; {@link #reset} makes it reusable for the next value.
 */
final class BoundedBinaryDecoder extends Decoder {

    private byte[] buf = new byte[0];
    private int start;
    private int pos;
    private int limit;

    /** Points the decoder at {@code length} bytes of {@code bytes} from {@code offset}. */
    void reset(byte[] bytes, int offset, int length) {
        this.buf = bytes;
        this.start = offset;
        this.pos = offset;
        this.limit = offset + length;
    }

    /** Drops the reference to the last input. */
    void clear() {
        reset(new byte[0], 0, 0);
    }

    /** Returns how many bytes were consumed since {@link #reset}. */
    int consumed() {
        return pos - start;
    }

    /** Returns how many bytes remain. */
    int remaining() {
        return limit - pos;
    }

    /** Returns the size of the input given to {@link #reset}. */
    int inputLength() {
        return limit - start;
    }

    @Override
    public void readNull() {}

    @Override
    public boolean readBoolean() throws DecodeFailure {
        require(1, "boolean");
        int value = buf[pos++];
        if (value == 0) {
            return false;
        }
        if (value == 1) {
            return true;
        }
        throw malformed("boolean byte at offset " + (consumed() - 1) + " is neither 0 nor 1");
    }

    @Override
    public int readInt() throws DecodeFailure {
        int raw = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            require(1, "int");
            int b = buf[pos++] & 0xff;
            if (shift == 28 && (b & 0xf0) != 0) {
                throw malformed("int varint overflows 32 bits at offset " + (consumed() - 1));
            }
            raw |= (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return (raw >>> 1) ^ -(raw & 1);
            }
        }
        throw malformed("int varint is longer than 5 bytes at offset " + consumed());
    }

    @Override
    public long readLong() throws DecodeFailure {
        long raw = 0;
        for (int shift = 0; shift < 70; shift += 7) {
            require(1, "long");
            int b = buf[pos++] & 0xff;
            if (shift == 63 && (b & 0xfe) != 0) {
                throw malformed("long varint overflows 64 bits at offset " + (consumed() - 1));
            }
            raw |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return (raw >>> 1) ^ -(raw & 1);
            }
        }
        throw malformed("long varint is longer than 10 bytes at offset " + consumed());
    }

    @Override
    public float readFloat() throws DecodeFailure {
        require(4, "float");
        int bits =
                (buf[pos] & 0xff)
                        | (buf[pos + 1] & 0xff) << 8
                        | (buf[pos + 2] & 0xff) << 16
                        | (buf[pos + 3] & 0xff) << 24;
        pos += 4;
        return Float.intBitsToFloat(bits);
    }

    @Override
    public double readDouble() throws DecodeFailure {
        require(8, "double");
        long bits = 0;
        for (int i = 7; i >= 0; i--) {
            bits = (bits << 8) | (buf[pos + i] & 0xff);
        }
        pos += 8;
        return Double.longBitsToDouble(bits);
    }

    @Override
    public Utf8 readString(Utf8 old) throws DecodeFailure {
        int length = readLength("string");
        byte[] bytes = Arrays.copyOfRange(buf, pos, pos + length);
        pos += length;
        return new Utf8(bytes);
    }

    @Override
    public String readString() throws DecodeFailure {
        int length = readLength("string");
        String value = new String(buf, pos, length, StandardCharsets.UTF_8);
        pos += length;
        return value;
    }

    @Override
    public void skipString() throws DecodeFailure {
        pos += readLength("string");
    }

    @Override
    public ByteBuffer readBytes(ByteBuffer old) throws DecodeFailure {
        int length = readLength("bytes");
        ByteBuffer value = ByteBuffer.wrap(Arrays.copyOfRange(buf, pos, pos + length));
        pos += length;
        return value;
    }

    @Override
    public void skipBytes() throws DecodeFailure {
        pos += readLength("bytes");
    }

    @Override
    public void readFixed(byte[] bytes, int offset, int length) throws DecodeFailure {
        require(length, "fixed of " + length + " bytes");
        System.arraycopy(buf, pos, bytes, offset, length);
        pos += length;
    }

    @Override
    public void skipFixed(int length) throws DecodeFailure {
        require(length, "fixed of " + length + " bytes");
        pos += length;
    }

    @Override
    public int readEnum() throws DecodeFailure {
        return readInt();
    }

    @Override
    public long readArrayStart() throws DecodeFailure {
        return readBlockCount("array");
    }

    @Override
    public long arrayNext() throws DecodeFailure {
        return readBlockCount("array");
    }

    @Override
    public long skipArray() throws DecodeFailure {
        return skipBlocks("array");
    }

    @Override
    public long readMapStart() throws DecodeFailure {
        return readBlockCount("map");
    }

    @Override
    public long mapNext() throws DecodeFailure {
        return readBlockCount("map");
    }

    @Override
    public long skipMap() throws DecodeFailure {
        return skipBlocks("map");
    }

    @Override
    public int readIndex() throws DecodeFailure {
        int index = readInt();
        if (index < 0) {
            throw malformed("union branch index is negative");
        }
        return index;
    }

    private int readLength(String description) throws DecodeFailure {
        long length = readLong();
        if (length < 0) {
            throw malformed(description + " length is negative (" + length + ")");
        }
        if (length > remaining()) {
            throw truncated(description + " of " + length + " bytes", length);
        }
        return (int) length;
    }

    /**
     * Reads the item count of the next block. A negative count is followed by the block's byte
     * size, which only a skip uses. A count above the remaining byte count is rejected before the
     * reader allocates: every map entry takes at least one byte.
     */
    private long readBlockCount(String description) throws DecodeFailure {
        long count = readLong();
        if (count < 0) {
            if (count == Long.MIN_VALUE) {
                throw malformed(description + " block count is out of range");
            }
            count = -count;
            long blockSize = readLong();
            if (blockSize < 0 || blockSize > remaining()) {
                throw malformed(
                        description
                                + " block size "
                                + blockSize
                                + " exceeds the "
                                + remaining()
                                + " remaining bytes");
            }
        }
        // NOTE: this also limits arrays of zero-byte items (null, empty records) to the remaining
        // byte count, which no real schema here relies on.
        if (count > remaining()) {
            throw malformed(
                    description
                            + " block declares "
                            + count
                            + " items but only "
                            + remaining()
                            + " bytes remain");
        }
        return count;
    }

    private long skipBlocks(String description) throws DecodeFailure {
        while (true) {
            long count = readLong();
            if (count == 0) {
                return 0;
            }
            if (count > 0) {
                return count;
            }
            long blockSize = readLong();
            if (blockSize < 0 || blockSize > remaining()) {
                throw malformed(description + " block size " + blockSize + " exceeds the input");
            }
            pos += (int) blockSize;
        }
    }

    private void require(int bytes, String description) throws DecodeFailure {
        if (bytes > limit - pos) {
            throw truncated(description, bytes);
        }
    }

    private DecodeFailure truncated(String description, long needed) {
        return malformed(
                "truncated input: reading "
                        + description
                        + " at offset "
                        + consumed()
                        + " needs "
                        + needed
                        + " bytes, but the Avro data ends at offset "
                        + inputLength());
    }

    private static DecodeFailure malformed(String problem) {
        return DecodeFailure.malformed(problem);
    }
}
