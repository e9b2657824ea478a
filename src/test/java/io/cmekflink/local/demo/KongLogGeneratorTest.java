package io.cmekflink.local.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.cmekflink.ingest.AvroBinaryValueDecoder;
import io.cmekflink.ingest.DecoderOptions;
import io.cmekflink.ingest.JsonValueDecoder;
import io.cmekflink.ingest.SchemaFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class KongLogGeneratorTest {

    private static final List<String> ORGS = List.of("org-alpha", "org-beta", "org-gamma");
    private static final int ENTRIES = 2_000;

    private static Schema schema;
    private static List<GeneratedKongEntry> entries;

    @BeforeAll
    static void generate() {
        schema = SchemaFiles.parse(Path.of("schemas/kong-log-entry.avsc"));
        entries = new KongLogGenerator(schema, ORGS, 42L).next(ENTRIES);
    }

    @Test
    void sameSeedGivesSameEntries() {
        List<GeneratedKongEntry> again = new KongLogGenerator(schema, ORGS, 42L).next(ENTRIES);

        for (int i = 0; i < ENTRIES; i++) {
            assertThat(again.get(i).json()).as("entry %d", i).isEqualTo(entries.get(i).json());
            assertThat(again.get(i).record()).as("entry %d", i).isEqualTo(entries.get(i).record());
            assertThat(again.get(i).sensitiveValues())
                    .as("entry %d", i)
                    .containsExactlyElementsOf(entries.get(i).sensitiveValues());
        }
    }

    @Test
    void otherSeedGivesOtherEntries() {
        GeneratedKongEntry other = new KongLogGenerator(schema, ORGS, 43L).next();

        assertThat(other.json()).isNotEqualTo(entries.get(0).json());
    }

    @Test
    void jsonIngestsThroughJsonDecoder() throws Exception {
        JsonValueDecoder decoder = new JsonValueDecoder(schema, DecoderOptions.defaults());

        for (int i = 0; i < ENTRIES; i++) {
            GenericRecord decoded = decoder.decode(entries.get(i).json());

            assertThat(decoded).as("entry %d", i).isEqualTo(entries.get(i).record());
        }
    }

    @Test
    void recordsRoundTripThroughAvroBinary() throws Exception {
        AvroBinaryValueDecoder decoder =
                new AvroBinaryValueDecoder(schema, DecoderOptions.defaults());

        for (int i = 0; i < ENTRIES; i++) {
            GenericRecord record = entries.get(i).record();

            assertThat(decoder.decode(encode(record))).as("entry %d", i).isEqualTo(record);
        }
    }

    @Test
    void entriesBelongToGivenOrgs() {
        for (GeneratedKongEntry entry : entries) {
            assertThat(ORGS).contains(entry.orgId());
            assertThat(entry.record().get("org_id")).hasToString(entry.orgId());
        }
        assertThat(entries.stream().map(GeneratedKongEntry::orgId).distinct()).hasSize(3);
    }

    @Test
    void sensitiveValuesOccurOnlyInMarkedFields() {
        int reported = 0;
        for (int i = 0; i < ENTRIES; i++) {
            GeneratedKongEntry entry = entries.get(i);
            List<String> marked = new ArrayList<>();
            List<String> unmarked = new ArrayList<>();
            collect(entry.record(), schema, false, marked, unmarked);

            for (String value : entry.sensitiveValues()) {
                assertThat(value.length()).as("entry %d", i).isGreaterThanOrEqualTo(6);
                assertThat(marked)
                        .as("entry %d: a marked field holds %s", i, value)
                        .anyMatch(text -> text.contains(value));
                assertThat(unmarked)
                        .as("entry %d: no unmarked field holds %s", i, value)
                        .noneMatch(text -> text.contains(value));
                reported++;
            }
            assertThat(entry.sensitiveValues()).as("entry %d", i).isNotEmpty();
        }
        assertThat(reported).isGreaterThan(ENTRIES * 5);
    }

    @Test
    void everyMarkedStringWithATokenIsReported() {
        // client_ip is marked in every entry and is always reported.
        for (GeneratedKongEntry entry : entries) {
            assertThat(entry.sensitiveValues())
                    .contains(entry.record().get("client_ip").toString());
        }
    }

    @Test
    void entriesCoverTheHardShapes() {
        int largeBodies = 0;
        int repeatedHeaders = 0;
        int flags = 0;
        int emptyStrings = 0;
        int nonAscii = 0;
        int anonymous = 0;
        int explicitNulls = 0;
        int floatNanos = 0;
        int integerUpstreamStatus = 0;
        int answeredByKong = 0;

        for (GeneratedKongEntry entry : entries) {
            GenericRecord record = entry.record();
            GenericRecord request = (GenericRecord) record.get("request");
            String json = new String(entry.json(), StandardCharsets.UTF_8);

            if (bodyLength(request) >= 20_000
                    || bodyLength((GenericRecord) record.get("response")) >= 20_000) {
                largeBodies++;
            }
            Map<?, ?> headers = (Map<?, ?>) request.get("headers");
            if (headers.values().stream().anyMatch(v -> v instanceof List)) {
                repeatedHeaders++;
            }
            Map<?, ?> query = (Map<?, ?>) request.get("querystring");
            if (query.values().contains(Boolean.TRUE)) {
                flags++;
            }
            if (json.contains("\"\"")) {
                emptyStrings++;
            }
            if (json.chars().anyMatch(c -> c > 0x7f)) {
                nonAscii++;
            }
            if (record.get("consumer") == null) {
                anonymous++;
            }
            if (json.contains(":null")) {
                explicitNulls++;
            }
            if (json.contains("\"balancer_start_ns\":1.")
                    && json.matches("(?s).*\"balancer_start_ns\":1\\.\\d+e\\+18[,}].*")) {
                floatNanos++;
            }
            if (record.get("upstream_status") instanceof Integer) {
                integerUpstreamStatus++;
            }
            if (record.get("source").toString().equals("kong")) {
                answeredByKong++;
            }
            assertThat(json).contains("\\/");
        }

        assertThat(largeBodies).isGreaterThan(10);
        assertThat(repeatedHeaders).isGreaterThan(100);
        assertThat(flags).isGreaterThan(100);
        assertThat(emptyStrings).isGreaterThan(100);
        assertThat(nonAscii).isGreaterThan(100);
        assertThat(anonymous).isGreaterThan(100);
        assertThat(explicitNulls).isGreaterThan(100);
        assertThat(floatNanos).isGreaterThan(1_000);
        assertThat(integerUpstreamStatus).isGreaterThan(10);
        assertThat(answeredByKong).isGreaterThan(100);
    }

    @Test
    void emptyOrgListRejected() {
        IllegalArgumentException e =
                catchThrowableOfType(
                        IllegalArgumentException.class,
                        () -> new KongLogGenerator(schema, List.of(), 1L));

        assertThat(e.getMessage()).isEqualTo("orgIds must name at least one org");
    }

    @Test
    void otherSchemaRejected() {
        Schema other =
                new Schema.Parser()
                        .parse(
                                "{\"type\": \"record\", \"name\": \"Other\", \"fields\":"
                                        + " [{\"name\": \"org_id\", \"type\": \"string\"}]}");

        IllegalArgumentException e =
                catchThrowableOfType(
                        IllegalArgumentException.class,
                        () -> new KongLogGenerator(other, ORGS, 1L));

        assertThat(e.getMessage())
                .isEqualTo(
                        "schema Other has no field request; pass the Kong log entry schema"
                                + " (schemas/kong-log-entry.avsc)");
    }

    private static int bodyLength(GenericRecord message) {
        Object body = message.get("body");
        return body == null ? 0 : body.toString().length();
    }

    /** Collects every string of a value, split by whether a sensitive mark covers it. */
    private static void collect(
            Object value,
            Schema schema,
            boolean marked,
            List<String> markedOut,
            List<String> unmarkedOut) {
        if (value == null) {
            return;
        }
        switch (schema.getType()) {
            case UNION -> {
                int branch = GenericData.get().resolveUnion(schema, value);
                collect(value, schema.getTypes().get(branch), marked, markedOut, unmarkedOut);
            }
            case RECORD -> {
                GenericRecord record = (GenericRecord) value;
                for (Schema.Field field : schema.getFields()) {
                    boolean fieldMarked =
                            marked || Boolean.TRUE.equals(field.getObjectProp("sensitive"));
                    collect(
                            record.get(field.pos()),
                            field.schema(),
                            fieldMarked,
                            markedOut,
                            unmarkedOut);
                }
            }
            case MAP -> {
                for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
                    (marked ? markedOut : unmarkedOut).add(entry.getKey().toString());
                    collect(
                            entry.getValue(),
                            schema.getValueType(),
                            marked,
                            markedOut,
                            unmarkedOut);
                }
            }
            case ARRAY -> {
                for (Object item : (Collection<?>) value) {
                    collect(item, schema.getElementType(), marked, markedOut, unmarkedOut);
                }
            }
            case STRING, ENUM -> (marked ? markedOut : unmarkedOut).add(value.toString());
            default -> {}
        }
    }

    private static byte[] encode(GenericRecord record) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(record.getSchema()).write(record, encoder);
        encoder.flush();
        return out.toByteArray();
    }
}
