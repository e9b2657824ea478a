package io.cmekflink.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.util.Utf8;
import org.junit.jupiter.api.Test;

class StrictRecordDecoderTest {

    private static final Schema SCHEMA =
            Schemas.top("{'name':'ip','type':'string','sensitive':true},{'name':'n','type':'int'}");
    private static final StrictRecordDecoder DECODER = new StrictRecordDecoder(SCHEMA);

    private static byte[] encode(Schema schema, Object value) throws IOException {
        ByteArrayEncoder out = new ByteArrayEncoder(64);
        new CanonicalDatumWriter<Object>(schema).write(value, out);
        return out.toByteArray();
    }

    private static GenericRecord record() {
        GenericData.Record record = new GenericData.Record(SCHEMA);
        record.put("org_id", "org-1");
        record.put("ip", "203.0.113.7");
        record.put("n", 3);
        return record;
    }

    @Test
    void decodesExactlyOneRecord() throws Exception {
        GenericRecord decoded = DECODER.decode(encode(SCHEMA, record()));

        assertThat(decoded).isEqualTo(record());
        assertThat(decoded.get("ip")).isInstanceOf(Utf8.class);
    }

    @Test
    void rejectsTrailingBytes() throws Exception {
        byte[] bytes = Arrays.copyOf(encode(SCHEMA, record()), 24);

        assertThatThrownBy(() -> DECODER.decode(bytes))
                .isInstanceOf(MalformedRecordException.class)
                .hasMessage(
                        "Avro record of schema test.Top is malformed: decoding consumed 19 of 24"
                                + " bytes and left 5 trailing bytes; the payload is not one plain"
                                + " record of this schema")
                .satisfies(
                        e -> {
                            MalformedRecordException malformed = (MalformedRecordException) e;
                            assertThat(malformed.consumedBytes()).isEqualTo(19);
                            assertThat(malformed.totalBytes()).isEqualTo(24);
                            assertThat(malformed.schemaFullName()).isEqualTo("test.Top");
                        });
    }

    @Test
    void rejectsEncryptedRecordThatDecodesAsWriterRecord() throws Exception {
        DerivedSchema derived =
                DerivedSchema.derive(SCHEMA, DerivationOptions.of(MarkingRules.sensitiveOnly()));
        GenericData.Record encrypted = new GenericData.Record(derived.derivedSchema());
        encrypted.put("org_id", "org-1");
        encrypted.put("ip", ByteBuffer.wrap(new byte[] {(byte) 0x9A, 0x11, 0x42}));
        encrypted.put("n", 3);
        GenericData.Record envelope = new GenericData.Record(EnvelopeSchema.SCHEMA);
        envelope.put("format_version", 1);
        envelope.put("key_arn", "arn");
        envelope.put("edek", ByteBuffer.wrap(new byte[] {1}));
        envelope.put("encryption_context", java.util.Map.of());
        envelope.put("nonce", new GenericData.Fixed(EnvelopeSchema.NONCE_SCHEMA, new byte[12]));
        envelope.put("tag", new GenericData.Fixed(EnvelopeSchema.TAG_SCHEMA, new byte[16]));
        GenericData.Record id = new GenericData.Record(EnvelopeSchema.RECORD_ID_SCHEMA);
        id.put("topic", "t");
        id.put("partition", 0);
        id.put("offset", 0L);
        envelope.put("record_id", id);
        envelope.put(
                "schema_fingerprint",
                new GenericData.Fixed(EnvelopeSchema.FINGERPRINT_SCHEMA, new byte[8]));
        encrypted.put(EnvelopeSchema.FIELD_NAME, envelope);
        byte[] bytes = encode(derived.derivedSchema(), encrypted);

        assertThatThrownBy(() -> DECODER.decode(bytes))
                .isInstanceOf(MalformedRecordException.class)
                .hasMessageContaining("consumed 11 of 59 bytes and left 48 trailing bytes");
    }

    @Test
    void rejectsTruncatedRecord() throws Exception {
        byte[] bytes = Arrays.copyOf(encode(SCHEMA, record()), 10);

        assertThatThrownBy(() -> DECODER.decode(bytes))
                .isInstanceOf(MalformedRecordException.class)
                .hasMessage(
                        "Avro record of schema test.Top is malformed: decoding failed after 7 of 10"
                                + " bytes: string at byte 6 declares a length beyond the end of the"
                                + " input, where only 3 bytes remain")
                .hasCauseInstanceOf(BoundedBinaryDecoder.InvalidEncodingException.class);
    }

    @Test
    void rejectsHugeStringLengthWithoutAllocating() {
        byte[] bytes = {0x02, 0x41, (byte) 0x80, (byte) 0xA8, (byte) 0xD6, (byte) 0xB9, 0x07};

        assertThatThrownBy(() -> DECODER.decode(bytes))
                .isInstanceOf(MalformedRecordException.class)
                .cause()
                .hasMessage(
                        "string at byte 2 declares a length beyond the end of the input, where only"
                                + " 0 bytes remain");
    }

    @Test
    void rejectsHugeArrayCount() {
        Schema schema = Schemas.top("{'name':'items','type':{'type':'array','items':'null'}}");
        byte[] bytes = {0x02, 0x41, (byte) 0x80, (byte) 0xA8, (byte) 0xD6, (byte) 0xB9, 0x07};

        assertThatThrownBy(() -> new StrictRecordDecoder(schema).decode(bytes))
                .isInstanceOf(MalformedRecordException.class)
                .cause()
                .hasMessage(
                        "array block at byte 2 declares an item count beyond the end of the input,"
                                + " where only 0 bytes remain");
    }

    @Test
    void rejectsInvalidBooleanByte() {
        Schema schema = Schemas.top("{'name':'flag','type':'boolean'}");

        assertThatThrownBy(
                        () -> new StrictRecordDecoder(schema).decode(new byte[] {0x02, 0x41, 0x02}))
                .isInstanceOf(MalformedRecordException.class)
                .cause()
                .hasMessage("boolean at byte 2 is neither 0 nor 1");
    }

    @Test
    void rejectsUnionIndexOutOfRange() {
        Schema schema = Schemas.top("{'name':'u','type':['null','int']}");

        assertThatThrownBy(
                        () -> new StrictRecordDecoder(schema).decode(new byte[] {0x02, 0x41, 0x06}))
                .isInstanceOf(MalformedRecordException.class)
                .hasMessageStartingWith(
                        "Avro record of schema test.Top is malformed: decoding failed after 3 of 3"
                                + " bytes");
    }

    @Test
    void rejectsIntVarintThatOverflows() {
        Schema schema = Schemas.top("{'name':'i','type':'int'}");
        byte[] bytes = {0x02, 0x41, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x1F};

        assertThatThrownBy(() -> new StrictRecordDecoder(schema).decode(bytes))
                .isInstanceOf(MalformedRecordException.class)
                .cause()
                .hasMessage("int varint at byte 2 overflows 32 bits");
    }

    @Test
    void rejectsSchemaThatIsNotRecord() {
        assertThatThrownBy(() -> new StrictRecordDecoder(Schema.create(Schema.Type.INT)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("schema must be a record, got int");
    }
}
