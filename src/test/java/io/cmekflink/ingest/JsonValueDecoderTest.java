package io.cmekflink.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.avro.Conversions;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.util.Utf8;
import org.junit.jupiter.api.Test;

class JsonValueDecoderTest {

    /** A value that must never show up in a message. */
    private static final String SECRET = "s3cr3t-v4lue-9q7x";

    static final Schema SAMPLE =
            new Schema.Parser()
                    .parse(
                            """
                            {"type": "record", "name": "Sample", "namespace": "test", "fields": [
                              {"name": "org_id", "type": "string"},
                              {"name": "name", "type": "string"},
                              {"name": "count", "type": "long", "default": 7},
                              {"name": "small", "type": ["null", "int"], "default": null},
                              {"name": "ratio", "type": ["null", "float"], "default": null},
                              {"name": "score", "type": ["null", "double"]},
                              {"name": "flag", "type": ["null", "boolean"], "default": null},
                              {"name": "color", "type": ["null",
                                {"type": "enum", "name": "Color", "symbols": ["RED", "GREEN"]}],
                                "default": null},
                              {"name": "blob", "type": ["null", "bytes"], "default": null},
                              {"name": "digest", "type": ["null",
                                {"type": "fixed", "name": "Digest", "size": 4}], "default": null},
                              {"name": "at", "type": ["null",
                                {"type": "long", "logicalType": "timestamp-millis"}], "default": null},
                              {"name": "price", "type": ["null", {"type": "bytes",
                                "logicalType": "decimal", "precision": 6, "scale": 2}], "default": null},
                              {"name": "attrs", "type": ["null", {"type": "map", "values": "string"}],
                                "default": null},
                              {"name": "tags", "type": {"type": "array", "items": "string"},
                                "default": ["t0"]},
                              {"name": "choice", "type": ["null", "long", "double", "Color", "string",
                                {"type": "array", "items": "long"},
                                {"type": "record", "name": "Inner",
                                  "fields": [{"name": "x", "type": "int"}]}], "default": null},
                              {"name": "nested", "type": ["null", {"type": "record", "name": "Nested",
                                "fields": [
                                  {"name": "label", "type": "string"},
                                  {"name": "grid", "type": ["null", {"type": "array",
                                    "items": {"type": "array", "items": "int"}}], "default": null}
                                ]}], "default": null}
                            ]}
                            """);

    private final JsonValueDecoder decoder =
            new JsonValueDecoder(SAMPLE, DecoderOptions.defaults().withMaxDepth(4));

    private GenericRecord decode(String json) throws IngestException {
        return decoder.decode(json.getBytes(StandardCharsets.UTF_8));
    }

    private IngestException failure(String json) {
        IngestException e = catchThrowableOfType(IngestException.class, () -> decode(json));
        assertThat(e).as("expected an IngestException for %s", json).isNotNull();
        assertThat(e.getMessage()).doesNotContain(SECRET);
        assertThat(e.getCause()).isNull();
        return e;
    }

    private static String entry(String extraFields) {
        String base = "{\"org_id\": \"org-1\", \"name\": \"" + SECRET + "\"";
        return extraFields.isEmpty() ? base + "}" : base + ", " + extraFields + "}";
    }

    @Test
    void minimalObjectTakesDefaults() throws Exception {
        GenericRecord record = decode(entry(""));

        assertThat(record.get("org_id")).isEqualTo(new Utf8("org-1"));
        assertThat(record.get("name")).isEqualTo(new Utf8(SECRET));
        assertThat(record.get("count")).isEqualTo(7L);
        assertThat(record.get("score")).isNull();
        assertThat(record.get("small")).isNull();
        assertThat(record.get("tags")).isEqualTo(List.of(new Utf8("t0")));
    }

    @Test
    void mutableDefaultIsCopiedPerRecord() throws Exception {
        GenericRecord first = decode(entry(""));
        GenericRecord second = decode(entry(""));

        assertThat(first.get("tags")).isNotSameAs(second.get("tags"));
    }

