package io.cmekflink.local.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.util.Utf8;
import org.junit.jupiter.api.Test;

class KongJsonWriterTest {

    @Test
    void numbersPrintLikeCPercent14g() {
        assertThat(KongJsonWriter.cjsonNumber(161.0)).isEqualTo("161");
        assertThat(KongJsonWriter.cjsonNumber(-1.0)).isEqualTo("-1");
        assertThat(KongJsonWriter.cjsonNumber(8.001 * 1000)).isEqualTo("8001");
        assertThat(KongJsonWriter.cjsonNumber(54.25)).isEqualTo("54.25");
        assertThat(KongJsonWriter.cjsonNumber(1.7410032001231e18)).isEqualTo("1.7410032001231e+18");
        assertThat(KongJsonWriter.cjsonNumber(1e16)).isEqualTo("1e+16");
        assertThat(KongJsonWriter.cjsonNumber(12345678901234.5)).isEqualTo("12345678901234");
        assertThat(KongJsonWriter.cjsonNumber(123456789012345.6)).isEqualTo("1.2345678901235e+14");
        assertThat(KongJsonWriter.cjsonNumber(0.00001)).isEqualTo("1e-05");
        assertThat(KongJsonWriter.cjsonNumber(-2.5)).isEqualTo("-2.5");
    }

    @Test
    void nullsOmittedUnlessRecordListed() {
        Schema schema =
                new Schema.Parser()
                        .parse(
                                """
                                {"type": "record", "name": "R", "namespace": "t", "fields": [
                                  {"name": "a", "type": ["null", "string"]},
                                  {"name": "path", "type": "string"},
                                  {"name": "m", "type": {"type": "map", "values": ["string",
                                    {"type": "array", "items": ["string", "boolean"]}]}}]}
                                """);
        GenericData.Record record = new GenericData.Record(schema);
        Map<Utf8, Object> map = new LinkedHashMap<>();
        map.put(new Utf8("q"), List.of(new Utf8("東京"), true));
        record.put("path", new Utf8("/a/b"));
        record.put("m", map);
        KongJsonWriter writer = new KongJsonWriter();

        String omitted = new String(writer.write(record, Set.of()), StandardCharsets.UTF_8);
        String explicit = new String(writer.write(record, Set.of("t.R")), StandardCharsets.UTF_8);

        assertThat(omitted).isEqualTo("{\"path\":\"\\/a\\/b\",\"m\":{\"q\":[\"東京\",true]}}");
        assertThat(explicit)
                .isEqualTo("{\"a\":null,\"path\":\"\\/a\\/b\",\"m\":{\"q\":[\"東京\",true]}}");
    }
}
