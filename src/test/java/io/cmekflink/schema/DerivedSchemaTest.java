package io.cmekflink.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.avro.JsonProperties;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

class DerivedSchemaTest {

    private static final DerivationOptions SENSITIVE =
            DerivationOptions.of(MarkingRules.sensitiveOnly());

    /** A writer schema with properties, aliases, docs, defaults and logical types everywhere. */
    private static final String KITCHEN_SINK =
            """
            {"type": "record", "name": "Kitchen", "namespace": "test.k", "doc": "top doc",
             "aliases": ["OldKitchen"], "owner": "team-a", "version": 3,
             "fields": [
              {"name": "org_id", "type": "string"},
              {"name": "req", "type": "string"},
              {"name": "ip", "type": "string", "sensitive": true, "doc": "ip doc", "aliases": ["addr_v4"],
               "order": "descending", "pii": {"level": 2, "ratio": 0.5, "tags": [null, "x"]},
               "default": "0.0.0.0"},
              {"name": "count", "type": "long", "sensitive": true, "default": 5},
              {"name": "big", "type": "long", "sensitive": true, "default": 12345678901234},
              {"name": "ratio", "type": "double", "sensitive": true, "default": 1.5},
              {"name": "blob", "type": "bytes", "sensitive": true, "default": "\\u00ff\\u0000"},
              {"name": "maybe", "type": ["string", "null"], "sensitive": true, "default": "x"},
              {"name": "opt", "type": ["null", {"type": "string", "logicalType": "uuid"}],
               "sensitive": true, "default": null},
              {"name": "when", "type": {"type": "long", "logicalType": "timestamp-micros", "unit": "\\u00b5s"},
               "sensitive": true},
              {"name": "price", "sensitive": true, "type": {"type": "fixed", "name": "Money", "size": 8,
               "logicalType": "decimal", "precision": 18, "scale": 4}},
              {"name": "other_price", "type": "Money"},
              {"name": "addr", "default": {"street": "Main", "zip": "1"}, "type": {"type": "record",
               "name": "Address", "doc": "an address", "custom": true, "fields": [
                {"name": "street", "type": "string", "sensitive": true},
                {"name": "zip", "type": "string"}]}},
              {"name": "addrs", "type": {"type": "array", "items": "Address", "java-class": "x"}, "default": []},
              {"name": "opt_addr", "type": ["null", "Address"], "default": null},
              {"name": "tree", "type": {"type": "record", "name": "Node", "fields": [
                {"name": "label", "type": "string", "sensitive": true},
                {"name": "kids", "type": {"type": "array", "items": "Node"}}]}},
              {"name": "status", "sensitive": true, "type": {"type": "enum", "name": "Status",
               "symbols": ["A", "B"], "default": "A", "doc": "s"}},
              {"name": "whole", "type": "Address", "sensitive": true},
              {"name": "plain", "type": {"type": "record", "name": "Plain", "fields": [
                {"name": "n", "type": "int", "default": 7}]}}
             ]}
            """;

    private static Schema kitchenSink() {
        return new Schema.Parser().parse(KITCHEN_SINK);
    }

    @Test
    void marksBecomeBytesKeepingFieldAttributes() {
        DerivedSchema derived = DerivedSchema.derive(kitchenSink(), SENSITIVE);

        Schema.Field ip = derived.derivedSchema().getField("ip");
        assertThat(ip.schema()).isEqualTo(Schema.create(Schema.Type.BYTES));
        assertThat(ip.hasDefaultValue()).isFalse();
        assertThat(ip.doc()).isEqualTo("ip doc");
        assertThat(ip.aliases()).containsExactly("addr_v4");
        assertThat(ip.order()).isEqualTo(Schema.Field.Order.DESCENDING);
        assertThat(ip.getObjectProp("sensitive")).isEqualTo(true);
        assertThat(ip.getObjectProp(DerivedSchema.ORIGINAL_SCHEMA_PROP)).isEqualTo("string");
        assertThat(ip.getObjectProp(DerivedSchema.ORIGINAL_DEFAULT_PROP)).isEqualTo("0.0.0.0");
        assertThat(ip.getObjectProps().keySet())
                .containsExactly(
                        "sensitive", "pii", "cmek.original_schema", "cmek.original_default");
    }

