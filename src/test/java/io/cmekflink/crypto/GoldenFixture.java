package io.cmekflink.crypto;

import io.cmekflink.dek.Dek;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HexFormat;
import java.util.Properties;

/**
 * The inputs of the golden encrypted record, as stored in {@code golden/request-log-v1.properties}:
 * a fixed DEK (bytes 0 to 31), a fixed nonce fixed field and counter 0, a made-up EDEK and key ARN,
 * the org and the record id.
 */
record GoldenFixture(
        byte[] dataKey,
        int nonceFixedField,
        byte[] edek,
        String keyArn,
        String orgId,
        RecordId recordId) {

    static final String DIRECTORY = "golden";
    static final String PROPERTIES = "request-log-v1.properties";
    static final String RECORD = "request-log-v1.bin";
    static final String AAD_HEX = "request-log-v1.aad.hex";
    static final String PLAINTEXT_JSON = "request-log-v1.plaintext.json";
    static final String DERIVED_DIRECTORY = "derived";

    private static final HexFormat HEX = HexFormat.of();

    /** The values the generator writes; change them only to make a new fixture version. */
    static GoldenFixture defaults() {
        byte[] key = new byte[Dek.KEY_BYTES];
        for (int i = 0; i < key.length; i++) {
            key[i] = (byte) i;
        }
        return new GoldenFixture(
                key,
                0x0A0B0C0D,
                "not-a-real-edek:golden-fixture-v1"
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                Sample.KEY_ARN,
                "org-golden",
                new RecordId("requests", 3, 42));
    }

    static GoldenFixture load() {
        Properties properties = new Properties();
        String name = "/" + DIRECTORY + "/" + PROPERTIES;
        try (InputStream in = GoldenFixture.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(
                        name + " is missing; GoldenFixtureGenerator recreates it");
            }
            properties.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new GoldenFixture(
                HEX.parseHex(properties.getProperty("data_key_hex")),
                Integer.parseUnsignedInt(properties.getProperty("nonce_fixed_field_hex"), 16),
                HEX.parseHex(properties.getProperty("edek_hex")),
                properties.getProperty("key_arn"),
                properties.getProperty("org_id"),
                new RecordId(
                        properties.getProperty("record_id.topic"),
                        Integer.parseInt(properties.getProperty("record_id.partition")),
                        Long.parseLong(properties.getProperty("record_id.offset"))));
    }

    String toProperties() {
        return "# Inputs of the golden encrypted record "
                + RECORD
                + ".\n"
                + "# Made-up test values; GoldenFixtureGenerator writes this file.\n"
                + "data_key_hex="
                + HEX.formatHex(dataKey)
                + "\n"
                + "nonce_fixed_field_hex="
                + String.format("%08x", nonceFixedField)
                + "\n"
                + "nonce_counter=0\n"
                + "edek_hex="
                + HEX.formatHex(edek)
                + "\n"
                + "key_arn="
                + keyArn
                + "\n"
                + "org_id="
                + orgId
                + "\n"
                + "record_id.topic="
                + recordId.topic()
                + "\n"
                + "record_id.partition="
                + recordId.partition()
                + "\n"
                + "record_id.offset="
                + recordId.offset()
                + "\n";
    }

    /** Creates a DEK that seals once, with counter 0, so the nonce is the fixed field and 0. */
    Dek sealingDek() {
        return Dek.takeOwnershipForEncryption(dataKey.clone(), edek, keyArn, 1, nonceFixedField);
    }

    Dek openingDek() {
        return Dek.takeOwnershipForDecryption(dataKey.clone(), edek, keyArn);
    }
}
