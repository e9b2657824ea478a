package io.cmekflink.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cmekflink.dek.Dek;
import io.cmekflink.schema.DerivationOptions;
import io.cmekflink.schema.DerivedSchema;
import io.cmekflink.schema.DerivedSchemaRegistry;
import io.cmekflink.schema.EnvelopeSchema;
import io.cmekflink.schema.MarkingRules;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;

class RecordOpenerTest {

    private static final RecordId RECORD_ID = new RecordId("requests", 0, 5);
    private final RecordSealer sealer = RecordSealer.create(Sample.DERIVED);
    private final RecordOpener opener = RecordOpener.create(Sample.DERIVED);

    private static Schema writer(String secretType) {
        return new Schema.Parser()
                .parse(
                        "{\"type\":\"record\",\"name\":\"Versioned\",\"namespace\":\"test\",\"fields\":["
                            + "{\"name\":\"org_id\",\"type\":\"string\"},"
                            + "{\"name\":\"secret\",\"type\":"
                                + secretType
                                + ",\"sensitive\":true}]}");
    }

    @Test
    void opensVersionsSideBySide() throws Exception {
        DerivedSchema v1 =
                DerivedSchema.derive(
                        writer("\"string\""), DerivationOptions.of(MarkingRules.sensitiveOnly()));
        DerivedSchema v2 =
                DerivedSchema.derive(
                        writer("\"long\""), DerivationOptions.of(MarkingRules.sensitiveOnly()));
        DerivedSchemaRegistry registry = new DerivedSchemaRegistry();
        registry.register(v1);
        registry.register(v2);
        RecordOpener both = RecordOpener.create(registry);
        Dek dek = Sample.randomDek();
        GenericData.Record one = new GenericData.Record(v1.writerSchema());
        one.put("org_id", "org-1");
        one.put("secret", "s");
        GenericData.Record two = new GenericData.Record(v2.writerSchema());
        two.put("org_id", "org-1");
        two.put("secret", 12L);

        byte[] first = RecordSealer.create(v1).sealToBytes(one, "org-1", RECORD_ID, dek);
        byte[] second = RecordSealer.create(v2).sealToBytes(two, "org-1", RECORD_ID, dek);

        assertThat(Arrays.copyOf(first, 10)).isEqualTo(Arrays.copyOf(second, 10));
        GenericRecord openedOne = both.open(both.decode(first), dek);
        GenericRecord openedTwo = both.open(both.decode(second), dek);
        assertThat(openedOne.getSchema()).isEqualTo(v1.writerSchema());
        assertThat(openedOne.get("secret").toString()).isEqualTo("s");
        assertThat(openedTwo.getSchema()).isEqualTo(v2.writerSchema());
        assertThat(openedTwo.get("secret")).isEqualTo(12L);
    }

    @Test
    void envelopeNamingAnotherVersionFails() throws Exception {
        DerivedSchema v1 =
                DerivedSchema.derive(
                        writer("\"string\""), DerivationOptions.of(MarkingRules.sensitiveOnly()));
        DerivedSchema v2 =
                DerivedSchema.derive(
                        writer("\"long\""), DerivationOptions.of(MarkingRules.sensitiveOnly()));
        DerivedSchemaRegistry registry = new DerivedSchemaRegistry();
        registry.register(v1);
        registry.register(v2);
        RecordOpener both = RecordOpener.create(registry);
        Dek dek = Sample.randomDek();
        GenericData.Record two = new GenericData.Record(v2.writerSchema());
        two.put("org_id", "org-1");
        two.put("secret", 12L);
        GenericRecord derived =
                both.decode(RecordSealer.create(v2).sealToBytes(two, "org-1", RECORD_ID, dek));
        byte[] fingerprint =
                ((GenericFixed)
                                ((GenericRecord) derived.get(EnvelopeSchema.FIELD_NAME))
                                        .get("schema_fingerprint"))
                        .bytes();
        System.arraycopy(
                io.cmekflink.schema.Fingerprints.toLittleEndian(v1.exactFingerprint()),
                0,
                fingerprint,
                0,
                8);

        assertThatThrownBy(() -> both.open(derived, dek))
                .isInstanceOf(TamperedRecordException.class);
    }

