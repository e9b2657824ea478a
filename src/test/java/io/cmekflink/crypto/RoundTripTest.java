package io.cmekflink.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import io.cmekflink.dek.Dek;
import io.cmekflink.schema.DerivationOptions;
import io.cmekflink.schema.DerivedSchema;
import io.cmekflink.schema.MarkingRules;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.avro.Conversions;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.util.Utf8;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Seals and opens one marked value of every Avro type, between two other marked values. */
class RoundTripTest {

    private static final DerivationOptions OPTIONS =
            DerivationOptions.of(MarkingRules.sensitiveOnly());

    /** Builds a writer schema with the marked field {@code value} of {@code valueSchema}. */
    private static Schema writerWith(String valueSchema) {
        return new Schema.Parser()
                .parse(
                        ("{'type':'record','name':'Case','namespace':'test','fields':["
                                        + "{'name':'org_id','type':'string'},"
                                        + "{'name':'before','type':'string','sensitive':true},"
                                        + "{'name':'value','type':"
                                        + valueSchema
                                        + ",'sensitive':true},"
                                        + "{'name':'plain','type':'int'},"
                                        + "{'name':'after','type':'string','sensitive':true}]}")
                                .replace('\'', '"'));
    }

    static Stream<Arguments> values() {
        Schema enumSchema = Schema.createEnum("Color", null, "test", List.of("RED", "GREEN"));
        Schema fixedSchema = Schema.createFixed("Hash", null, "test", 4);
        Schema decimalFixed =
                LogicalTypes.decimal(12, 3).addToSchema(Schema.createFixed("Dec", null, "test", 6));
        Schema decimalBytes =
                LogicalTypes.decimal(9, 2).addToSchema(Schema.create(Schema.Type.BYTES));
        Schema inner =
                new Schema.Parser()
                        .parse(
                                "{\"type\":\"record\",\"name\":\"Inner\",\"namespace\":\"test\",\"fields\":["
                                    + "{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"b\",\"type\":[\"null\",\"string\"]}]}");
        GenericData.Record innerValue = new GenericData.Record(inner);
        innerValue.put("a", 7);
        innerValue.put("b", "x");
        Map<String, Integer> map = new LinkedHashMap<>();
        map.put("z", 1);
        map.put("a", -2);
        return Stream.of(
                Arguments.of("boolean true", "'boolean'", true),
                Arguments.of("boolean false", "'boolean'", false),
                Arguments.of("int min", "'int'", Integer.MIN_VALUE),
                Arguments.of("int max", "'int'", Integer.MAX_VALUE),
                Arguments.of("long min", "'long'", Long.MIN_VALUE),
                Arguments.of("float", "'float'", 1.5f),
                Arguments.of("float negative zero", "'float'", -0.0f),
                Arguments.of("float NaN with payload", "'float'", Float.intBitsToFloat(0x7fc00123)),
                Arguments.of("double", "'double'", Math.PI),
                Arguments.of(
                        "double NaN with payload",
                        "'double'",
                        Double.longBitsToDouble(0x7ff8000000000abcL)),
                Arguments.of("double infinity", "'double'", Double.NEGATIVE_INFINITY),
                Arguments.of("bytes empty", "'bytes'", ByteBuffer.allocate(0)),
                Arguments.of(
                        "bytes", "'bytes'", ByteBuffer.wrap(new byte[] {0, (byte) 0xFF, 0x7F})),
                Arguments.of("string empty", "'string'", ""),
                Arguments.of("string non-ASCII", "'string'", "Grüße, 世界 🙂"),
                Arguments.of("string 1 MB", "'string'", "x".repeat(1 << 20)),
                Arguments.of(
                        "enum",
                        enumSchema.toString(),
                        new GenericData.EnumSymbol(enumSchema, "GREEN")),
                Arguments.of(
                        "fixed",
                        fixedSchema.toString(),
                        new GenericData.Fixed(fixedSchema, new byte[] {1, 2, 3, 4})),
                Arguments.of("array", "{'type':'array','items':'string'}", List.of("a", "", "c")),
                Arguments.of("array empty", "{'type':'array','items':'string'}", List.of()),
                Arguments.of("map", "{'type':'map','values':'int'}", map),
                Arguments.of("record", inner.toString(), innerValue),
                Arguments.of("union string branch", "['null','string','int']", "s"),
                Arguments.of("union int branch", "['null','string','int']", 42),
                Arguments.of(
                        "union null branch in nullable field", "['null','string','int']", null),
                Arguments.of("nullable null", "['null','string']", null),
                Arguments.of("nullable present", "['null','string']", "present"),
                Arguments.of("null second", "['string','null']", null),
                Arguments.of(
                        "decimal bytes",
                        decimalBytes.toString(),
                        new Conversions.DecimalConversion()
                                .toBytes(
                                        new BigDecimal("-1234567.89"),
                                        decimalBytes,
                                        decimalBytes.getLogicalType())),
                Arguments.of(
                        "decimal fixed",
                        decimalFixed.toString(),
                        new Conversions.DecimalConversion()
                                .toFixed(
                                        new BigDecimal("123456789.123"),
                                        decimalFixed,
                                        decimalFixed.getLogicalType())),
                Arguments.of(
                        "uuid",
                        "{'type':'string','logicalType':'uuid'}",
                        UUID.fromString("3f2504e0-4f89-11d3-9a0c-0305e82c3301").toString()),
                Arguments.of("date", "{'type':'int','logicalType':'date'}", 20_061),
                Arguments.of(
                        "time-millis", "{'type':'int','logicalType':'time-millis'}", 86_399_999),
                Arguments.of(
                        "time-micros",
                        "{'type':'long','logicalType':'time-micros'}",
                        86_399_999_999L),
                Arguments.of(
                        "timestamp-millis",
                        "{'type':'long','logicalType':'timestamp-millis'}",
                        1_733_300_000_123L),
                Arguments.of(
                        "timestamp-micros",
                        "{'type':'long','logicalType':'timestamp-micros'}",
                        -1L),
                Arguments.of(
                        "timestamp-nanos",
                        "{'type':'long','logicalType':'timestamp-nanos'}",
                        Long.MAX_VALUE),
                Arguments.of(
                        "local-timestamp-millis",
                        "{'type':'long','logicalType':'local-timestamp-millis'}",
                        0L),
                Arguments.of(
                        "local-timestamp-micros",
                        "{'type':'long','logicalType':'local-timestamp-micros'}",
                        1_733_300_000_123_456L));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("values")
    void markedValueRoundTrips(String name, String valueSchema, Object value) throws Exception {
        Schema writer = writerWith(valueSchema);
        DerivedSchema derivedSchema = DerivedSchema.derive(writer, OPTIONS);
        GenericData.Record record = new GenericData.Record(writer);
        record.put("org_id", "org-1");
        record.put("before", "b");
        record.put("value", value);
        record.put("plain", 5);
        record.put("after", "after-value");
        GenericRecord input = Sample.normalise(record);
        Dek dek = Sample.randomDek();

        GenericRecord derived =
                RecordSealer.create(derivedSchema)
                        .seal(input, "org-1", new RecordId("t", 0, 7), dek);
        GenericRecord opened = RecordOpener.create(derivedSchema).open(derived, dek);

        assertThat(Sample.encode(opened)).isEqualTo(Sample.encode(input));
        assertThat(opened).isEqualTo(input);
        Object slice = derived.get("value");
        if (value == null) {
            assertThat(slice).isNull();
        } else {
            int encodedLength =
                    Sample.encode(writer.getField("value").schema(), input.get("value")).length;
            assertThat(((ByteBuffer) slice).remaining()).isEqualTo(encodedLength);
        }
        assertThat(derived.get("plain")).isEqualTo(5);
    }

    @Test
    void recordWithoutPresentMarkedValuesRoundTrips() throws Exception {
        Schema allNullable =
                new Schema.Parser()
                        .parse(
                                "{\"type\":\"record\",\"name\":\"Sparse\",\"fields\":["
                                    + "{\"name\":\"org_id\",\"type\":\"string\"},"
                                    + "{\"name\":\"a\",\"type\":[\"null\",\"string\"],\"sensitive\":true},"
                                    + "{\"name\":\"items\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"record\","
                                    + "\"name\":\"Item\",\"fields\":[{\"name\":\"s\",\"type\":\"string\",\"sensitive\":true}]}}}]}");
        DerivedSchema derivedSchema = DerivedSchema.derive(allNullable, OPTIONS);
        GenericData.Record record = new GenericData.Record(allNullable);
        record.put("org_id", "org-1");
        record.put("a", null);
        record.put("items", List.of());
        GenericRecord input = Sample.normalise(record);
        Dek dek = Sample.randomDek();

        GenericRecord derived =
                RecordSealer.create(derivedSchema)
                        .seal(input, "org-1", new RecordId("t", 0, 7), dek);
        RecordOpener opener = RecordOpener.create(derivedSchema);
        GenericRecord opened = opener.open(derived, dek);

        assertThat(opened).isEqualTo(input);
        assertThat(ParsedAad.parse(opener.associatedData(derived)).marked()).isEmpty();
        assertThat(RecordOpener.envelopeOf(derived).tag()).hasSize(16);
    }

    @Test
    void sampleRecordRoundTripsThroughBytes() throws Exception {
        GenericRecord input = Sample.record("org-1", "req-1");
        Dek dek = Sample.randomDek();
        RecordOpener opener = RecordOpener.create(Sample.DERIVED);

        byte[] bytes =
                RecordSealer.create(Sample.DERIVED)
                        .sealToBytes(input, "org-1", new RecordId("t", 2, 9), dek);
        GenericRecord opened = opener.open(opener.decode(bytes), dek);

        assertThat(opened).isEqualTo(input);
        assertThat(Sample.encode(opened)).isEqualTo(Sample.encode(input));
    }

    @Test
    void openingWithDecryptionOnlyDekWorks() throws Exception {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        Dek sealing =
                Dek.takeOwnershipForEncryption(key.clone(), Sample.EDEK, Sample.KEY_ARN, 10, 99);
        Dek opening = Dek.takeOwnershipForDecryption(key, Sample.EDEK, Sample.KEY_ARN);
        GenericRecord input = Sample.record("org-1", "req-1");

        GenericRecord derived =
                RecordSealer.create(Sample.DERIVED)
                        .seal(input, "org-1", new RecordId("t", 0, 0), sealing);

        assertThat(RecordOpener.create(Sample.DERIVED).open(derived, opening)).isEqualTo(input);
        assertThat(
                        new String(
                                ((ByteBuffer)
                                                RecordOpener.envelopeOf(derived)
                                                        .toRecord()
                                                        .get("edek"))
                                        .array(),
                                StandardCharsets.US_ASCII))
                .isEqualTo("not-a-real-edek:test");
    }

    @Test
    void sampleWithAbsentBranchesRoundTrips() throws Exception {
        GenericRecord input = Sample.record("org-1", "req-1");
        input.put("user", null);
        ((GenericRecord) input.get("request")).put("body", null);
        input.put("payload", new Utf8("plain text branch"));
        input.put("tries", List.of());
        Dek dek = Sample.randomDek();
        RecordOpener opener = RecordOpener.create(Sample.DERIVED);

        GenericRecord derived =
                RecordSealer.create(Sample.DERIVED)
                        .seal(input, "org-1", new RecordId("t", 0, 1), dek);

        assertThat(opener.open(derived, dek)).isEqualTo(input);
        assertThat(ParsedAad.parse(opener.associatedData(derived)).paths())
                .containsExactly(
                        "client_ip",
                        "request.headers",
                        "routes[\"backup\"].secret",
                        "routes[\"primary\"].secret",
                        "amount");
        assertThat(derived.get("payload").toString()).isEqualTo("plain text branch");
    }

    @Test
    void typeUsedMarkedAndUnmarkedRoundTrips() throws Exception {
        Schema writer =
                new Schema.Parser()
                        .parse(
                                """
                                {"type": "record", "name": "Shared", "namespace": "test", "fields": [
                                  {"name": "org_id", "type": "string"},
                                  {"name": "home", "type": {"type": "record", "name": "Address", "fields": [
                                    {"name": "street", "type": "string", "sensitive": true},
                                    {"name": "zip", "type": "string"}]}},
                                  {"name": "whole", "type": "Address", "sensitive": true},
                                  {"name": "others", "type": {"type": "map", "values": "Address"}}]}
                                """);
        DerivedSchema derivedSchema = DerivedSchema.derive(writer, OPTIONS);
        Schema address = writer.getField("home").schema();
        GenericData.Record home = new GenericData.Record(address);
        home.put("street", "1 Main St");
        home.put("zip", "12345");
        GenericData.Record record = new GenericData.Record(writer);
        record.put("org_id", "org-1");
        record.put("home", home);
        record.put("whole", home);
        record.put("others", Map.of("work", home));
        GenericRecord input = Sample.normalise(record);
        Dek dek = Sample.randomDek();
        RecordOpener opener = RecordOpener.create(derivedSchema);

        GenericRecord derived =
                RecordSealer.create(derivedSchema)
                        .seal(input, "org-1", new RecordId("t", 0, 1), dek);

        assertThat(opener.open(derived, dek)).isEqualTo(input);
        assertThat(ParsedAad.parse(opener.associatedData(derived)).paths())
                .containsExactly("home.street", "whole", "others[\"work\"].street");
        assertThat(((GenericRecord) derived.get("home")).get("zip").toString()).isEqualTo("12345");
        assertThat(derived.get("whole")).isInstanceOf(ByteBuffer.class);
    }
}