    @Test
    void keysInAnyOrderAndExplicitNulls() throws Exception {
        GenericRecord record =
                decode(
                        "{\"score\": null, \"name\": \"n\", \"small\": null, \"org_id\": \"o\","
                                + " \"count\": 3}");

        assertThat(record.get("count")).isEqualTo(3L);
        assertThat(record.get("score")).isNull();
    }

    @Test
    void scalarsMapByType() throws Exception {
        GenericRecord record =
                decode(
                        entry(
                                "\"count\": -9007199254740993, \"small\": -2147483648, \"ratio\":"
                                    + " 2, \"score\": 1.5e3, \"flag\": false, \"color\": \"GREEN\","
                                    + " \"blob\": \"AAEC/w==\", \"digest\": \"3q2+7w\", \"at\":"
                                    + " 1741003200119, \"price\": 1234.5"));

        assertThat(record.get("count")).isEqualTo(-9007199254740993L);
        assertThat(record.get("small")).isEqualTo(Integer.MIN_VALUE);
        assertThat(record.get("ratio")).isEqualTo(2.0f);
        assertThat(record.get("score")).isEqualTo(1500.0);
        assertThat(record.get("flag")).isEqualTo(false);
        assertThat(record.get("color").toString()).isEqualTo("GREEN");
        assertThat(record.get("blob"))
                .isEqualTo(ByteBuffer.wrap(new byte[] {0, 1, 2, (byte) 0xff}));
        assertThat(((GenericData.Fixed) record.get("digest")).bytes())
                .containsExactly(0xde, 0xad, 0xbe, 0xef);
        assertThat(record.get("at")).isEqualTo(1741003200119L);
        Schema priceSchema = SAMPLE.getField("price").schema().getTypes().get(1);
        BigDecimal price =
                new Conversions.DecimalConversion()
                        .fromBytes(
                                (ByteBuffer) record.get("price"),
                                priceSchema,
                                priceSchema.getLogicalType());
        assertThat(price).isEqualTo(new BigDecimal("1234.50"));
    }

    @Test
    void unionChoosesBranchByTokenType() throws Exception {
        assertThat(decode(entry("\"choice\": 5")).get("choice")).isEqualTo(5L);
        assertThat(decode(entry("\"choice\": 5.0")).get("choice")).isEqualTo(5.0);
    }

    @Test
    void floatOutOfDoubleRange() {
        IngestException e = failure(entry("\"choice\": 1e400"));

        assertThat(e.path()).isEqualTo("$.choice");
        assertThat(e.getMessage()).startsWith("number is out of the range of double at $.choice");
    }

    @Test
    void unionStringPrefersMatchingEnumSymbol() throws Exception {
        Object symbol = decode(entry("\"choice\": \"RED\"")).get("choice");
        Object text = decode(entry("\"choice\": \"BLUE\"")).get("choice");

        assertThat(symbol).isInstanceOf(GenericData.EnumSymbol.class);
        assertThat(symbol.toString()).isEqualTo("RED");
        assertThat(text).isEqualTo(new Utf8("BLUE"));
    }

    @Test
    void unionArrayAndObjectBranches() throws Exception {
        Object array = decode(entry("\"choice\": [1, 2]")).get("choice");
        Object inner = decode(entry("\"choice\": {\"x\": 4}")).get("choice");

        assertThat(array).isEqualTo(List.of(1L, 2L));
        assertThat(((GenericRecord) inner).getSchema().getName()).isEqualTo("Inner");
        assertThat(((GenericRecord) inner).get("x")).isEqualTo(4);
    }

    @Test
    void mapAndNestedArrays() throws Exception {
        GenericRecord record =
                decode(
                        entry(
                                "\"attrs\": {\"a\": \"1\", \"\": \"empty key\"},"
                                        + " \"nested\": {\"label\": \"l\", \"grid\": [[1], []]}"));

        Map<?, ?> attrs = (Map<?, ?>) record.get("attrs");
        assertThat(attrs).hasSize(2);
        assertThat(attrs.get(new Utf8(""))).isEqualTo(new Utf8("empty key"));
        GenericRecord nested = (GenericRecord) record.get("nested");
        assertThat(nested.get("grid")).isEqualTo(List.of(List.of(1), List.of()));
    }