    @Test
    void unknownExactFingerprintFails() throws Exception {
        GenericRecord derived =
                opener.decode(
                        sealer.sealToBytes(
                                Sample.record("org-1", "r"),
                                "org-1",
                                RECORD_ID,
                                Sample.randomDek()));
        byte[] fingerprint =
                ((GenericFixed)
                                ((GenericRecord) derived.get(EnvelopeSchema.FIELD_NAME))
                                        .get("schema_fingerprint"))
                        .bytes();
        Arrays.fill(fingerprint, (byte) 0);

        assertThatThrownBy(() -> opener.open(derived, Sample.randomDek()))
                .isInstanceOf(UnknownSchemaException.class)
                .hasMessage(
                        "no derived schema with exact fingerprint 0000000000000000 is loaded; add"
                                + " its file to the derived schema directory (org org-1, record"
                                + " requests/0/5)");
    }

    @Test
    void unknownLayoutFingerprintFails() {
        byte[] payload = {(byte) 0xC3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0};

        assertThatThrownBy(() -> opener.decode(payload))
                .isInstanceOf(UnknownSchemaException.class)
                .hasMessage(
                        "no derived schema with layout fingerprint 0102030405060708 is loaded; add"
                                + " its file to the derived schema directory (org unknown, record"
                                + " unknown)");
    }

    @Test
    void payloadWithoutHeaderFails() throws Exception {
        byte[] plain = Sample.encode(Sample.record("org-1", "r"));

        assertThatThrownBy(() -> opener.decode(plain))
                .isInstanceOf(InvalidCiphertextException.class)
                .hasMessage(
                        "payload of "
                                + plain.length
                                + " bytes has no single-object header (C3 01 and an"
                                + " 8-byte fingerprint) (org unknown, record unknown)");
    }

    @Test
    void payloadWithTrailingBytesFails() throws Exception {
        byte[] sealed =
                sealer.sealToBytes(
                        Sample.record("org-1", "r"), "org-1", RECORD_ID, Sample.randomDek());
        byte[] longer = Arrays.copyOf(sealed, sealed.length + 3);

        assertThatThrownBy(() -> opener.decode(longer))
                .isInstanceOf(InvalidCiphertextException.class)
                .hasMessageContaining("left 3 trailing bytes");
    }

    @Test
    void markedFieldHoldingNoBytesFails() throws Exception {
        GenericRecord derived =
                sealer.seal(Sample.record("org-1", "r"), "org-1", RECORD_ID, Sample.randomDek());
        derived.put("client_ip", "203.0.113.7");

        assertThatThrownBy(() -> opener.open(derived, Sample.randomDek()))
                .isInstanceOf(InvalidCiphertextException.class)
                .hasMessage(
                        "field client_ip contains a value of type String, expected the bytes of a"
                                + " ciphertext slice (org org-1, record requests/0/5)");
    }

    @Test
    void errorMessageRedactsMapKeys() throws Exception {
        GenericRecord derived =
                sealer.seal(Sample.record("org-1", "r"), "org-1", RECORD_ID, Sample.randomDek());
        @SuppressWarnings("unchecked")
        java.util.Map<Object, GenericRecord> routes =
                (java.util.Map<Object, GenericRecord>) derived.get("routes");
        routes.get(new org.apache.avro.util.Utf8("primary")).put("secret", 5);

        assertThatThrownBy(() -> opener.open(derived, Sample.randomDek()))
                .isInstanceOf(InvalidCiphertextException.class)
                .hasMessage(
                        "field routes[*].secret contains a value of type Integer, expected the"
                                + " bytes of a ciphertext slice (org org-1, record requests/0/5)");
    }

    @Test
    void recordWithoutEnvelopeFails() {
        assertThatThrownBy(() -> opener.open(Sample.record("org-1", "r"), Sample.randomDek()))
                .isInstanceOf(InvalidCiphertextException.class)
                .hasMessage(
                        "record io.cmekflink.sample.RequestLog has no field cmek_envelope; it is"
                                + " not an encrypted record (org unknown, record unknown)");
    }

    @Test
    void openedRecordCopiesSliceBytesOnly() throws Exception {
        Dek dek = Sample.randomDek();
        GenericRecord derived = sealer.seal(Sample.record("org-1", "r"), "org-1", RECORD_ID, dek);
        ByteBuffer slice = (ByteBuffer) derived.get("client_ip");
        int before = slice.position();

        opener.open(derived, dek);

        assertThat(slice.position()).isEqualTo(before);
    }
}
