package io.cmekflink.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DerivedSchemaFilesTest {

    private static final DerivationOptions OPTIONS =
            DerivationOptions.of(MarkingRules.sensitiveOnly());

    @TempDir Path directory;

    private static DerivedSchema version(String secretType) {
        Schema writer =
                Schemas.top("{'name':'secret','type':'" + secretType + "','sensitive':true}");
        return DerivedSchema.derive(writer, OPTIONS);
    }

    @Test
    void writesOneLineNamedByFingerprint() throws IOException {
        DerivedSchema schema = version("string");

        Path file = DerivedSchemaFiles.write(directory.resolve("schemas/derived"), schema);

        assertThat(file.getFileName().toString())
                .isEqualTo("test.Top-" + Fingerprints.toHex(schema.exactFingerprint()) + ".avsc");
        assertThat(Files.readString(file)).isEqualTo(schema.json() + "\n");
        try (var listing = Files.list(file.getParent())) {
            assertThat(listing).containsExactly(file);
        }
    }

    @Test
    void writingSameSchemaTwiceKeepsFile() throws IOException {
        DerivedSchema schema = version("string");
        Path file = DerivedSchemaFiles.write(directory, schema);

        assertThat(DerivedSchemaFiles.write(directory, schema)).isEqualTo(file);
        assertThat(Files.readString(file)).isEqualTo(schema.json() + "\n");
    }

    @Test
    void writingOverEditedFileFails() throws IOException {
        DerivedSchema schema = version("string");
        Path file = DerivedSchemaFiles.write(directory, schema);
        Files.writeString(file, "{}");

        assertThatThrownBy(() -> DerivedSchemaFiles.write(directory, schema))
                .isInstanceOf(IOException.class)
                .hasMessage(
                        "derived schema file "
                                + file
                                + " exists with other content; derived schema files"
                                + " must not be edited: restore it from version control");
    }

    @Test
    void loadsVersionsSideBySide() throws IOException {
        DerivedSchema v1 = version("string");
        DerivedSchema v2 = version("long");
        DerivedSchemaFiles.write(directory, v1);
        DerivedSchemaFiles.write(directory, v2);
        Files.writeString(directory.resolve("notes.txt"), "ignored");

        DerivedSchemaRegistry registry = DerivedSchemaFiles.loadDirectory(directory);

        assertThat(registry.schemas()).hasSize(2);
        assertThat(
                        registry.findByExactFingerprint(v1.exactFingerprint())
                                .orElseThrow()
                                .writerSchema())
                .isEqualTo(v1.writerSchema());
        assertThat(
                        registry.findByExactFingerprint(v2.exactFingerprint())
                                .orElseThrow()
                                .writerSchema())
                .isEqualTo(v2.writerSchema());
        assertThat(registry.findByLayoutFingerprint(v1.layoutFingerprint())).isPresent();
        assertThat(registry.findByFingerprint(v2.layoutFingerprint())).isNotNull();
        assertThat(registry.findByExactFingerprint(1L)).isEmpty();
    }

    @Test
    void readRejectsRenamedFile() throws IOException {
        DerivedSchema schema = version("string");
        Path file = DerivedSchemaFiles.write(directory, schema);
        Path renamed = Files.move(file, directory.resolve("test.Top-0000000000000000.avsc"));

        assertThatThrownBy(() -> DerivedSchemaFiles.read(renamed))
                .isInstanceOf(IOException.class)
                .hasMessage(
                        "derived schema file "
                                + renamed
                                + " should be named "
                                + schema.fileName()
                                + " for its content; the file was renamed or edited");
    }

    @Test
    void readRejectsPrettyPrintedFile() throws IOException {
        DerivedSchema schema = version("string");
        Path file = DerivedSchemaFiles.write(directory, schema);
        Files.writeString(file, new ObjectMapper().readTree(schema.json()).toPrettyString());

        assertThatThrownBy(() -> DerivedSchemaFiles.read(file))
                .isInstanceOf(IOException.class)
                .hasMessageEndingWith("for its content; the file was renamed or edited");
    }

    @Test
    void readRejectsSchemaThatIsNotDerived() throws IOException {
        Path file = directory.resolve("test.Top-0000000000000000.avsc");
        Files.writeString(file, Schemas.top("{'name':'x','type':'int'}").toString());

        assertThatThrownBy(() -> DerivedSchemaFiles.read(file))
                .isInstanceOf(IOException.class)
                .hasMessage(
                        "derived schema file "
                                + file
                                + " is invalid: schema test.Top is not a derived"
                                + " schema: its last field is not 'cmek_envelope'");
    }

    @Test
    void registeringSameSchemaTwiceKeepsOne() {
        DerivedSchema schema = version("string");
        DerivedSchemaRegistry registry = new DerivedSchemaRegistry();
        registry.register(schema);
        registry.register(DerivedSchema.fromJson(schema.json()));

        assertThat(registry.schemas()).hasSize(1);
    }
}
