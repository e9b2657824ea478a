package io.cmekflink.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.util.Utf8;
import org.junit.jupiter.api.Test;

class OrgIdExtractorTest {

    private static final Schema SCHEMA =
            new Schema.Parser()
                    .parse(
                            """
                            {"type": "record", "name": "Tenanted", "namespace": "test", "fields": [
                              {"name": "org_id", "type": ["null", "string", "int"]},
                              {"name": "tenant", "type": "string"}]}
                            """);

    private final OrgIdExtractor extractor = new OrgIdExtractor("org_id");

    private static GenericRecord record(Object orgId) {
        GenericData.Record record = new GenericData.Record(SCHEMA);
        record.put("org_id", orgId);
        record.put("tenant", "t-1");
        return record;
    }

    private IngestException failure(GenericRecord record, OrgIdExtractor from) {
        IngestException e = catchThrowableOfType(IngestException.class, () -> from.extract(record));
        assertThat(e).isNotNull();
        assertThat(e.code()).isEqualTo(IngestErrorCode.MISSING_ORG_ID);
        return e;
    }

    @Test
    void utf8AndStringValues() throws Exception {
        assertThat(extractor.extract(record(new Utf8("org-9")))).isEqualTo("org-9");
        assertThat(extractor.extract(record("org-10"))).isEqualTo("org-10");
    }

    @Test
    void otherFieldName() throws Exception {
        assertThat(new OrgIdExtractor("tenant").extract(record("x"))).isEqualTo("t-1");
    }

    @Test
    void nullValue() {
        IngestException e = failure(record(null), extractor);

        assertThat(e.path()).isEqualTo("$.org_id");
        assertThat(e.getMessage())
                .isEqualTo("org id field is null at $.org_id in writer schema test.Tenanted");
    }

    @Test
    void emptyAndBlankValues() {
        for (String value : new String[] {"", "   ", "\t"}) {
            IngestException e = failure(record(new Utf8(value)), extractor);

            assertThat(e.getMessage()).startsWith("org id field is empty or blank at $.org_id");
        }
    }

    @Test
    void nonStringValue() {
        IngestException e = failure(record(4711), extractor);

        assertThat(e.getMessage())
                .isEqualTo(
                        "org id field holds a Integer, expected a string at $.org_id in writer"
                                + " schema test.Tenanted")
                .doesNotContain("4711");
    }

    @Test
    void fieldMissingFromSchema() {
        IngestException e = failure(record("x"), new OrgIdExtractor("org"));

        assertThat(e.path()).isEqualTo("$.org");
        assertThat(e.getMessage())
                .isEqualTo(
                        "the writer schema has no top-level field org at $.org in writer schema"
                                + " test.Tenanted");
    }
}