    @Test
    void escapedSlashesAndUnicodeEscapes() throws Exception {
        GenericRecord record =
                decode("{\"org_id\": \"o\", \"name\": \"\\/a\\/b \\u00e9\\ud83d\\ude00\"}");

        assertThat(record.get("name").toString()).isEqualTo("/a/b é😀");
    }

    @Test
    void stringWhereLongExpected() {
        IngestException e = failure(entry("\"count\": \"" + SECRET + "\""));

        assertThat(e.code()).isEqualTo(IngestErrorCode.MALFORMED_RECORD);
        assertThat(e.path()).isEqualTo("$.count");
        assertThat(e.writerSchema()).isEqualTo("test.Sample");
        assertThat(e.getMessage())
                .isEqualTo(
                        "expected long, found JSON string at $.count (line 1, column 59)"
                                + " in writer schema test.Sample");
    }

    @Test
    void floatWhereLongExpected() {
        IngestException e = failure(entry("\"count\": 3.0"));

        assertThat(e.code()).isEqualTo(IngestErrorCode.MALFORMED_RECORD);
        assertThat(e.path()).isEqualTo("$.count");
        assertThat(e.getMessage()).startsWith("expected long, found JSON float at $.count");
    }

    @Test
    void integerOutOfIntRange() {
        IngestException e = failure(entry("\"small\": 2147483648"));

        assertThat(e.code()).isEqualTo(IngestErrorCode.MALFORMED_RECORD);
        assertThat(e.path()).isEqualTo("$.small");
        assertThat(e.getMessage()).startsWith("expected one of [null, int], found JSON integer");
    }

    @Test
    void integerOutOfLongRange() {
        IngestException e = failure(entry("\"count\": 9223372036854775808"));

        assertThat(e.path()).isEqualTo("$.count");
        assertThat(e.getMessage()).startsWith("number is out of the range of long at $.count");
    }

    @Test
    void floatOutOfFloatRange() {
        IngestException e = failure(entry("\"ratio\": 1e39"));

        assertThat(e.path()).isEqualTo("$.ratio");
        assertThat(e.getMessage()).startsWith("number is out of the range of float");
    }

    @Test
    void nullForRequiredField() {
        IngestException e = failure("{\"org_id\": \"o\", \"name\": null}");

        assertThat(e.code()).isEqualTo(IngestErrorCode.MALFORMED_RECORD);
        assertThat(e.path()).isEqualTo("$.name");
        assertThat(e.getMessage()).startsWith("expected string, found JSON null at $.name");
    }

    @Test
    void objectWhereStringExpected() {
        IngestException e = failure("{\"org_id\": \"o\", \"name\": {\"v\": \"" + SECRET + "\"}}");

        assertThat(e.path()).isEqualTo("$.name");
        assertThat(e.getMessage()).startsWith("expected string, found JSON object at $.name");
    }

    @Test
    void booleanWhereUnionHasNoBooleanBranch() {
        IngestException e = failure(entry("\"choice\": true"));

        assertThat(e.path()).isEqualTo("$.choice");
        assertThat(e.getMessage())
                .startsWith(
                        "expected one of [null, long, double, enum test.Color, string, array,"
                            + " record test.Inner (JSON object)], found JSON boolean at $.choice");
    }

    @Test
    void unknownTopLevelField() {
        IngestException e = failure(entry("\"bogus\": \"" + SECRET + "\""));

        assertThat(e.code()).isEqualTo(IngestErrorCode.MALFORMED_RECORD);
        assertThat(e.path()).isEqualTo("$.bogus");
        assertThat(e.getMessage())
                .startsWith("unknown field: the record test.Sample has no such field at $.bogus");
    }