    @Test
    void nullableMarksBecomeNullableBytes() {
        Schema derived = DerivedSchema.derive(kitchenSink(), SENSITIVE).derivedSchema();
        Schema nullableBytes =
                Schema.createUnion(
                        Schema.create(Schema.Type.NULL), Schema.create(Schema.Type.BYTES));

        Schema.Field opt = derived.getField("opt");
        assertThat(opt.schema()).isEqualTo(nullableBytes);
        assertThat(opt.defaultVal()).isEqualTo(JsonProperties.NULL_VALUE);
        assertThat(opt.propsContainsKey(DerivedSchema.ORIGINAL_DEFAULT_PROP)).isFalse();

        Schema.Field maybe = derived.getField("maybe");
        assertThat(maybe.schema()).isEqualTo(nullableBytes);
        assertThat(maybe.hasDefaultValue()).isFalse();
        assertThat(maybe.getObjectProp(DerivedSchema.ORIGINAL_DEFAULT_PROP)).isEqualTo("x");
    }

    @Test
    void recordsWithMarksAreDerivedOncePerName() {
        Schema derived = DerivedSchema.derive(kitchenSink(), SENSITIVE).derivedSchema();

        Schema address = derived.getField("addr").schema();
        assertThat(address.getField("street").schema().getType()).isEqualTo(Schema.Type.BYTES);
        assertThat(address.getObjectProp("custom")).isEqualTo(true);
        assertThat(derived.getField("addrs").schema().getElementType()).isSameAs(address);
        assertThat(derived.getField("opt_addr").schema().getTypes().get(1)).isSameAs(address);
        assertThat(derived.getField("addrs").schema().getObjectProp("java-class")).isEqualTo("x");

        Schema node = derived.getField("tree").schema();
        assertThat(node.getField("label").schema().getType()).isEqualTo(Schema.Type.BYTES);
        assertThat(node.getField("kids").schema().getElementType()).isSameAs(node);
    }

    @Test
    void changedFieldsKeepOnlyNullDefaults() {
        Schema derived = DerivedSchema.derive(kitchenSink(), SENSITIVE).derivedSchema();

        Schema.Field addr = derived.getField("addr");
        assertThat(addr.hasDefaultValue()).isFalse();
        assertThat(addr.getObjectProp(DerivedSchema.ORIGINAL_DEFAULT_PROP))
                .isEqualTo(Map.of("street", "Main", "zip", "1"));
        assertThat(derived.getField("addrs").getObjectProp(DerivedSchema.ORIGINAL_DEFAULT_PROP))
                .isEqualTo(List.of());
        assertThat(derived.getField("opt_addr").defaultVal()).isEqualTo(JsonProperties.NULL_VALUE);
    }

    @Test
    void unmarkedPartsStayTheSame() {
        Schema writer = kitchenSink();
        Schema derived = DerivedSchema.derive(writer, SENSITIVE).derivedSchema();

        assertThat(derived.getField("plain").schema()).isSameAs(writer.getField("plain").schema());
        assertThat(derived.getField("other_price").schema())
                .isSameAs(writer.getField("other_price").schema());
        assertThat(derived.getField("plain").defaultVal()).isNull();
    }

    @Test
    void topLevelGainsEnvelopeAndOptions() {
        DerivedSchema derived =
                DerivedSchema.derive(
                        kitchenSink(), SENSITIVE.withBindingFields(List.of("req", "plain.n")));
        Schema schema = derived.derivedSchema();
        List<Schema.Field> fields = schema.getFields();

        assertThat(fields.get(fields.size() - 1).name()).isEqualTo("cmek_envelope");
        assertThat(fields.get(fields.size() - 1).schema()).isEqualTo(EnvelopeSchema.SCHEMA);
        assertThat(schema.getObjectProp(DerivedSchema.ORG_ID_FIELD_PROP)).isEqualTo("org_id");
        assertThat(schema.getObjectProp(DerivedSchema.BINDING_FIELDS_PROP))
                .isEqualTo(List.of("req", "plain.n"));
        assertThat(schema.getObjectProp("owner")).isEqualTo("team-a");
        assertThat(derived.bindingFields())
                .extracting(DerivedSchema.FieldRef::path)
                .containsExactly("req", "plain.n");
        assertThat(derived.bindingFields().get(1).positions()).containsExactly(18, 0);
        assertThat(derived.orgIdField().positions()).containsExactly(0);
    }

