package io.cmekflink.ingest;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.apache.avro.Schema;

/** Test access to the Kong log entry schema and the hand-written entries. */
final class KongSchemas {

    static final Path KONG_SCHEMA_FILE = Path.of("schemas/kong-log-entry.avsc");

    private KongSchemas() {}

    static Schema kongSchema() {
        return SchemaFiles.parse(KONG_SCHEMA_FILE);
    }

    static byte[] resource(String name) {
        try (InputStream in = KongSchemas.class.getResourceAsStream("/ingest/" + name)) {
            if (in == null) {
                throw new IllegalStateException("test resource /ingest/" + name + " is missing");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
