package io.cmekflink.schema;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.avro.io.BinaryData;
import org.apache.avro.io.Encoder;
import org.apache.avro.util.Utf8;

/**
 * An Avro binary {@link Encoder} that writes into a growable byte array.
 *
 * <p>It produces the same bytes as Avro's {@code BinaryEncoder} (arrays and maps as one block
 * followed by a zero count), but without a buffer to flush, so {@link #position()} shows the caller
 * where each value starts and ends. The {@code writeRaw…} and {@code …BigEndian} methods write
 * bytes that are not Avro encodings, for layouts that embed Avro values.
 *
 * <p>Thread safety: none; use one instance per thread and {@link #reset()} it between uses.
 */
public final class ByteArrayEncoder extends Encoder {

    private byte[] buffer;
    private int position;

    public ByteArrayEncoder(int initialCapacity) {
        buffer = new byte[Math.max(16, initialCapacity)];
    }

    /** Returns the number of bytes written since the last {@link #reset()}. */
    public int position() {
        return position;
    }

    /** Returns the internal array, whose bytes {@code [0, position())} are the output. */
    public byte[] buffer() {
        return buffer;
    }

    public void reset() {
        position = 0;
    }

    /**
     * Returns the number of bytes {@link #writeLong} and {@link #writeInt} write for {@code value}.
     */
    public static int longSize(long value) {
        long zigzag = (value << 1) ^ (value >> 63);
        return (64 - Long.numberOfLeadingZeros(zigzag | 1) + 6) / 7;
    }

    /** Discards everything written after {@code newPosition}. */
    public void truncate(int newPosition) {
        if (newPosition < 0 || newPosition > position) {
            throw new IndexOutOfBoundsException(
                    "cannot truncate to " + newPosition + ", position is " + position);
        }
        position = newPosition;
    }

    /** Returns a copy of the output. */
    public byte[] toByteArray() {
        return Arrays.copyOf(buffer, position);
    }

    public void writeRaw(byte[] bytes, int offset, int length) {
        ensure(length);
        System.arraycopy(bytes, offset, buffer, position, length);
        position += length;
    }

    public void writeRawByte(int value) {
        ensure(1);
        buffer[position++] = (byte) value;
    }

    public void writeIntBigEndian(int value) {
        ensure(4);
        putIntBigEndian(position, value);
        position += 4;
    }

    public void writeLongBigEndian(long value) {
        writeIntBigEndian((int) (value >>> 32));
        writeIntBigEndian((int) value);
    }

    /** Overwrites four bytes at {@code at}, which must lie before {@link #position()}. */
    public void putIntBigEndian(int at, int value) {
        buffer[at] = (byte) (value >>> 24);
        buffer[at + 1] = (byte) (value >>> 16);
        buffer[at + 2] = (byte) (value >>> 8);
        buffer[at + 3] = (byte) value;
    }

    @Override
    public void writeNull() {}

    @Override
    public void writeBoolean(boolean value) {
        writeRawByte(value ? 1 : 0);
    }

    @Override
    public void writeInt(int value) {
        ensure(5);
        position += BinaryData.encodeInt(value, buffer, position);
    }

    @Override
    public void writeLong(long value) {
        ensure(10);
        position += BinaryData.encodeLong(value, buffer, position);
    }

    @Override
    public void writeFloat(float value) {
        ensure(4);
        position += BinaryData.encodeFloat(value, buffer, position);
    }

    @Override
    public void writeDouble(double value) {
        ensure(8);
        position += BinaryData.encodeDouble(value, buffer, position);
    }

    @Override
    public void writeString(Utf8 utf8) {
        writeBytes(utf8.getBytes(), 0, utf8.getByteLength());
    }

    @Override
    public void writeString(String string) {
        byte[] bytes = string.getBytes(StandardCharsets.UTF_8);
        writeBytes(bytes, 0, bytes.length);
    }

    /** Writes the bytes between position and limit; the buffer's position does not change. */
    @Override
    public void writeBytes(ByteBuffer bytes) {
        int length = bytes.remaining();
        writeInt(length);
        if (bytes.hasArray()) {
            writeRaw(bytes.array(), bytes.arrayOffset() + bytes.position(), length);
        } else {
            ensure(length);
            bytes.duplicate().get(buffer, position, length);
            position += length;
        }
    }

    @Override
    public void writeBytes(byte[] bytes, int offset, int length) {
        writeInt(length);
        writeRaw(bytes, offset, length);
    }

    @Override
    public void writeFixed(byte[] bytes, int offset, int length) {
        writeRaw(bytes, offset, length);
    }

    @Override
    public void writeEnum(int symbolIndex) {
        writeInt(symbolIndex);
    }

    @Override
    public void writeArrayStart() {}

    @Override
    public void setItemCount(long itemCount) {
        if (itemCount > 0) {
            writeLong(itemCount);
        }
    }

    @Override
    public void startItem() {}

    @Override
    public void writeArrayEnd() {
        writeRawByte(0);
    }

    @Override
    public void writeMapStart() {}

    @Override
    public void writeMapEnd() {
        writeRawByte(0);
    }

    @Override
    public void writeIndex(int unionIndex) {
        writeInt(unionIndex);
    }

    @Override
    public void flush() {}

    private void ensure(int extra) {
        int needed = position + extra;
        if (needed < 0) {
            throw new IllegalStateException("encoded value exceeds 2 GiB");
        }
        if (needed > buffer.length) {
            int grown = Math.max(needed, buffer.length * 2);
            buffer = Arrays.copyOf(buffer, grown < 0 ? Integer.MAX_VALUE - 8 : grown);
        }
    }
}