    @Test
    void restoresWriterSchemaExactly() {
        Schema writer = kitchenSink();
        DerivedSchema derived = DerivedSchema.derive(writer, SENSITIVE);

        DerivedSchema reread = DerivedSchema.fromJson(derived.json());

        assertThat(reread.writerSchema()).isEqualTo(writer);
        assertThat(reread.writerSchema().toString()).isEqualTo(writer.toString());
        assertThat(reread.writerSchema().getField("when").schema().getLogicalType().getName())
                .isEqualTo("timestamp-micros");
        assertThat(reread.writerSchema().getField("price").schema().getLogicalType().getName())
                .isEqualTo("decimal");
        assertThat(reread.writerSchema().getField("count").defaultVal()).isEqualTo(5L);
        assertThat(reread.json()).isEqualTo(derived.json());
        assertThat(reread.exactFingerprint()).isEqualTo(derived.exactFingerprint());
        assertThat(reread.layoutFingerprint()).isEqualTo(derived.layoutFingerprint());
    }

    @Test
    void listsMarkedFieldsTheSameAfterRestoring() {
        DerivedSchema derived = DerivedSchema.derive(kitchenSink(), SENSITIVE);
        DerivedSchema reread = DerivedSchema.fromJson(derived.json());

        List<String> expected =
                List.of(
                        "test.k.Kitchen.ip",
                        "test.k.Kitchen.count",
                        "test.k.Kitchen.big",
                        "test.k.Kitchen.ratio",
                        "test.k.Kitchen.blob",
                        "test.k.Kitchen.maybe",
                        "test.k.Kitchen.opt",
                        "test.k.Kitchen.when",
                        "test.k.Kitchen.price",
                        "test.k.Address.street",
                        "test.k.Node.label",
                        "test.k.Kitchen.status",
                        "test.k.Kitchen.whole");
        assertThat(derived.markedFields())
                .extracting(MarkedField::toString)
                .containsExactlyElementsOf(expected);
        assertThat(reread.markedFields())
                .extracting(MarkedField::toString)
                .containsExactlyElementsOf(expected);
        assertThat(reread.markedFields())
                .extracting(MarkedField::schema)
                .containsExactlyElementsOf(
                        derived.markedFields().stream().map(MarkedField::schema).toList());
    }

    @Test
    void derivesTheSameJsonEveryTime() {
        DerivedSchema first = DerivedSchema.derive(kitchenSink(), SENSITIVE);
        DerivedSchema second = DerivedSchema.derive(kitchenSink(), SENSITIVE);

        assertThat(second.json()).isEqualTo(first.json());
        assertThat(second.exactFingerprint()).isEqualTo(first.exactFingerprint());
        assertThat(second.layoutFingerprint()).isEqualTo(first.layoutFingerprint());
        assertThat(new Schema.Parser().parse(first.json()).toString()).isEqualTo(first.json());
    }

    @Test
    void sampleSchemaMatchesGoldenFile() throws IOException {
        Schema writer = new Schema.Parser().parse(resource("/golden/request-log.avsc"));
        DerivedSchema derived =
                DerivedSchema.derive(
                        writer,
                        DerivationOptions.of(MarkingRules.withConfluentTags(List.of("PII")))
                                .withBindingFields(List.of("request_id", "received_at")));

        assertThat(derived.fileName())
                .isEqualTo("io.cmekflink.sample.RequestLog-5dbf894b8697cd5a.avsc");
        assertThat(resource("/golden/derived/" + derived.fileName()))
                .isEqualTo(derived.json() + "\n");
    }