    @Test
    void unknownNestedFieldWithOddName() {
        IngestException e = failure(entry("\"nested\": {\"label\": \"l\", \"we\\\"ird key\": 1}"));

        assertThat(e.path()).isEqualTo("$.nested[\"we\\\"ird key\"]");
        assertThat(e.getMessage()).contains("the record test.Nested has no such field");
    }

    @Test
    void missingRequiredField() {
        IngestException e = failure("{\"org_id\": \"o\", \"count\": 1}");

        assertThat(e.code()).isEqualTo(IngestErrorCode.MALFORMED_RECORD);
        assertThat(e.path()).isEqualTo("$.name");
        assertThat(e.getMessage())
                .isEqualTo(
                        "missing required field of record test.Sample at $.name in writer schema"
                                + " test.Sample");
    }

    @Test
    void missingRequiredNestedField() {
        IngestException e = failure(entry("\"nested\": {\"grid\": null}"));

        assertThat(e.path()).isEqualTo("$.nested.label");
        assertThat(e.getMessage()).startsWith("missing required field of record test.Nested");
    }

    @Test
    void topLevelArrayRejected() {
        IngestException e = failure("[" + entry("") + "]");

        assertThat(e.code()).isEqualTo(IngestErrorCode.MALFORMED_RECORD);
        assertThat(e.path()).isEqualTo("$");
        assertThat(e.getMessage()).startsWith("top-level JSON value is an array");
    }

    @Test
    void topLevelScalarsRejected() {
        for (String json : List.of("\"" + SECRET + "\"", "42", "null", "true")) {
            IngestException e = failure(json);

            assertThat(e.code()).as(json).isEqualTo(IngestErrorCode.MALFORMED_RECORD);
            assertThat(e.path()).as(json).isEqualTo("$");
            assertThat(e.getMessage()).as(json).startsWith("top-level JSON value is a");
        }
    }

    @Test
    void emptyInputRejected() {
        for (String json : List.of("", "  \n")) {
            IngestException e = failure(json);

            assertThat(e.code()).isEqualTo(IngestErrorCode.MALFORMED_RECORD);
            assertThat(e.getMessage()).startsWith("empty input: expected a JSON object at $");
        }
    }

    @Test
    void tombstoneRejected() {
        IngestException e = catchThrowableOfType(IngestException.class, () -> decoder.decode(null));

        assertThat(e.code()).isEqualTo(IngestErrorCode.MALFORMED_RECORD);
        assertThat(e.getMessage()).startsWith("record value is null (a tombstone)");
    }

    @Test
    void contentAfterObjectRejected() {
        IngestException e = failure(entry("") + " {\"org_id\": \"" + SECRET + "\"}");

        assertThat(e.path()).isEqualTo("$");
        assertThat(e.getMessage()).startsWith("a JSON object follows the top-level object");
    }

    @Test
    void duplicateRecordKey() {
        IngestException e = failure(entry("\"count\": 1, \"count\": 2"));

        assertThat(e.code()).isEqualTo(IngestErrorCode.MALFORMED_RECORD);
        assertThat(e.path()).isEqualTo("$.count");
        assertThat(e.getMessage()).startsWith("duplicate key at $.count");
    }

    @Test
    void duplicateMapKeyNamesEntryNotKey() {
        IngestException e =
                failure(
                        entry(
                                "\"attrs\": {\"a\": \"1\", \""
                                        + SECRET
                                        + "\": \"2\", \""
                                        + SECRET
                                        + "\": \"3\"}"));

        assertThat(e.path()).isEqualTo("$.attrs{2}");
        assertThat(e.getMessage()).startsWith("duplicate key at $.attrs{2}");
    }

