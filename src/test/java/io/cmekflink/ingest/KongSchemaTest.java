package io.cmekflink.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.avro.JsonProperties;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

/** The marks and nullability of schemas/kong-log-entry.avsc. */
class KongSchemaTest {

    private static final Schema KONG = KongSchemas.kongSchema();

    /** Fields that every Kong 3.x http entry has; all others are nullable with default null. */
    private static final Set<String> REQUIRED =
            Set.of(
                    "org_id",
                    "request",
                    "request.method",
                    "request.uri",
                    "request.url",
                    "response",
                    "response.status",
                    "latencies",
                    "latencies.kong",
                    "latencies.proxy",
                    "latencies.request",
                    "client_ip",
                    "upstream_uri",
                    "started_at");

    @Test
    void markedFieldsAtSeveralDepths() {
        assertThat(markedPaths())
                .containsExactly(
                        "client_ip",
                        "consumer.custom_id",
                        "consumer.username",
                        "consumer.username_lower",
                        "request.body",
                        "request.headers",
                        "request.querystring",
                        "request.uri",
                        "request.url",
                        "response.body",
                        "response.headers",
                        "tries[].ip",
                        "upstream_uri");
    }

    @Test
    void searchableFieldsStayUnmarked() {
        Set<String> marked = markedPaths();

        assertThat(marked)
                .doesNotContain(
                        "request.method",
                        "request.id",
                        "response.status",
                        "latencies",
                        "latencies.request",
                        "route.id",
                        "service.id",
                        "started_at",
                        "org_id",
                        "authenticated_entity.id");
    }

    @Test
    void optionalFieldsDefaultToNull() {
        List<String> notNullable = new ArrayList<>();
        walkFields(
                KONG,
                "",
                (path, field) -> {
                    if (REQUIRED.contains(path)) {
                        return;
                    }
                    boolean nullFirst =
                            field.schema().getType() == Schema.Type.UNION
                                    && field.schema().getTypes().get(0).getType()
                                            == Schema.Type.NULL;
                    if (!nullFirst || field.defaultVal() != JsonProperties.NULL_VALUE) {
                        notNullable.add(path);
                    }
                });

        assertThat(notNullable).isEmpty();
    }

    @Test
    void requiredFieldsHaveNoDefault() {
        List<String> required = new ArrayList<>();
        walkFields(
                KONG,
                "",
                (path, field) -> {
                    if (!field.hasDefaultValue()) {
                        required.add(path);
                    }
                });

        assertThat(required).containsExactlyInAnyOrderElementsOf(REQUIRED);
    }

    @Test
    void startedAtIsTimestampMillis() {
        Schema startedAt = KONG.getField("started_at").schema();

        assertThat(startedAt.getType()).isEqualTo(Schema.Type.LONG);
        assertThat(startedAt.getLogicalType().getName()).isEqualTo("timestamp-millis");
    }

    private static Set<String> markedPaths() {
        Set<String> marked = new TreeSet<>();
        walkFields(
                KONG,
                "",
                (path, field) -> {
                    if (Boolean.TRUE.equals(field.getObjectProp("sensitive"))) {
                        marked.add(path);
                    }
                });
        return marked;
    }

    private interface FieldVisitor {
        void visit(String path, Schema.Field field);
    }

    /** Visits every field of the record schemas reachable from {@code schema}, once per path. */
    private static void walkFields(Schema schema, String prefix, FieldVisitor visitor) {
        switch (schema.getType()) {
            case RECORD -> {
                for (Schema.Field field : schema.getFields()) {
                    String path = prefix.isEmpty() ? field.name() : prefix + "." + field.name();
                    visitor.visit(path, field);
                    walkFields(field.schema(), path, visitor);
                }
            }
            case UNION -> schema.getTypes().forEach(branch -> walkFields(branch, prefix, visitor));
            case ARRAY -> walkFields(schema.getElementType(), prefix + "[]", visitor);
            case MAP -> walkFields(schema.getValueType(), prefix + "{}", visitor);
            default -> {}
        }
    }
}
