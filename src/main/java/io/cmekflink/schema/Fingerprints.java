package io.cmekflink.schema;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;

/**
 * The two 64-bit CRC-64-AVRO fingerprints of a derived schema.
 *
 * <ul>
 *   <li>The <em>layout</em> fingerprint covers the schema's parsing canonical form, as the Avro
 *       specification defines it for single-object encoding. That form drops every custom property,
 *       so derived schemas that differ only in the original schemas they record share it. It is
 *       enough to decode a record, not to decrypt one.
 *   <li>The <em>exact</em> fingerprint covers the UTF-8 bytes of the derived schema's JSON text
 *       with all its properties, so it names one derived schema and through it the exact original
 *       schema of every marked field. The envelope stores it.
 * </ul>
 *
 * Both are stored as 8 bytes, little-endian, as single-object encoding stores its fingerprint.
 */
public final class Fingerprints {

    public static final int BYTES = 8;
    private static final HexFormat HEX = HexFormat.of();

    private Fingerprints() {}

    public static long layoutFingerprint(Schema schema) {
        return SchemaNormalization.parsingFingerprint64(schema);
    }

    public static long exactFingerprint(String schemaJson) {
        return SchemaNormalization.fingerprint64(schemaJson.getBytes(StandardCharsets.UTF_8));
    }

    public static byte[] toLittleEndian(long fingerprint) {
        byte[] bytes = new byte[BYTES];
        for (int i = 0; i < BYTES; i++) {
            bytes[i] = (byte) (fingerprint >>> (8 * i));
        }
        return bytes;
    }

    public static long fromLittleEndian(byte[] bytes, int offset) {
        long value = 0;
        for (int i = BYTES - 1; i >= 0; i--) {
            value = (value << 8) | (bytes[offset + i] & 0xFF);
        }
        return value;
    }

    /** Formats the 8 stored bytes of a fingerprint as hex, in the order they are stored. */
    public static String toHex(long fingerprint) {
        return HEX.formatHex(toLittleEndian(fingerprint));
    }
}
