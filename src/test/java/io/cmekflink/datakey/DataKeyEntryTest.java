package io.cmekflink.datakey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cmekflink.schema.ByteArrayEncoder;
import io.cmekflink.schema.Fingerprints;
import io.cmekflink.schema.SingleObjectEncoding;
import java.io.File;
import java.util.Arrays;
import java.util.HexFormat;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.junit.jupiter.api.Test;

class DataKeyEntryTest {

    private static final String ORG = "acme";
    private static final String ARN =
            "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    private static final long CREATED_AT = 1_740_823_200_000L;

    /** The stored fingerprint bytes of the schema's parsing canonical form. */
    private static final String FINGERPRINT_HEX = "81bf98987eb0d338";

    private static byte[] edek(int length) {
        byte[] edek = new byte[length];
        for (int i = 0; i < length; i++) {
            edek[i] = (byte) (0xA0 + i);
        }
        return edek;
    }

    /** Encodes the fields as {@link DataKeyEntry#encode()} does, but without its checks. */
    private static byte[] encodeFields(
            int formatVersion, String orgId, String keyArn, byte[] edek, long createdAt) {
        ByteArrayEncoder out = new ByteArrayEncoder(256);
        SingleObjectEncoding.writeHeader(out, Fingerprints.layoutFingerprint(DataKeyEntry.SCHEMA));
        out.writeInt(formatVersion);
        out.writeString(orgId);
        out.writeString(keyArn);
        out.writeBytes(edek, 0, edek.length);
        out.writeLong(createdAt);
        return out.toByteArray();
    }

    private static void assertRejected(byte[] value, String message) {
        assertThatThrownBy(() -> DataKeyEntry.decode(value))
                .isInstanceOfSatisfying(
                        DataKeyException.class, e -> assertThat(e.retriable()).isFalse())
                .hasMessage(message);
    }

    @Test
    void roundTrip() {
        DataKeyEntry entry = new DataKeyEntry(ORG, ARN, edek(184), CREATED_AT);

        DataKeyEntry decoded = DataKeyEntry.decode(entry.encode());

        assertThat(decoded).isEqualTo(entry);
        assertThat(decoded.hashCode()).isEqualTo(entry.hashCode());
        assertThat(decoded.orgId()).isEqualTo(ORG);
        assertThat(decoded.keyArn()).isEqualTo(ARN);
        assertThat(decoded.edek()).isEqualTo(edek(184));
        assertThat(decoded.createdAtMillis()).isEqualTo(CREATED_AT);
    }

    @Test
    void headerIsSingleObjectMarkerAndFingerprint() {
        byte[] value = new DataKeyEntry(ORG, ARN, edek(184), CREATED_AT).encode();
        long fingerprint = SchemaNormalization.parsingFingerprint64(DataKeyEntry.SCHEMA);

        assertThat(value[0]).isEqualTo((byte) 0xC3);
        assertThat(value[1]).isEqualTo((byte) 0x01);
        assertThat(Arrays.copyOfRange(value, 2, 10))
                .isEqualTo(Fingerprints.toLittleEndian(fingerprint));
        // A changed fingerprint makes every reader of this version reject the entries.
        assertThat(HexFormat.of().formatHex(value, 0, 10)).isEqualTo("c301" + FINGERPRINT_HEX);
    }

    @Test
    void encodingIsExact() {
        byte[] value = new DataKeyEntry("o", "k", new byte[] {9, 8, 7}, 1).encode();

        assertThat(HexFormat.of().formatHex(value, 10, value.length))
                .isEqualTo(
                        "02" // format_version 1
                                + "026f" // org_id "o"
                                + "026b" // key_arn "k"
                                + "06090807" // edek of 3 bytes
                                + "02"); // created_at 1
    }

    @Test
    void schemaFileEqualsCodeSchema() throws Exception {
        Schema file = new Schema.Parser().parse(new File("schemas/data-key-entry.avsc"));

        assertThat(file).isEqualTo(DataKeyEntry.SCHEMA);
        // Schema.equals ignores docs, so compare the full JSON too.
        assertThat(file.toString(true)).isEqualTo(DataKeyEntry.SCHEMA.toString(true));
        assertThat(file.getFullName()).isEqualTo("io.cmekflink.v1.DataKeyEntry");
        assertThat(file.getField("created_at").schema().getLogicalType())
                .isEqualTo(LogicalTypes.timestampMillis());
    }

    @Test
    void rejectsNull() {
        assertRejected(null, "invalid data-key entry: the value is null (a tombstone)");
    }

    @Test
    void rejectsWrongMarker() {
        byte[] value = new DataKeyEntry(ORG, ARN, edek(8), CREATED_AT).encode();
        value[1] = 0x02;

        assertRejected(
                value,
                "invalid data-key entry: the value of "
                        + value.length
                        + " bytes does not start with the single-object marker C3 01 and an"
                        + " 8-byte schema fingerprint");
    }

    @Test
    void rejectsValueShorterThanHeader() {
        assertRejected(
                new byte[] {(byte) 0xC3, 0x01, 0},
                "invalid data-key entry: the value of 3 bytes does not start with the"
                        + " single-object marker C3 01 and an 8-byte schema fingerprint");
    }

