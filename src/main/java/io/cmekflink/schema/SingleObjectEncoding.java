package io.cmekflink.schema;

import java.nio.charset.StandardCharsets;

/**
 * Avro single-object encoding, as the Avro specification defines it: the marker bytes {@code C3
 * 01}, the 8-byte little-endian CRC-64-AVRO fingerprint of the schema's parsing canonical form,
 * then the Avro binary encoding of the record. Encrypted records are written this way with their
 * derived schema's layout fingerprint (see {@link Fingerprints}), together with the Kafka header
 * {@value #KAFKA_HEADER}{@code =}{@value #FORMAT}, so that a reader never has to guess whether a
 * payload is encrypted.
 */
public final class SingleObjectEncoding {

    /** The Kafka header that names the format of an encrypted record. */
    public static final String KAFKA_HEADER = "cmek-format";

    /** The value of {@link #KAFKA_HEADER} for this format. */
    public static final String FORMAT = "cmek-flink/v1";

    public static final int HEADER_BYTES = 10;
    private static final byte MARKER_0 = (byte) 0xC3;
    private static final byte MARKER_1 = (byte) 0x01;

    private SingleObjectEncoding() {}

    /** Returns the UTF-8 bytes of {@link #FORMAT}, the value of the Kafka header. */
    public static byte[] formatHeaderValue() {
        return FORMAT.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Returns whether {@code bytes} start with a single-object header. Plain Avro binary can start
     * with the same two bytes, so check the Kafka header too, and the fingerprint against known
     * schemas.
     */
    public static boolean isSingleObject(byte[] bytes) {
        return bytes != null
                && bytes.length >= HEADER_BYTES
                && bytes[0] == MARKER_0
                && bytes[1] == MARKER_1;
    }

    /**
     * Reads the fingerprint of a single-object payload.
     *
     * @throws IllegalArgumentException when {@link #isSingleObject} is false
     */
    public static long fingerprint(byte[] bytes) {
        if (!isSingleObject(bytes)) {
            throw new IllegalArgumentException(
                    "payload of "
                            + (bytes == null ? "null" : bytes.length + " bytes")
                            + " has no single-object header (C3 01 and an 8-byte fingerprint)");
        }
        return Fingerprints.fromLittleEndian(bytes, 2);
    }

    public static void writeHeader(ByteArrayEncoder out, long fingerprint) {
        out.writeRawByte(MARKER_0);
        out.writeRawByte(MARKER_1);
        byte[] bytes = Fingerprints.toLittleEndian(fingerprint);
        out.writeRaw(bytes, 0, bytes.length);
    }
}
