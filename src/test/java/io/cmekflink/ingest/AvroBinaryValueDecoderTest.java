package io.cmekflink.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.util.Utf8;
import org.junit.jupiter.api.Test;

class AvroBinaryValueDecoderTest {

    private static final String SECRET = "s3cr3t-v4lue-9q7x";

    static final Schema EVENT =
            new Schema.Parser()
                    .parse(
                            """
                            {"type": "record", "name": "Event", "namespace": "test", "fields": [
                              {"name": "org_id", "type": "string"},
                              {"name": "name", "type": "string"},
                              {"name": "ok", "type": "boolean"},
                              {"name": "level", "type": {"type": "enum", "name": "Level",
                                "symbols": ["LOW", "HIGH"]}},
                              {"name": "note", "type": ["null", "string"], "default": null},
                              {"name": "items", "type": {"type": "array", "items": {
                                "type": "record", "name": "Item", "fields": [
                                  {"name": "x", "type": "long"}]}}},
                              {"name": "attrs", "type": {"type": "map", "values": "string"}}
                            ]}
                            """);

    private final AvroBinaryValueDecoder decoder =
            new AvroBinaryValueDecoder(EVENT, DecoderOptions.defaults());

    static GenericRecord event(String name) {
        Schema item = EVENT.getField("items").schema().getElementType();
        Map<String, String> attrs = new HashMap<>();
        attrs.put("k", SECRET);
        return new GenericRecordBuilder(EVENT)
                .set("org_id", "org-1")
                .set("name", name)
                .set("ok", true)
                .set("level", new GenericData.EnumSymbol(EVENT.getField("level").schema(), "HIGH"))
                .set("note", null)
                .set(
                        "items",
                        List.of(
                                new GenericRecordBuilder(item).set("x", 1L).build(),
                                new GenericRecordBuilder(item).set("x", -2L).build()))
                .set("attrs", attrs)
                .build();
    }