    @Test
    void versionsDifferingInOriginalSchemasShareLayout() {
        Schema v1 = Schemas.top("{'name':'secret','type':'string','sensitive':true}");
        Schema v2 = Schemas.top("{'name':'secret','type':'long','sensitive':true}");

        DerivedSchema d1 = DerivedSchema.derive(v1, SENSITIVE);
        DerivedSchema d2 = DerivedSchema.derive(v2, SENSITIVE);

        assertThat(d1.layoutFingerprint()).isEqualTo(d2.layoutFingerprint());
        assertThat(d1.exactFingerprint()).isNotEqualTo(d2.exactFingerprint());
        assertThat(d1.fileName()).isNotEqualTo(d2.fileName());
    }

    @Test
    void containsMarksFollowsRecursion() {
        Schema writer =
                Schemas.top(
                        "{'name':'a','type':{'type':'record','name':'A','fields':["
                            + "{'name':'b','type':{'type':'record','name':'B','fields':["
                            + "{'name':'back','type':['null','A'],'default':null}]}},"
                            + "{'name':'secret','type':'string','sensitive':true}]}},"
                            + "{'name':'c','type':{'type':'record','name':'C','fields':[{'name':'n','type':'int'}]}}");
        DerivedSchema derived = DerivedSchema.derive(writer, SENSITIVE);
        Schema a = derived.derivedSchema().getField("a").schema();

        assertThat(derived.containsMarks(a)).isTrue();
        assertThat(derived.containsMarks(a.getField("b").schema())).isTrue();
        assertThat(derived.containsMarks(derived.derivedSchema().getField("c").schema())).isFalse();
        assertThat(a.getField("b").schema().getField("back").schema().getTypes().get(1))
                .isSameAs(a);
    }

