package io.cmekflink.job;

import io.cmekflink.config.ConfigException;
import io.cmekflink.config.JobConfig;
import io.cmekflink.config.JobOptions;
import io.cmekflink.schema.DerivedSchema;
import io.cmekflink.schema.DerivedSchemaFiles;
import io.cmekflink.schema.DerivedSchemaRegistry;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The derived schemas a decrypt or re-wrap job reads: those derived from the job's writer schemas,
 * and the files of {@code decrypt.derived-schema-dir}, so that records of older schema versions
 * open side by side with current ones. Read where the job is built and shipped to the task managers
 * as JSON.
 */
final class DerivedSchemas implements Serializable {

    private static final long serialVersionUID = 1L;

    private final List<String> json;

    private DerivedSchemas(List<String> json) {
        this.json = List.copyOf(json);
    }

    static DerivedSchemas of(JobConfig config) {
        List<String> json = new ArrayList<>();
        JobSchemas writers = JobSchemas.of(config);
        for (int i = 0; i < writers.size(); i++) {
            json.add(writers.derived(i).json());
        }
        String dir = config.get(JobOptions.DECRYPT_DERIVED_SCHEMA_DIR);
        if (!dir.isEmpty()) {
            try {
                for (DerivedSchema schema :
                        DerivedSchemaFiles.loadDirectory(Path.of(dir)).schemas()) {
                    json.add(schema.json());
                }
            } catch (IOException | IllegalArgumentException e) {
                throw new ConfigException(
                        "cannot read derived schemas from decrypt.derived-schema-dir "
                                + dir
                                + ": "
                                + e.getMessage(),
                        e);
            }
        }
        return new DerivedSchemas(json);
    }

    /** A registry with every schema; each call builds a new one. */
    DerivedSchemaRegistry registry() {
        DerivedSchemaRegistry registry = new DerivedSchemaRegistry();
        for (String schema : json) {
            registry.register(DerivedSchema.fromJson(schema));
        }
        return registry;
    }
}
