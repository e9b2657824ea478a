package io.cmekflink.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.apache.avro.util.Utf8;
import org.junit.jupiter.api.Test;

class ConfluentAvroValueDecoderTest {

    private static final Schema EVENT_V2 =
            new Schema.Parser()
                    .parse(
                            """
                            {"type": "record", "name": "EventV2", "namespace": "test", "fields": [
                              {"name": "org_id", "type": "string"},
                              {"name": "size", "type": "long"}]}
                            """);

    private final ConfluentAvroValueDecoder decoder =
            new ConfluentAvroValueDecoder(
                    Map.of(7, AvroBinaryValueDecoderTest.EVENT, 300, EVENT_V2),
                    DecoderOptions.defaults());

    private static byte[] framed(int schemaId, byte[] avro) {
        return ByteBuffer.allocate(5 + avro.length)
                .put((byte) 0)
                .putInt(schemaId)
                .put(avro)
                .array();
    }

    @Test
    void knownIdDecodesWithItsSchema() throws Exception {
        byte[] v1 = AvroBinaryValueDecoderTest.encode(AvroBinaryValueDecoderTest.event("abc"));
        GenericRecord v2Record =
                new GenericRecordBuilder(EVENT_V2).set("org_id", "org-2").set("size", 42L).build();
        byte[] v2 = AvroBinaryValueDecoderTest.encode(v2Record);

        GenericRecord first = decoder.decode(framed(7, v1));
        GenericRecord second = decoder.decode(framed(300, v2));

        assertThat(first.getSchema().getFullName()).isEqualTo("test.Event");
        assertThat(first.get("name")).isEqualTo(new Utf8("abc"));
        assertThat(second.getSchema().getFullName()).isEqualTo("test.EventV2");
        assertThat(second.get("size")).isEqualTo(42L);
    }

    @Test
    void unknownIdNamesIdAndConfiguredIds() throws Exception {
        byte[] v1 = AvroBinaryValueDecoderTest.encode(AvroBinaryValueDecoderTest.event("abc"));

        IngestException e =
                catchThrowableOfType(IngestException.class, () -> decoder.decode(framed(8, v1)));

        assertThat(e.code()).isEqualTo(IngestErrorCode.UNKNOWN_SCHEMA);
        assertThat(e.codeName()).isEqualTo("UNKNOWN_SCHEMA");
        assertThat(e.getMessage())
                .isEqualTo(
                        "schema id 8 is not configured; configured ids: [7, 300]. Add the schema"
                                + " file of that id to the job definition.");
    }

    @Test
    void trailingBytesNameSchemaId() throws Exception {
        byte[] v1 = AvroBinaryValueDecoderTest.encode(AvroBinaryValueDecoderTest.event("abc"));
        byte[] longer = Arrays.copyOf(v1, v1.length + 1);

        IngestException e =
                catchThrowableOfType(
                        IngestException.class, () -> decoder.decode(framed(7, longer)));

        assertThat(e.code()).isEqualTo(IngestErrorCode.MALFORMED_RECORD);
        assertThat(e.writerSchema()).isEqualTo("test.Event");
        assertThat(e.getMessage())
                .isEqualTo(
                        "1 trailing bytes after the record: the writer schema consumed "
                                + v1.length
                                + " of "
                                + longer.length
                                + " bytes at $ in writer schema test.Event (schema id 7)");
    }

    @Test
    void truncatedPayload() throws Exception {
        byte[] v2 =
                AvroBinaryValueDecoderTest.encode(
                        new GenericRecordBuilder(EVENT_V2)
                                .set("org_id", "org-2")
                                .set("size", 1L << 40)
                                .build());
        byte[] value = Arrays.copyOf(framed(300, v2), 5 + v2.length - 1);

        IngestException e =
                catchThrowableOfType(IngestException.class, () -> decoder.decode(value));

        assertThat(e.code()).isEqualTo(IngestErrorCode.MALFORMED_RECORD);
        assertThat(e.path()).isEqualTo("$.size");
        // Byte positions count from the first byte after the 5-byte header.
        assertThat(e.getMessage())
                .isEqualTo(
                        "truncated input: long varint at byte 6 is incomplete because the input"
                                + " ends at byte 11 at $.size in writer schema test.EventV2"
                                + " (schema id 300)");
    }

    @Test
    void wrongMagicByte() {
        byte[] value = "{\"org_id\": \"o\"}".getBytes();

        IngestException e =
                catchThrowableOfType(IngestException.class, () -> decoder.decode(value));

        assertThat(e.code()).isEqualTo(IngestErrorCode.MALFORMED_RECORD);
        assertThat(e.getMessage())
                .isEqualTo(
                        "first byte is not the Confluent magic byte 0; is the topic written in"
                                + " plain Avro or JSON?");
    }

    @Test
    void shorterThanHeader() {
        IngestException e =
                catchThrowableOfType(
                        IngestException.class, () -> decoder.decode(new byte[] {0, 0, 0}));

        assertThat(e.code()).isEqualTo(IngestErrorCode.MALFORMED_RECORD);
        assertThat(e.getMessage())
                .isEqualTo("value has 3 bytes, fewer than the 5 bytes of the Confluent header");
    }

    @Test
    void tombstone() {
        IngestException e = catchThrowableOfType(IngestException.class, () -> decoder.decode(null));

        assertThat(e.code()).isEqualTo(IngestErrorCode.MALFORMED_RECORD);
        assertThat(e.getMessage()).isEqualTo("record value is null (a tombstone)");
    }

    @Test
    void writerSchemasInIdOrder() {
        assertThat(decoder.writerSchemas())
                .containsExactly(AvroBinaryValueDecoderTest.EVENT, EVENT_V2);
        assertThat(decoder.format()).isEqualTo(ValueFormat.CONFLUENT_AVRO);
    }
}
