package io.cmekflink.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ValueDecoderFactoryTest {

    @TempDir Path dir;

    private static final Path KONG = KongSchemas.KONG_SCHEMA_FILE;

    private IllegalArgumentException rejected(String format, Path file, Map<Integer, Path> files) {
        return catchThrowableOfType(
                IllegalArgumentException.class,
                () -> ValueDecoderFactory.create(format, file, files, DecoderOptions.defaults()));
    }

    @Test
    void buildsEachFormat() {
        ValueDecoder avro =
                ValueDecoderFactory.create("avro", KONG, Map.of(), DecoderOptions.defaults());
        ValueDecoder json =
                ValueDecoderFactory.create("json", KONG, Map.of(), DecoderOptions.defaults());
        ValueDecoder confluent =
                ValueDecoderFactory.create(
                        "confluent-avro",
                        null,
                        Map.of(1, KONG, 2, KONG),
                        DecoderOptions.defaults());

        assertThat(avro).isInstanceOf(AvroBinaryValueDecoder.class);
        assertThat(json).isInstanceOf(JsonValueDecoder.class);
        assertThat(confluent).isInstanceOf(ConfluentAvroValueDecoder.class);
        assertThat(avro.writerSchemas().get(0).getFullName())
                .isEqualTo("io.cmekflink.kong.KongLogEntry");
        assertThat(confluent.writerSchemas()).hasSize(2);
    }

    @Test
    void jsonDecoderFromFactoryReadsKongEntry() throws Exception {
        ValueDecoder json =
                ValueDecoderFactory.create("json", KONG, Map.of(), DecoderOptions.defaults());

        assertThat(json.decode(KongSchemas.resource("kong-entry-anonymous.json")).get("org_id"))
                .hasToString("org-51d2e8");
    }

    @Test
    void unknownFormatName() {
        IllegalArgumentException e = rejected("protobuf", KONG, Map.of());

        assertThat(e.getMessage())
                .isEqualTo(
                        "unknown value format 'protobuf': use one of avro, confluent-avro, json");
    }

    @Test
    void missingSchemaFile() {
        Path missing = dir.resolve("absent.avsc");

        IllegalArgumentException e = rejected("avro", missing, Map.of());

        assertThat(e.getMessage())
                .isEqualTo(
                        "cannot read schema file "
                                + missing
                                + " (NoSuchFileException): check the path in the job definition");
    }

    @Test
    void invalidSchemaFile() throws IOException {
        Path broken = Files.writeString(dir.resolve("broken.avsc"), "{\"type\": \"record\"}");

        IllegalArgumentException e = rejected("json", broken, Map.of());

        assertThat(e.getMessage())
                .startsWith("schema file " + broken + " is not a valid Avro schema: ");
    }

    @Test
    void invalidSchemaFileAmongConfluentIds() throws IOException {
        Path broken = Files.writeString(dir.resolve("v2.avsc"), "not json");

        IllegalArgumentException e = rejected("confluent-avro", null, Map.of(1, KONG, 2, broken));

        assertThat(e.getMessage())
                .startsWith("schema file " + broken + " is not a valid Avro schema");
    }

    @Test
    void schemaWithoutOrgIdField() throws IOException {
        Path file =
                Files.writeString(
                        dir.resolve("plain.avsc"),
                        "{\"type\": \"record\", \"name\": \"Plain\", \"fields\":"
                                + " [{\"name\": \"id\", \"type\": \"string\"}]}");

        IllegalArgumentException e = rejected("avro", file, Map.of());

        assertThat(e.getMessage())
                .isEqualTo(
                        "schema file "
                                + file
                                + ": record Plain has no top-level field org_id for the org id;"
                                + " add it or configure the org id field");
    }

    @Test
    void orgIdFieldOfWrongType() throws IOException {
        Path file =
                Files.writeString(
                        dir.resolve("numeric.avsc"),
                        "{\"type\": \"record\", \"name\": \"Numeric\", \"fields\":"
                                + " [{\"name\": \"org_id\", \"type\": \"long\"}]}");

        IllegalArgumentException e = rejected("json", file, Map.of());

        assertThat(e.getMessage())
                .isEqualTo(
                        "schema file "
                                + file
                                + ": org id field org_id of Numeric must be a string, got"
                                + " \"long\"");
    }

    @Test
    void nonRecordSchema() throws IOException {
        Path file = Files.writeString(dir.resolve("string.avsc"), "\"string\"");

        IllegalArgumentException e = rejected("avro", file, Map.of());

        assertThat(e.getMessage())
                .isEqualTo("schema file " + file + ": writer schema must be a record, got STRING");
    }

    @Test
    void fileArgumentsMustFitFormat() {
        assertThat(rejected("avro", null, Map.of()).getMessage())
                .isEqualTo("format avro needs the writer schema file");
        assertThat(rejected("json", KONG, Map.of(1, KONG)).getMessage())
                .isEqualTo("schema ids are only used with format confluent-avro, not json");
        assertThat(rejected("confluent-avro", null, Map.of()).getMessage())
                .isEqualTo(
                        "format confluent-avro needs at least one schema id with its schema file");
        assertThat(rejected("confluent-avro", KONG, Map.of(1, KONG)).getMessage())
                .startsWith("format confluent-avro takes one schema file per schema id");
    }

    @Test
    void maxDepthBounds() {
        IllegalArgumentException low =
                catchThrowableOfType(
                        IllegalArgumentException.class, () -> new DecoderOptions(0, "org_id"));
        IllegalArgumentException high =
                catchThrowableOfType(
                        IllegalArgumentException.class, () -> new DecoderOptions(501, "org_id"));

        assertThat(low.getMessage()).isEqualTo("maxDepth must be between 1 and 500, got 0");
        assertThat(high.getMessage()).isEqualTo("maxDepth must be between 1 and 500, got 501");
    }
}