    @Test
    void rejectsUnknownFingerprint() {
        byte[] value = new DataKeyEntry(ORG, ARN, edek(8), CREATED_AT).encode();
        value[2] ^= 0x01;

        assertRejected(
                value,
                "invalid data-key entry: the value has schema fingerprint "
                        + HexFormat.of().formatHex(value, 2, 10)
                        + ", expected "
                        + FINGERPRINT_HEX
                        + " of io.cmekflink.v1.DataKeyEntry: the value is not a data-key entry of"
                        + " a schema this version knows");
    }

    @Test
    void rejectsOtherFormatVersion() {
        assertRejected(
                encodeFields(2, ORG, ARN, edek(8), CREATED_AT),
                "invalid data-key entry: the value has format_version 2, expected 1: it was"
                        + " written by another version of cmek-flink");
    }

    @Test
    void rejectsTrailingByte() {
        byte[] entry = new DataKeyEntry(ORG, ARN, edek(8), CREATED_AT).encode();
        byte[] value = Arrays.copyOf(entry, entry.length + 1);

        assertThatThrownBy(() -> DataKeyEntry.decode(value))
                .isInstanceOfSatisfying(
                        DataKeyException.class, e -> assertThat(e.retriable()).isFalse())
                .hasMessageStartingWith("invalid data-key entry: ")
                .hasMessageContaining("left 1 trailing bytes");
    }

    @Test
    void rejectsTruncatedValue() {
        byte[] entry = new DataKeyEntry(ORG, ARN, edek(8), CREATED_AT).encode();
        byte[] value = Arrays.copyOf(entry, entry.length - 3);

        assertThatThrownBy(() -> DataKeyEntry.decode(value))
                .isInstanceOfSatisfying(
                        DataKeyException.class, e -> assertThat(e.retriable()).isFalse())
                .hasMessageStartingWith(
                        "invalid data-key entry: Avro record of schema"
                                + " io.cmekflink.v1.DataKeyEntry is malformed");
    }

    @Test
    void rejectsEmptyFields() {
        assertRejected(
                encodeFields(1, "", ARN, edek(8), CREATED_AT),
                "invalid data-key entry: the value has an empty org_id");
        assertRejected(
                encodeFields(1, ORG, "", edek(8), CREATED_AT),
                "invalid data-key entry: the value has an empty key_arn");
        assertRejected(
                encodeFields(1, ORG, ARN, new byte[0], CREATED_AT),
                "invalid data-key entry: the value has an empty edek");
    }

    @Test
    void constructorRejectsEmptyFields() {
        assertThatThrownBy(() -> new DataKeyEntry("", ARN, edek(8), CREATED_AT))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("orgId is empty");
        assertThatThrownBy(() -> new DataKeyEntry(ORG, "", edek(8), CREATED_AT))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("keyArn is empty");
        assertThatThrownBy(() -> new DataKeyEntry(ORG, ARN, new byte[0], CREATED_AT))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("edek is empty");
        assertThatThrownBy(() -> new DataKeyEntry(ORG, ARN, null, CREATED_AT))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("edek");
    }

    @Test
    void edekIsCopiedInAndOut() {
        byte[] edek = edek(8);
        DataKeyEntry entry = new DataKeyEntry(ORG, ARN, edek, CREATED_AT);

        edek[0] = 0;
        entry.edek()[1] = 0;

        assertThat(entry.edek()).isEqualTo(edek(8));
    }

    @Test
    void requireOrgAcceptsOwnOrg() {
        DataKeyEntry entry = new DataKeyEntry(ORG, ARN, edek(8), CREATED_AT);
        DataKeyReference reference = DataKeyReference.of(0, 12, DataKeyEntry.newEntryKey());

        assertThat(entry.requireOrg(reference, ORG)).isSameAs(entry);
    }

    @Test
    void requireOrgRejectsOtherOrg() {
        DataKeyEntry entry = new DataKeyEntry(ORG, ARN, edek(8), CREATED_AT);
        DataKeyReference reference = DataKeyReference.of(3, 12, DataKeyEntry.newEntryKey());

        assertThatThrownBy(() -> entry.requireOrg(reference, "globex"))
                .isInstanceOfSatisfying(
                        DataKeyException.class, e -> assertThat(e.retriable()).isFalse())
                .hasMessage(
                        "data-key reference partition 3 offset 12 names an entry of org acme, but"
                                + " the record belongs to org globex");
    }

    @Test
    void toStringOmitsEdekBytes() {
        byte[] edek = edek(184);
        DataKeyEntry entry = new DataKeyEntry(ORG, ARN, edek, CREATED_AT);

        String text = entry.toString();

        assertThat(text)
                .isEqualTo(
                        "DataKeyEntry[orgId=acme, keyArn="
                                + ARN
                                + ", edek=184 bytes, createdAtMillis=1740823200000]");
        assertThat(text).doesNotContain(Arrays.toString(edek));
        assertThat(text).doesNotContainIgnoringCase(HexFormat.of().formatHex(edek, 0, 4));
    }

    @Test
    void entryKeysAreRandom() {
        byte[] first = DataKeyEntry.newEntryKey();
        byte[] second = DataKeyEntry.newEntryKey();

        assertThat(first).hasSize(16);
        assertThat(second).hasSize(16);
        assertThat(first).isNotEqualTo(second);
    }
}