    @Test
    void rejectsWriterWithEnvelopeField() {
        Schema writer = Schemas.top("{'name':'cmek_envelope','type':'string'}");

        assertThatThrownBy(() -> DerivedSchema.derive(writer, SENSITIVE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "writer schema test.Top already has a field named 'cmek_envelope', the name"
                            + " of the envelope field that encryption adds; rename the field, or"
                            + " check that the input is not already encrypted");
    }

    @Test
    void rejectsDerivedSchemaAsWriter() {
        Schema derived = DerivedSchema.derive(kitchenSink(), SENSITIVE).derivedSchema();

        assertThatThrownBy(() -> DerivedSchema.derive(derived, SENSITIVE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("already has a field named 'cmek_envelope'");
    }

    @Test
    void rejectsRecursiveTopLevel() {
        Schema writer = Schemas.top("{'name':'next','type':['null','Top'],'default':null}");

        assertThatThrownBy(() -> DerivedSchema.derive(writer, SENSITIVE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "writer schema test.Top contains itself at test.Top.next; a recursive"
                            + " top-level record is not supported, because every level would need"
                            + " an envelope. Wrap it in another record");
    }

    @Test
    void rejectsEnvelopeNamespace() {
        Schema writer =
                Schemas.top(
                        "{'name':'e','type':{'type':'fixed','name':'Nonce','namespace':'io.cmekflink.v1','size':2}}");

        assertThatThrownBy(() -> DerivedSchema.derive(writer, SENSITIVE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "type io.cmekflink.v1.Nonce at test.Top.e uses the namespace"
                                + " io.cmekflink.v1, which is reserved for the encryption envelope;"
                                + " rename it");
    }

    @Test
    void rejectsReservedProperty() {
        Schema writer = Schemas.top("{'name':'x','type':'string','cmek.original_schema':'int'}");

        assertThatThrownBy(() -> DerivedSchema.derive(writer, SENSITIVE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "field test.Top.x has the property 'cmek.original_schema'; properties"
                                + " starting with 'cmek.' are reserved for derived schemas");
    }

    @Test
    void rejectsMarkedNullField() {
        Schema writer = Schemas.top("{'name':'x','type':'null','sensitive':true}");

        assertThatThrownBy(() -> DerivedSchema.derive(writer, SENSITIVE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("marked field test.Top.x has type null, so it has no value to encrypt");
    }

    @Test
    void rejectsNonRecordWriter() {
        assertThatThrownBy(() -> DerivedSchema.derive(Schema.create(Schema.Type.STRING), SENSITIVE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("writer schema must be a record, got string");
    }

    @Test
    void rejectsMissingOrgIdField() {
        Schema writer =
                Schemas.parse(
                        "{'type':'record','name':'R','fields':[{'name':'tenant','type':'string'}]}");

        assertThatThrownBy(() -> DerivedSchema.derive(writer, SENSITIVE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("org id field 'org_id' of R names no field: R has no field 'org_id'");
        assertThat(
                        DerivedSchema.derive(writer, SENSITIVE.withOrgIdField("tenant"))
                                .orgIdField()
                                .path())
                .isEqualTo("tenant");
    }

    @Test
    void rejectsMarkedOrgIdField() {
        Schema writer =
                Schemas.parse(
                        "{'type':'record','name':'R','fields':[{'name':'org_id','type':'string','sensitive':true}]}");

        assertThatThrownBy(() -> DerivedSchema.derive(writer, SENSITIVE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "org id field 'org_id' of R is a marked field or inside one; it must stay"
                                + " in plaintext");
    }

    @Test
    void rejectsOrgIdFieldOfOtherType() {
        Schema writer =
                Schemas.parse(
                        "{'type':'record','name':'R','fields':[{'name':'org_id','type':'long'}]}");

        assertThatThrownBy(() -> DerivedSchema.derive(writer, SENSITIVE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "org id field 'org_id' of R has type \"long\"; it must be a string or a"
                                + " union of null and string");
    }

    @Test
    void rejectsInvalidBindingFields() {
        Schema writer = kitchenSink();

        assertThatThrownBy(
                        () ->
                                DerivedSchema.derive(
                                        writer, SENSITIVE.withBindingFields(List.of("ip"))))
                .hasMessage(
                        "binding field 'ip' of test.k.Kitchen is a marked field or inside one; it"
                                + " must stay in plaintext");
        assertThatThrownBy(
                        () ->
                                DerivedSchema.derive(
                                        writer, SENSITIVE.withBindingFields(List.of("addr"))))
                .hasMessage(
                        "binding field 'addr' of test.k.Kitchen contains marked fields; name an"
                                + " unmarked field without marks inside");
        assertThatThrownBy(
                        () ->
                                DerivedSchema.derive(
                                        writer, SENSITIVE.withBindingFields(List.of("addrs.zip"))))
                .hasMessage(
                        "binding field 'addrs.zip' of test.k.Kitchen goes through 'addrs', which is"
                                + " not a record; only record fields can be followed");
        assertThatThrownBy(
                        () ->
                                DerivedSchema.derive(
                                        writer, SENSITIVE.withBindingFields(List.of("req", "req"))))
                .hasMessage("binding field 'req' of test.k.Kitchen is listed twice");
        assertThatThrownBy(
                        () ->
                                DerivedSchema.derive(
                                        writer,
                                        SENSITIVE.withBindingFields(List.of("cmek_envelope"))))
                .hasMessage(
                        "binding field 'cmek_envelope' of test.k.Kitchen names no field:"
                                + " test.k.Kitchen has no field 'cmek_envelope'");
    }

    @Test
    void rejectsJsonThatIsNoDerivedSchema() {
        assertThatThrownBy(() -> DerivedSchema.fromJson(kitchenSink().toString()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "schema test.k.Kitchen is not a derived schema: its last field is not"
                                + " 'cmek_envelope'");
        assertThatThrownBy(() -> DerivedSchema.fromJson("{"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("derived schema is not valid Avro JSON: ");
    }

    static String resource(String name) throws IOException {
        try (InputStream in = DerivedSchemaTest.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(
                        "test resource "
                                + name
                                + " is missing; GoldenFixtureGenerator recreates it");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