    @Test
    void nestingPastMaxDepth() {
        // Depth 1 is the top-level record, 2 nested, 3 grid, 4 a row: an item inside a row is 5.
        IngestException e =
                failure(entry("\"nested\": {\"label\": \"l\", \"grid\": [[1], [2, [3]]]}"));

        assertThat(e.code()).isEqualTo(IngestErrorCode.MALFORMED_RECORD);
        assertThat(e.path()).isEqualTo("$.nested.grid[1][1]");
        assertThat(e.getMessage()).startsWith("expected int, found JSON array");
    }

    @Test
    void containerPastMaxDepth() {
        JsonValueDecoder shallow =
                new JsonValueDecoder(SAMPLE, DecoderOptions.defaults().withMaxDepth(3));

        IngestException e =
                catchThrowableOfType(
                        IngestException.class,
                        () ->
                                shallow.decode(
                                        entry("\"nested\": {\"label\": \"l\", \"grid\": [[1]]}")
                                                .getBytes(StandardCharsets.UTF_8)));

        assertThat(e.code()).isEqualTo(IngestErrorCode.MALFORMED_RECORD);
        assertThat(e.path()).isEqualTo("$.nested.grid[0]");
        assertThat(e.getMessage()).startsWith("nesting is deeper than the max depth 3");
    }

    @Test
    void deepRecursionStopsAtMaxDepth() {
        Schema tree =
                new Schema.Parser()
                        .parse(
                                """
                                {"type": "record", "name": "Root", "fields": [
                                  {"name": "org_id", "type": "string"},
                                  {"name": "child", "type": ["null", {"type": "record", "name": "Node",
                                    "fields": [{"name": "child", "type": ["null", "Node"]}]}]}]}
                                """);
        JsonValueDecoder treeDecoder = new JsonValueDecoder(tree, DecoderOptions.defaults());
        String json = "{\"org_id\": \"o\", " + "\"child\": {".repeat(20_000) + "}".repeat(20_001);

        IngestException e =
                catchThrowableOfType(
                        IngestException.class,
                        () -> treeDecoder.decode(json.getBytes(StandardCharsets.UTF_8)));

        assertThat(e.code()).isEqualTo(IngestErrorCode.MALFORMED_RECORD);
        assertThat(e.path()).isEqualTo("$" + ".child".repeat(DecoderOptions.DEFAULT_MAX_DEPTH));
        assertThat(e.getMessage()).startsWith("nesting is deeper than the max depth 32");
    }

    @Test
    void badEnumSymbol() {
        IngestException e = failure(entry("\"color\": \"" + SECRET + "\""));

        assertThat(e.code()).isEqualTo(IngestErrorCode.MALFORMED_RECORD);
        assertThat(e.path()).isEqualTo("$.color");
        assertThat(e.getMessage())
                .startsWith(
                        "expected one of [null, enum test.Color], found JSON string at $.color");
    }

    @Test
    void badEnumSymbolOutsideUnion() {
        Schema schema =
                new Schema.Parser()
                        .parse(
                                """
                                {"type": "record", "name": "E", "fields": [
                                  {"name": "org_id", "type": "string"},
                                  {"name": "level", "type": {"type": "enum", "name": "Level",
                                    "symbols": ["LOW", "HIGH"], "default": "LOW"}}]}
                                """);
        JsonValueDecoder enumDecoder = new JsonValueDecoder(schema, DecoderOptions.defaults());

        IngestException e =
                catchThrowableOfType(
                        IngestException.class,
                        () ->
                                enumDecoder.decode(
                                        ("{\"org_id\": \"o\", \"level\": \"" + SECRET + "\"}")
                                                .getBytes(StandardCharsets.UTF_8)));

        assertThat(e.code()).isEqualTo(IngestErrorCode.MALFORMED_RECORD);
        assertThat(e.path()).isEqualTo("$.level");
        assertThat(e.getMessage())
                .startsWith("string is not a symbol of enum Level (symbols: LOW, HIGH) at $.level")
                .doesNotContain(SECRET);
    }

    @Test
    void invalidBase64() {
        IngestException e = failure(entry("\"blob\": \"not base64!\""));

        assertThat(e.path()).isEqualTo("$.blob");
        assertThat(e.getMessage()).startsWith("string is not valid base64 for bytes");
    }

