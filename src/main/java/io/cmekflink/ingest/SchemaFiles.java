package io.cmekflink.ingest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;

/** Reads Avro schema files ({@code .avsc}) with errors that name the file. */
public final class SchemaFiles {

    private SchemaFiles() {}

    /**
     * Parses one schema file. Each file gets its own parser, so files may define the same names.
     *
     * @throws IllegalArgumentException when the file cannot be read or is not a valid Avro schema
     */
    public static Schema parse(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "cannot read schema file "
                            + file
                            + " ("
                            + e.getClass().getSimpleName()
                            + "): check the path in the job definition",
                    e);
        }
        try {
            return new Schema.Parser().parse(text);
        } catch (SchemaParseException e) {
            throw new IllegalArgumentException(
                    "schema file " + file + " is not a valid Avro schema: " + e.getMessage(), e);
        }
    }
}
