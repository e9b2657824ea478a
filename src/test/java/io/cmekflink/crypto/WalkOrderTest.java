package io.cmekflink.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import io.cmekflink.dek.Dek;
import io.cmekflink.schema.DerivationOptions;
import io.cmekflink.schema.DerivedSchema;
import io.cmekflink.schema.MarkingRules;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;

/** The order and paths in which marked values are sealed, read from the associated data. */
class WalkOrderTest {

    private static final Schema WRITER =
            new Schema.Parser()
                    .parse(
                            """
                            {"type": "record", "name": "Walk", "namespace": "test", "fields": [
                              {"name": "org_id", "type": "string"},
                              {"name": "routes", "type": {"type": "map", "values": {"type": "record",
                                "name": "Route", "fields": [{"name": "secret", "type": "string", "sensitive": true}]}}},
                              {"name": "choice", "type": ["null", "Route", {"type": "record", "name": "Other",
                                "fields": [{"name": "secret", "type": "string", "sensitive": true}]}]},
                              {"name": "node", "type": {"type": "record", "name": "Node", "fields": [
                                {"name": "label", "type": "string", "sensitive": true},
                                {"name": "next", "type": ["null", "Node"], "default": null}]}},
                              {"name": "grid", "type": {"type": "array", "items": {"type": "array", "items": "Route"}}}
                            ]}
                            """);
    private static final DerivedSchema DERIVED =
            DerivedSchema.derive(WRITER, DerivationOptions.of(MarkingRules.sensitiveOnly()));

    private static GenericRecord route(String secret) {
        GenericData.Record route =
                new GenericData.Record(WRITER.getField("routes").schema().getValueType());
        route.put("secret", secret);
        return route;
    }

    private static GenericRecord record(Map<String, GenericRecord> routes, GenericRecord choice) {
        Schema nodeSchema = WRITER.getField("node").schema();
        GenericData.Record inner = new GenericData.Record(nodeSchema);
        inner.put("label", "inner");
        GenericData.Record outer = new GenericData.Record(nodeSchema);
        outer.put("label", "outer");
        outer.put("next", inner);
        GenericData.Record record = new GenericData.Record(WRITER);
        record.put("org_id", "org-1");
        record.put("routes", routes);
        record.put("choice", choice);
        record.put("node", outer);
        record.put("grid", List.of(List.of(), List.of(route("g10"), route("g11"))));
        return record;
    }

    private static List<String> pathsOf(GenericRecord input) throws Exception {
        Dek dek = Sample.randomDek();
        GenericRecord derived =
                RecordSealer.create(DERIVED).seal(input, "org-1", new RecordId("t", 0, 0), dek);
        RecordOpener opener = RecordOpener.create(DERIVED);
        assertThat(opener.open(derived, dek)).isEqualTo(input);
        return ParsedAad.parse(opener.associatedData(derived)).paths();
    }

    @Test
    void walksFieldsArraysSortedMapsBranchesAndRecursion() throws Exception {
        Map<String, GenericRecord> routes = new LinkedHashMap<>();
        routes.put("é", route("1"));
        routes.put("b", route("2"));
        routes.put("k\"ey", route("3"));
        routes.put("Z", route("4"));
        routes.put("\\", route("5"));
        routes.put("a", route("6"));
        routes.put("", route("7"));
        GenericData.Record other =
                new GenericData.Record(WRITER.getField("choice").schema().getTypes().get(2));
        other.put("secret", "o");

        List<String> paths = pathsOf(record(routes, other));

        assertThat(paths)
                .containsExactly(
                        "routes[\"\"].secret",
                        "routes[\"Z\"].secret",
                        "routes[\"\\\\\"].secret",
                        "routes[\"a\"].secret",
                        "routes[\"b\"].secret",
                        "routes[\"k\\\"ey\"].secret",
                        "routes[\"é\"].secret",
                        "choice<test.Other>.secret",
                        "node.label",
                        "node.next.label",
                        "grid[1][0].secret",
                        "grid[1][1].secret");
    }

    @Test
    void unionBranchIsPartOfPath() throws Exception {
        List<String> paths = pathsOf(record(Map.of(), route("r")));

        assertThat(paths).contains("choice<test.Route>.secret");
    }

    @Test
    void mapOrderDoesNotDependOnMapImplementation() throws Exception {
        Map<String, GenericRecord> linked = new LinkedHashMap<>();
        Map<String, GenericRecord> hashed = new HashMap<>();
        for (int i = 0; i < 50; i++) {
            linked.put("key-" + (49 - i), route("v" + i));
        }
        hashed.putAll(linked);
        Dek dek = Sample.randomDek();
        RecordSealer sealer = RecordSealer.create(DERIVED);
        RecordOpener opener = RecordOpener.create(DERIVED);

        byte[] aadLinked =
                opener.associatedData(
                        sealer.seal(record(linked, null), "org-1", new RecordId("t", 0, 0), dek));
        byte[] aadHashed =
                opener.associatedData(
                        sealer.seal(record(hashed, null), "org-1", new RecordId("t", 0, 0), dek));

        assertThat(aadHashed).isEqualTo(aadLinked);
        assertThat(ParsedAad.parse(aadLinked).paths().get(0)).isEqualTo("routes[\"key-0\"].secret");
    }
}
