package io.cmekflink.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cmekflink.schema.EnvelopeSchema;
import java.util.Map;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;

class EnvelopeTest {

    private static final RecordId RECORD_ID = new RecordId("requests", 2, 7);

    private static Envelope envelope() {
        return new Envelope(
                Sample.KEY_ARN,
                new byte[] {1, 2, 3},
                "org-1",
                new byte[12],
                new byte[16],
                RECORD_ID,
                0x1122334455667788L);
    }

    @Test
    void recordRoundTrips() throws Exception {
        GenericRecord record = envelope().toRecord();

        assertThat(Envelope.fromRecord(record)).isEqualTo(envelope());
        assertThat(record.getSchema()).isSameAs(EnvelopeSchema.SCHEMA);
    }

    @Test
    void fingerprintIsStoredLittleEndian() {
        GenericData.Fixed fingerprint =
                (GenericData.Fixed) envelope().toRecord().get("schema_fingerprint");

        assertThat(fingerprint.bytes())
                .containsExactly(0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11);
    }

    @Test
    void withKeyReplacesOnlyKeyArnAndEdek() {
        Envelope rewrapped =
                envelope().withKey("arn:aws:kms:eu-west-1:111122223333:key/new", new byte[] {9});

        assertThat(rewrapped.keyArn()).isEqualTo("arn:aws:kms:eu-west-1:111122223333:key/new");
        assertThat(rewrapped.edek()).containsExactly(9);
        assertThat(rewrapped.recordId()).isEqualTo(RECORD_ID);
        assertThat(rewrapped.orgId()).isEqualTo("org-1");
        assertThat(rewrapped.schemaFingerprint()).isEqualTo(0x1122334455667788L);
    }

    @Test
    void toStringShowsIdsButNoKeyMaterial() {
        assertThat(envelope().toString())
                .isEqualTo(
                        "Envelope[version=1, keyArn="
                                + Sample.KEY_ARN
                                + ", org=org-1, record=requests/2/7,"
                                + " schema=8877665544332211, edek=3 bytes]");
    }

    @Test
    void rejectsOtherFormatVersion() {
        GenericRecord record = envelope().toRecord();
        record.put("format_version", 3);

        assertThatThrownBy(() -> Envelope.fromRecord(record))
                .isInstanceOf(InvalidCiphertextException.class)
                .hasMessage(
                        "envelope has format version 3; this library reads versions 1 and 2 (org"
                                + " org-1, record requests/2/7)");
    }

    private static Envelope referenceEnvelope() {
        byte[] reference = new byte[16];
        reference[0] = 1;
        reference[15] = 7;
        return Envelope.withReference(
                reference, "org-1", new byte[12], new byte[16], RECORD_ID, 0x1122334455667788L);
    }

    @Test
    void referenceEnvelopeRoundTrips() throws Exception {
        GenericRecord record = referenceEnvelope().toRecord();

        Envelope read = Envelope.fromRecord(record);

        assertThat(read).isEqualTo(referenceEnvelope());
        assertThat(record.get("format_version")).isEqualTo(2);
        assertThat(record.get("key_arn")).isEqualTo("");
        assertThat(read.hasReference()).isTrue();
        assertThat(read.edek()).hasSize(16).startsWith(1).endsWith(7);
        assertThat(read.toString())
                .isEqualTo(
                        "Envelope[version=2, keyArn=, org=org-1, record=requests/2/7,"
                                + " schema=8877665544332211, reference=16 bytes]");
    }

    @Test
    void referenceEnvelopeWithKeyArnIsRejected() {
        GenericRecord record = referenceEnvelope().toRecord();
        record.put("key_arn", Sample.KEY_ARN);

        assertThatThrownBy(() -> Envelope.fromRecord(record))
                .isInstanceOf(InvalidCiphertextException.class)
                .hasMessage(
                        "envelope of format version 2 has a key ARN; it must be empty (org org-1,"
                                + " record requests/2/7)");
    }

    @Test
    void rewrapKeepsFormatVersion() {
        byte[] other = new byte[16];
        other[0] = 1;
        other[1] = 9;

        Envelope moved = referenceEnvelope().withReference(other);

        assertThat(moved.formatVersion()).isEqualTo(2);
        assertThat(moved.edek()).isEqualTo(other);
        assertThat(moved.recordId()).isEqualTo(RECORD_ID);
        assertThatThrownBy(() -> referenceEnvelope().withKey(Sample.KEY_ARN, new byte[] {1}))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> envelope().withReference(other))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> referenceEnvelope().withReference(new byte[15]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("data-key reference must be 16 bytes, got 15 bytes");
    }

    @Test
    void rejectsContextWithOtherPurpose() {
        GenericRecord record = envelope().toRecord();
        record.put("encryption_context", Map.of("org_id", "org-1", "purpose", "other"));

        assertThatThrownBy(() -> Envelope.fromRecord(record))
                .isInstanceOf(InvalidCiphertextException.class)
                .hasMessage(
                        "envelope's encryption context must have exactly the keys org_id and"
                            + " purpose, with purpose cmek-flink/v1, got the keys [org_id, purpose]"
                            + " (org unknown, record requests/2/7)");
    }

    @Test
    void rejectsShortNonce() {
        GenericRecord record = envelope().toRecord();
        record.put("nonce", new GenericData.Fixed(EnvelopeSchema.NONCE_SCHEMA, new byte[11]));

        assertThatThrownBy(() -> Envelope.fromRecord(record))
                .isInstanceOf(InvalidCiphertextException.class)
                .hasMessage("envelope has no 12-byte nonce (org org-1, record requests/2/7)");
    }

    @Test
    void rejectsMissingEdek() {
        GenericRecord record = envelope().toRecord();
        record.put("edek", null);

        assertThatThrownBy(() -> Envelope.fromRecord(record))
                .isInstanceOf(InvalidCiphertextException.class)
                .hasMessage("envelope has no EDEK (org org-1, record requests/2/7)");
    }

    @Test
    void rejectsValueThatIsNoEnvelope() {
        assertThatThrownBy(() -> Envelope.fromRecord("text"))
                .isInstanceOf(InvalidCiphertextException.class)
                .hasMessage(
                        "envelope field does not contain an io.cmekflink.v1.Envelope record (org"
                                + " unknown, record unknown)");
    }

    @Test
    void constructorRejectsWrongTagLength() {
        assertThatThrownBy(
                        () ->
                                new Envelope(
                                        Sample.KEY_ARN,
                                        new byte[] {1},
                                        "org-1",
                                        new byte[12],
                                        new byte[15],
                                        RECORD_ID,
                                        0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("tag must be 16 bytes, got 15 bytes");
    }

    @Test
    void encryptionContextHasOrgAndPurpose() {
        assertThat(EncryptionContext.of("org-1"))
                .containsExactly(
                        Map.entry("org_id", "org-1"), Map.entry("purpose", "cmek-flink/v1"));
        assertThat(EncryptionContext.orgIdOf(Map.of("purpose", "cmek-flink/v1", "org_id", "org-9")))
                .isEqualTo("org-9");
        assertThatThrownBy(() -> EncryptionContext.of("")).hasMessage("org id must not be empty");
    }

    @Test
    void recordIdRejectsNegativeOffset() {
        assertThatThrownBy(() -> new RecordId("t", 0, -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("record id offset must be >= 0, got -1");
    }
}