    @Test
    void fixedOfWrongSize() {
        IngestException e = failure(entry("\"digest\": \"AAEC\""));

        assertThat(e.path()).isEqualTo("$.digest");
        assertThat(e.getMessage())
                .startsWith("fixed test.Digest needs 4 bytes, the base64 string holds 3");
    }

    @Test
    void timestampFromStringRejected() {
        IngestException e = failure(entry("\"at\": \"2025-03-03T12:00:00Z\""));

        assertThat(e.path()).isEqualTo("$.at");
        assertThat(e.getMessage()).startsWith("expected one of [null, long], found JSON string");
    }

    @Test
    void decimalWithTooManyFractionDigits() {
        IngestException e = failure(entry("\"price\": 1.005"));

        assertThat(e.path()).isEqualTo("$.price");
        assertThat(e.getMessage())
                .startsWith("number has more fractional digits than the decimal scale 2");
    }

    @Test
    void decimalWithHugeExponent() {
        IngestException e = failure(entry("\"price\": 1e999999999"));

        assertThat(e.path()).isEqualTo("$.price");
        assertThat(e.getMessage())
                .startsWith("number has more integer digits than decimal(6, 2) allows");
    }

    @Test
    void arrayItemOfWrongType() {
        IngestException e = failure(entry("\"tags\": [\"a\", \"b\", 3]"));

        assertThat(e.path()).isEqualTo("$.tags[2]");
        assertThat(e.getMessage()).startsWith("expected string, found JSON integer at $.tags[2]");
    }

    @Test
    void mapValueOfWrongType() {
        IngestException e = failure(entry("\"attrs\": {\"a\": \"1\", \"" + SECRET + "\": false}"));

        assertThat(e.path()).isEqualTo("$.attrs{1}");
        assertThat(e.getMessage()).startsWith("expected string, found JSON boolean at $.attrs{1}");
    }

    @Test
    void syntaxErrorKeepsInputOutOfMessage() {
        IngestException e = failure("{\"org_id\": \"o\", \"name\": " + SECRET + "}");

        assertThat(e.code()).isEqualTo(IngestErrorCode.MALFORMED_RECORD);
        assertThat(e.path()).isEqualTo("$.name");
        assertThat(e.getMessage()).startsWith("not well-formed JSON at $.name (line 1, column");
    }

    @Test
    void invalidUtf8Rejected() {
        byte[] prefix = "{\"org_id\": \"o\", \"name\": \"".getBytes(StandardCharsets.UTF_8);
        byte[] value = java.util.Arrays.copyOf(prefix, prefix.length + 3);
        value[prefix.length] = (byte) 0xc3;
        value[prefix.length + 1] = '"';
        value[prefix.length + 2] = '}';

        IngestException e =
                catchThrowableOfType(IngestException.class, () -> decoder.decode(value));

        assertThat(e.code()).isEqualTo(IngestErrorCode.MALFORMED_RECORD);
        assertThat(e.path()).isEqualTo("$.name");
        assertThat(e.getMessage()).startsWith("not well-formed JSON at $.name");
    }

    @Test
    void truncatedJson() {
        IngestException e = failure("{\"org_id\": \"o\", \"name\": \"" + SECRET);

        assertThat(e.code()).isEqualTo(IngestErrorCode.MALFORMED_RECORD);
        assertThat(e.path()).isEqualTo("$.name");
        assertThat(e.getMessage()).startsWith("truncated JSON: input ended inside a value");
    }

    @Test
    void orgIdMissing() {
        IngestException e = failure("{\"name\": \"n\"}");

        assertThat(e.code()).isEqualTo(IngestErrorCode.MISSING_ORG_ID);
        assertThat(e.path()).isEqualTo("$.org_id");
        assertThat(e.getMessage()).startsWith("org id field is missing at $.org_id");
    }

