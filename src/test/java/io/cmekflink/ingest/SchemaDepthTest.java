package io.cmekflink.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

class SchemaDepthTest {

    @Test
    void kongEntryNestsFourDeep() {
        assertThat(SchemaDepth.of(KongSchemas.kongSchema())).isEqualTo(4);
    }

    @Test
    void flatRecordIsOne() {
        Schema flat =
                new Schema.Parser()
                        .parse(
                                "{\"type\": \"record\", \"name\": \"Flat\", \"fields\": [{\"name\":"
                                        + " \"a\", \"type\": [\"null\", \"string\"]}]}");

        assertThat(SchemaDepth.of(flat)).isEqualTo(1);
    }

    @Test
    void sharedRecordIsNotRecursion() {
        Schema shared =
                new Schema.Parser()
                        .parse(
                                """
                                {"type": "record", "name": "Pair", "fields": [
                                  {"name": "left", "type": {"type": "record", "name": "Leaf",
                                    "fields": [{"name": "v", "type": "int"}]}},
                                  {"name": "right", "type": {"type": "map", "values": "Leaf"}}]}
                                """);

        assertThat(SchemaDepth.of(shared)).isEqualTo(3);
    }

    @Test
    void recursiveRecordIsUnbounded() {
        Schema tree =
                new Schema.Parser()
                        .parse(
                                """
                                {"type": "record", "name": "Node", "fields": [
                                  {"name": "children", "type": {"type": "array", "items": "Node"}}]}
                                """);

        assertThat(SchemaDepth.of(tree)).isEqualTo(SchemaDepth.UNBOUNDED);
    }
}