    static byte[] encode(GenericRecord record) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(record.getSchema()).write(record, encoder);
        encoder.flush();
        return out.toByteArray();
    }

    private IngestException failure(byte[] value) {
        IngestException e =
                catchThrowableOfType(IngestException.class, () -> decoder.decode(value));
        assertThat(e).isNotNull();
        assertThat(e.getMessage()).doesNotContain(SECRET);
        assertThat(e.getCause()).isNull();
        return e;
    }

    /** Layout of {@link #event}("abc"): the name's length byte is at offset 6. */
    private static final int NAME_OFFSET = 6;

    @Test
    void decodesRecord() throws Exception {
        GenericRecord decoded = decoder.decode(encode(event("abc")));

        assertThat(decoded.get("org_id")).isEqualTo(new Utf8("org-1"));
        assertThat(decoded.get("name")).isEqualTo(new Utf8("abc"));
        assertThat(decoded.get("ok")).isEqualTo(true);
        assertThat(decoded.get("level").toString()).isEqualTo("HIGH");
        assertThat(decoded.get("note")).isNull();
        assertThat(((GenericRecord) ((List<?>) decoded.get("items")).get(1)).get("x"))
                .isEqualTo(-2L);
        assertThat(((Map<?, ?>) decoded.get("attrs")).get(new Utf8("k")))
                .isEqualTo(new Utf8(SECRET));
        assertThat(decoded).isEqualTo(event("abc"));
    }

    @Test
    void reusedDecoderReturnsIndependentRecords() throws Exception {
        GenericRecord first = decoder.decode(encode(event("first")));
        GenericRecord second = decoder.decode(encode(event("second")));

        assertThat(first.get("name")).isEqualTo(new Utf8("first"));
        assertThat(second.get("name")).isEqualTo(new Utf8("second"));
    }

    @Test
    void trailingBytesRejected() throws Exception {
        byte[] exact = encode(event("abc"));
        byte[] longer = Arrays.copyOf(exact, exact.length + 3);

        IngestException e = failure(longer);

        assertThat(e.code()).isEqualTo(IngestErrorCode.MALFORMED_RECORD);
        assertThat(e.path()).isEqualTo("$");
        assertThat(e.getMessage())
                .isEqualTo(
                        "3 trailing bytes after the record: the writer schema consumed "
                                + exact.length
                                + " of "
                                + longer.length
                                + " bytes at $ in writer schema test.Event");
    }

    @Test
    void stringsOnlySchemaRejectsCiphertextLikeValue() throws Exception {
        Schema strings =
                new Schema.Parser()
                        .parse(
                                """
                                {"type": "record", "name": "Strings", "fields": [
                                  {"name": "org_id", "type": "string"},
                                  {"name": "body", "type": "string"}]}
                                """);
        AvroBinaryValueDecoder stringsDecoder =
                new AvroBinaryValueDecoder(strings, DecoderOptions.defaults());
        // Two length-prefixed strings, then bytes that an encrypted envelope would add.
        byte[] value = {4, 'o', 'r', 6, 'a', 'b', 'c', (byte) 0xc3, 0x01, 0x5a};

        IngestException e =
                catchThrowableOfType(IngestException.class, () -> stringsDecoder.decode(value));

        assertThat(e.code()).isEqualTo(IngestErrorCode.MALFORMED_RECORD);
        assertThat(e.getMessage()).startsWith("3 trailing bytes after the record");
    }

    @Test
    void truncatedInsideString() throws Exception {
        byte[] exact = encode(event("abcdefgh"));
        byte[] truncated = Arrays.copyOf(exact, NAME_OFFSET + 4);

        IngestException e = failure(truncated);

        assertThat(e.code()).isEqualTo(IngestErrorCode.MALFORMED_RECORD);
        assertThat(e.path()).isEqualTo("$.name");
        assertThat(e.getMessage())
                .isEqualTo(
                        "string at byte 6 declares a length beyond the end of the input, where only"
                                + " 3 bytes remain at $.name in writer schema test.Event");
    }

    @Test
    void truncatedAtEveryLength() throws Exception {
        byte[] exact = encode(event("abc"));
        for (int length = 0; length < exact.length; length++) {
            IngestException e = failure(Arrays.copyOf(exact, length));

            assertThat(e.code())
                    .as("length %d", length)
                    .isEqualTo(IngestErrorCode.MALFORMED_RECORD);
            // A declared length or item count beyond the bytes left fails before the data does.
            assertThat(e.getMessage())
                    .as("length %d", length)
                    .matches(
                            "(truncated input: .*|string at byte \\d+ declares a length beyond"
                                    + " the end of the input, where only \\d+ bytes? remains?"
                                    + " .*|(array|map) block at byte \\d+ declares an item count"
                                    + " beyond the end of the input, where only \\d+ bytes?"
                                    + " remains? .*)");
        }
    }

    @Test
    void emptyValueIsTruncated() {
        IngestException e = failure(new byte[0]);

        assertThat(e.path()).isEqualTo("$.org_id");
        assertThat(e.getMessage())
                .startsWith(
                        "truncated input: long varint at byte 0 is incomplete because the input"
                                + " ends at byte 0 at $.org_id");
    }

    @Test
    void hugeStringLengthRejectedWithoutAllocating() {
        // Zig-zag varint of 2^30: a 1 GiB string in a 5-byte value.
        byte[] value = {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x08};

        IngestException e = failure(value);

        assertThat(e.path()).isEqualTo("$.org_id");
        assertThat(e.getMessage())
                .startsWith(
                        "string at byte 0 declares a length beyond the end of the input, where only"
                                + " 0 bytes remain");
    }

    @Test
    void hugeArrayCountRejectedWithoutAllocating() throws Exception {
        byte[] exact = encode(event("abc"));
        int itemsOffset = NAME_OFFSET + 4 + 1 + 1 + 1;
        byte[] value = Arrays.copyOf(exact, itemsOffset + 5);
        byte[] count = {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x08};
        System.arraycopy(count, 0, value, itemsOffset, count.length);

        IngestException e = failure(value);

        assertThat(e.path()).isEqualTo("$.items[0]");
        assertThat(e.getMessage())
                .startsWith(
                        "array block at byte 13 declares an item count beyond the end of the input,"
                                + " where only 0 bytes remain at $.items[0]");
    }

    @Test
    void negativeStringLength() {
        byte[] value = {0x01};

        IngestException e = failure(value);

        assertThat(e.path()).isEqualTo("$.org_id");
        assertThat(e.getMessage()).startsWith("negative string length at byte 0 at $.org_id");
    }

    @Test
    void booleanByteOtherThanZeroOrOne() throws Exception {
        byte[] value = encode(event("abc"));
        value[NAME_OFFSET + 4] = 2;

        IngestException e = failure(value);

        assertThat(e.path()).isEqualTo("$.ok");
        assertThat(e.getMessage()).startsWith("boolean at byte 10 is neither 0 nor 1 at $.ok");
    }

    @Test
    void enumIndexOutOfRange() throws Exception {
        byte[] value = encode(event("abc"));
        value[NAME_OFFSET + 5] = 4; // zig-zag 2, the enum has 2 symbols

        IngestException e = failure(value);

        assertThat(e.code()).isEqualTo(IngestErrorCode.MALFORMED_RECORD);
        assertThat(e.path()).isEqualTo("$.level");
        assertThat(e.getMessage())
                .startsWith("enum index is out of range for test.Level (2 symbols) at $.level");
    }

    @Test
    void unionIndexOutOfRange() throws Exception {
        byte[] value = encode(event("abc"));
        value[NAME_OFFSET + 6] = 8; // zig-zag 4, the union has 2 branches

        IngestException e = failure(value);

        assertThat(e.code()).isEqualTo(IngestErrorCode.MALFORMED_RECORD);
        assertThat(e.path()).isEqualTo("$.note");
        assertThat(e.getMessage()).startsWith("union branch index is out of range at $.note");
    }

    @Test
    void negativeEnumIndex() throws Exception {
        byte[] value = encode(event("abc"));
        value[NAME_OFFSET + 5] = 1; // zig-zag -1

        IngestException e = failure(value);

        assertThat(e.code()).isEqualTo(IngestErrorCode.MALFORMED_RECORD);
        assertThat(e.path()).isEqualTo("$.level");
        assertThat(e.getMessage())
                .isEqualTo(
                        "negative enum symbol index at byte 11 at $.level in writer schema"
                                + " test.Event");
    }

    @Test
    void negativeUnionIndex() throws Exception {
        byte[] value = encode(event("abc"));
        value[NAME_OFFSET + 6] = 3; // zig-zag -2

        IngestException e = failure(value);

        assertThat(e.path()).isEqualTo("$.note");
        assertThat(e.getMessage()).startsWith("negative union branch index at byte 12 at $.note");
    }

    @Test
    void arrayBlockSizeBeyondInput() throws Exception {
        byte[] exact = encode(event("abc"));
        int itemsOffset = NAME_OFFSET + 4 + 1 + 1 + 1;
        // Replace the item count 2 with count -2 and a block size of 30 bytes.
        byte[] value = new byte[exact.length + 1];
        System.arraycopy(exact, 0, value, 0, itemsOffset);
        value[itemsOffset] = 3;
        value[itemsOffset + 1] = 60;
        System.arraycopy(
                exact, itemsOffset + 1, value, itemsOffset + 2, exact.length - itemsOffset - 1);

        IngestException e = failure(value);

        assertThat(e.path()).isEqualTo("$.items[0]");
        assertThat(e.getMessage())
                .isEqualTo(
                        "array block at byte 13 declares a size beyond the end of the input, where"
                            + " only 25 bytes remain at $.items[0] in writer schema test.Event");
    }

    @Test
    void negativeArrayBlockSize() throws Exception {
        byte[] value = encode(event("abc"));
        int itemsOffset = NAME_OFFSET + 4 + 1 + 1 + 1;
        value[itemsOffset] = 3; // count -2
        value[itemsOffset + 1] = 1; // size -1

        IngestException e = failure(value);

        assertThat(e.path()).isEqualTo("$.items[0]");
        assertThat(e.getMessage())
                .startsWith("array block at byte 13 declares a negative size at $.items[0]");
    }

    @Test
    void overlongVarint() {
        byte[] value = new byte[12];
        Arrays.fill(value, (byte) 0xff);

        IngestException e = failure(value);

        assertThat(e.path()).isEqualTo("$.org_id");
        assertThat(e.getMessage())
                .startsWith("long varint at byte 0 overflows 64 bits at $.org_id");
    }

    @Test
    void failureInsideArrayItemNamesIndex() throws Exception {
        byte[] exact = encode(event("abc"));
        // Replace the second item's long with an overlong varint.
        int secondItem = NAME_OFFSET + 4 + 1 + 1 + 1 + 1 + 1;
        byte[] value = Arrays.copyOf(exact, secondItem + 11);
        Arrays.fill(value, secondItem, value.length, (byte) 0xff);

        IngestException e = failure(value);

        assertThat(e.path()).isEqualTo("$.items[1].x");
        assertThat(e.getMessage())
                .startsWith("long varint at byte 15 overflows 64 bits at $.items[1].x");
    }

    @Test
    void failureInsideMapNamesEntryPosition() throws Exception {
        byte[] exact = encode(event("abc"));
        byte[] value = Arrays.copyOf(exact, exact.length - 3);

        IngestException e = failure(value);

        assertThat(e.path()).isEqualTo("$.attrs{0}");
    }

    @Test
    void recursionStopsAtMaxDepth() throws Exception {
        Schema tree =
                new Schema.Parser()
                        .parse(
                                """
                                {"type": "record", "name": "Node", "fields": [
                                  {"name": "org_id", "type": "string"},
                                  {"name": "child", "type": ["null", "Node"]}]}
                                """);
        // Each level: empty org_id (0x00), union branch 1 (0x02); the innermost child is null.
        byte[] value = new byte[2 * 10_000 + 2];
        for (int i = 0; i < 10_000; i++) {
            value[2 * i + 1] = 2;
        }
        AvroBinaryValueDecoder treeDecoder =
                new AvroBinaryValueDecoder(tree, DecoderOptions.defaults().withMaxDepth(5));

        IngestException e =
                catchThrowableOfType(IngestException.class, () -> treeDecoder.decode(value));

        assertThat(e.code()).isEqualTo(IngestErrorCode.MALFORMED_RECORD);
        assertThat(e.path()).isEqualTo("$.child.child.child.child.child");
        assertThat(e.getMessage()).startsWith("nesting is deeper than the max depth 5");
    }

    @Test
    void schemaDeeperThanMaxDepthIsBounded() throws Exception {
        // Event nests 3 deep: the record, the items array, an Item record.
        AvroBinaryValueDecoder shallow =
                new AvroBinaryValueDecoder(EVENT, DecoderOptions.defaults().withMaxDepth(2));

        IngestException e =
                catchThrowableOfType(
                        IngestException.class, () -> shallow.decode(encode(event("abc"))));

        assertThat(e.code()).isEqualTo(IngestErrorCode.MALFORMED_RECORD);
        assertThat(e.path()).isEqualTo("$.items[0]");
        assertThat(e.getMessage()).startsWith("nesting is deeper than the max depth 2");
    }

    @Test
    void tombstoneRejected() {
        IngestException e = failure(null);

        assertThat(e.code()).isEqualTo(IngestErrorCode.MALFORMED_RECORD);
        assertThat(e.getMessage()).startsWith("record value is null (a tombstone)");
    }

    @Test
    void nonRecordSchemaRejected() {
        IllegalArgumentException e =
                catchThrowableOfType(
                        IllegalArgumentException.class,
                        () ->
                                new AvroBinaryValueDecoder(
                                        Schema.create(Schema.Type.STRING),
                                        DecoderOptions.defaults()));

        assertThat(e.getMessage()).isEqualTo("writer schema must be a record, got STRING");
    }
}