    @Test
    void orgIdNullOrNotString() {
        for (String value : List.of("null", "42", "true", "{\"id\": \"x\"}", "[\"x\"]")) {
            IngestException e = failure("{\"org_id\": " + value + ", \"name\": \"n\"}");

            assertThat(e.code()).as(value).isEqualTo(IngestErrorCode.MISSING_ORG_ID);
            assertThat(e.path()).as(value).isEqualTo("$.org_id");
            assertThat(e.getMessage()).as(value).contains("expected a non-empty string");
        }
    }

    @Test
    void orgIdCheckedOnlyAtTopLevel() throws Exception {
        Schema tree =
                new Schema.Parser()
                        .parse(
                                """
                                {"type": "record", "name": "Org", "fields": [
                                  {"name": "org_id", "type": ["null", "string"], "default": null},
                                  {"name": "parent", "type": ["null", "Org"], "default": null}]}
                                """);
        JsonValueDecoder treeDecoder = new JsonValueDecoder(tree, DecoderOptions.defaults());

        GenericRecord record =
                treeDecoder.decode(
                        "{\"org_id\": \"child\", \"parent\": {}}".getBytes(StandardCharsets.UTF_8));

        assertThat(((GenericRecord) record.get("parent")).get("org_id")).isNull();
    }

    @Test
    void orgIdEmptyPassesToExtractor() throws Exception {
        GenericRecord record = decode("{\"org_id\": \"\", \"name\": \"n\"}");

        IngestException e =
                catchThrowableOfType(
                        IngestException.class,
                        () -> new OrgIdExtractor(DecoderOptions.defaults()).extract(record));

        assertThat(e.code()).isEqualTo(IngestErrorCode.MISSING_ORG_ID);
    }

    @Test
    void kongHeaderValueOfWrongType() {
        JsonValueDecoder kong =
                new JsonValueDecoder(KongSchemas.kongSchema(), DecoderOptions.defaults());
        String json =
                new String(
                                KongSchemas.resource("kong-entry-kong-answered.json"),
                                StandardCharsets.UTF_8)
                        .replace("\"apikey\": \"\"", "\"apikey\": 12345");

        IngestException e =
                catchThrowableOfType(
                        IngestException.class,
                        () -> kong.decode(json.getBytes(StandardCharsets.UTF_8)));

        assertThat(e.code()).isEqualTo(IngestErrorCode.MALFORMED_RECORD);
        assertThat(e.path()).isEqualTo("$.request.headers{1}");
        assertThat(e.getMessage())
                .startsWith(
                        "expected one of [string, array], found JSON integer at"
                                + " $.request.headers{1}")
                .endsWith("in writer schema io.cmekflink.kong.KongLogEntry")
                .doesNotContain("12345");
    }

    @Test
    void kongStatusAsString() {
        JsonValueDecoder kong =
                new JsonValueDecoder(KongSchemas.kongSchema(), DecoderOptions.defaults());
        String json =
                new String(
                                KongSchemas.resource("kong-entry-kong-answered.json"),
                                StandardCharsets.UTF_8)
                        .replace("\"status\": 401", "\"status\": \"401\"");

        IngestException e =
                catchThrowableOfType(
                        IngestException.class,
                        () -> kong.decode(json.getBytes(StandardCharsets.UTF_8)));

        assertThat(e.path()).isEqualTo("$.response.status");
        assertThat(e.getMessage()).startsWith("expected int, found JSON string");
    }

    @Test
    void kongBatchArrayRejected() {
        JsonValueDecoder kong =
                new JsonValueDecoder(KongSchemas.kongSchema(), DecoderOptions.defaults());
        byte[] singleEntry = KongSchemas.resource("kong-entry-kong-answered.json");
        String batch = "[" + new String(singleEntry, StandardCharsets.UTF_8) + "]";

        IngestException e =
                catchThrowableOfType(
                        IngestException.class,
                        () -> kong.decode(batch.getBytes(StandardCharsets.UTF_8)));

        assertThat(e.getMessage()).contains("max_batch_size > 1");
    }
}
