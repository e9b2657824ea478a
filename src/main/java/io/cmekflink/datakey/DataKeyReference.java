package io.cmekflink.datakey;

import java.util.Arrays;
import java.util.Objects;

/**
 * The position of a data-key entry in the data-key topic, as a record's envelope stores it in place
 * of the key ARN and the EDEK.
 *
 * <p>The {@value #BYTES} bytes are:
 *
 * <ul>
 *   <li>byte 0: the reference version, {@value #VERSION};
 *   <li>bytes 1-2: the partition, unsigned 16-bit big-endian (0 to 65535);
 *   <li>bytes 3-8: the offset, unsigned 48-bit big-endian (0 to 2^48 - 1);
 *   <li>bytes 9-15: check bytes, the first {@value #CHECK_BYTES} bytes of the entry's Kafka record
 *       key. They detect a reference that points into another topic, or into a topic that was
 *       deleted and created again, where the same offset holds another entry.
 * </ul>
 *
 * <p>Immutable.
 */
public final class DataKeyReference {

    public static final int BYTES = 16;

    /** The reference version in byte 0. */
    public static final int VERSION = 1;

    /** The number of check bytes, taken from the start of the entry's record key. */
    public static final int CHECK_BYTES = 7;

    public static final int MAX_PARTITION = 0xFFFF;
    public static final long MAX_OFFSET = (1L << 48) - 1;

    private static final int CHECK_START = 9;

    private final int partition;
    private final long offset;
    private final byte[] checkBytes;

    private DataKeyReference(int partition, long offset, byte[] checkBytes) {
        this.partition = partition;
        this.offset = offset;
        this.checkBytes = checkBytes;
    }

    /**
     * Creates the reference to the entry at {@code partition} and {@code offset} whose record key
     * is {@code entryKey}.
     *
     * @throws IllegalArgumentException when the partition or offset is out of range, or the key is
     *     shorter than {@value #CHECK_BYTES} bytes
     */
    public static DataKeyReference of(int partition, long offset, byte[] entryKey) {
        if (partition < 0 || partition > MAX_PARTITION) {
            throw new IllegalArgumentException(
                    "partition "
                            + partition
                            + " is out of range for a data-key reference: expected 0 to "
                            + MAX_PARTITION);
        }
        if (offset < 0 || offset > MAX_OFFSET) {
            throw new IllegalArgumentException(
                    "offset "
                            + offset
                            + " is out of range for a data-key reference: expected 0 to "
                            + MAX_OFFSET
                            + " (2^48 - 1)");
        }
        Objects.requireNonNull(entryKey, "entryKey");
        if (entryKey.length < CHECK_BYTES) {
            throw new IllegalArgumentException(
                    "entry key of "
                            + entryKey.length
                            + " bytes is too short for a data-key reference: expected at least "
                            + CHECK_BYTES
                            + " bytes");
        }
        return new DataKeyReference(partition, offset, Arrays.copyOf(entryKey, CHECK_BYTES));
    }

    /** Parses a reference that fills all of {@code bytes}. */
    public static DataKeyReference parse(byte[] bytes) {
        return parse(bytes, 0, bytes.length);
    }

    /**
     * Parses the reference in {@code bytes[offset, offset + length)}.
     *
     * @throws DataKeyException (not retriable) when the length is not {@value #BYTES} or the
     *     version is not {@value #VERSION}
     * @throws IndexOutOfBoundsException when the range lies outside {@code bytes}
     */
    public static DataKeyReference parse(byte[] bytes, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        if (length != BYTES) {
            throw new DataKeyException(
                    "data-key reference has "
                            + length
                            + " bytes, expected "
                            + BYTES
                            + ": the record was not written in the data-key reference layout",
                    false);
        }
        int version = bytes[offset] & 0xFF;
        if (version != VERSION) {
            throw new DataKeyException(
                    "data-key reference has version "
                            + version
                            + ", expected "
                            + VERSION
                            + ": the record was written by a newer or unknown writer",
                    false);
        }
        int partition = (bytes[offset + 1] & 0xFF) << 8 | (bytes[offset + 2] & 0xFF);
        long position = 0;
        for (int i = 3; i < CHECK_START; i++) {
            position = position << 8 | (bytes[offset + i] & 0xFF);
        }
        byte[] checkBytes =
                Arrays.copyOfRange(bytes, offset + CHECK_START, offset + CHECK_START + CHECK_BYTES);
        return new DataKeyReference(partition, position, checkBytes);
    }

    public int partition() {
        return partition;
    }

    public long offset() {
        return offset;
    }

    /** Returns the {@value #BYTES} bytes of this reference, in a new array. */
    public byte[] toBytes() {
        byte[] bytes = new byte[BYTES];
        bytes[0] = (byte) VERSION;
        bytes[1] = (byte) (partition >>> 8);
        bytes[2] = (byte) partition;
        for (int i = 0; i < 6; i++) {
            bytes[3 + i] = (byte) (offset >>> (8 * (5 - i)));
        }
        System.arraycopy(checkBytes, 0, bytes, CHECK_START, CHECK_BYTES);
        return bytes;
    }

    /**
     * Returns whether {@code entryKey}, the record key of the entry found at this reference's
     * position, starts with this reference's check bytes. A null or shorter key does not match.
     */
    public boolean matchesKey(byte[] entryKey) {
        if (entryKey == null || entryKey.length < CHECK_BYTES) {
            return false;
        }
        return Arrays.equals(checkBytes, 0, CHECK_BYTES, entryKey, 0, CHECK_BYTES);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof DataKeyReference that
                && partition == that.partition
                && offset == that.offset
                && Arrays.equals(checkBytes, that.checkBytes);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * partition + Long.hashCode(offset)) + Arrays.hashCode(checkBytes);
    }

    /** Returns the partition and offset. The check bytes are left out. */
    @Override
    public String toString() {
        return "data-key reference partition " + partition + " offset " + offset;
    }
}
