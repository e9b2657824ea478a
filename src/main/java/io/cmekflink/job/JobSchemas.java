package io.cmekflink.job;

import io.cmekflink.config.ConfigException;
import io.cmekflink.config.JobConfig;
import io.cmekflink.config.JobOptions;
import io.cmekflink.ingest.DecoderOptions;
import io.cmekflink.schema.DerivationOptions;
import io.cmekflink.schema.DerivedSchema;
import io.cmekflink.schema.MarkingRules;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;

/**
 * The writer schemas of a job definition, read once where the job is built and shipped to the task
 * managers as JSON, so that the schema files need to exist only where the job is submitted.
 *
 * <p>A schema path is read from the file system, relative to the working directory, and else from
 * the classpath (the jars bundle {@code schemas/}).
 */
public final class JobSchemas implements Serializable {

    private static final long serialVersionUID = 1L;

    private final String format;
    private final List<String> writerSchemaJson;
    private final List<Integer> schemaIds;
    private final String orgIdField;
    private final int maxJsonDepth;
    private final List<String> markingTags;
    private final List<String> bindingFields;

    private JobSchemas(
            String format,
            List<String> writerSchemaJson,
            List<Integer> schemaIds,
            JobConfig config) {
        this.format = format;
        this.writerSchemaJson = List.copyOf(writerSchemaJson);
        this.schemaIds = List.copyOf(schemaIds);
        this.orgIdField = config.get(JobOptions.RECORDS_ORG_ID_FIELD);
        this.maxJsonDepth = config.get(JobOptions.RECORDS_JSON_MAX_DEPTH);
        this.markingTags = config.get(JobOptions.ENCRYPTION_MARKING_TAGS);
        this.bindingFields = config.get(JobOptions.ENCRYPTION_BINDING_FIELDS);
    }

    /** Reads the writer schemas that a job definition names. */
    public static JobSchemas of(JobConfig config) {
        String format = config.get(JobOptions.RECORDS_FORMAT);
        List<String> json = new ArrayList<>();
        List<Integer> ids = new ArrayList<>();
        if (format.equals("confluent-avro")) {
            for (Map.Entry<String, String> e :
                    config.get(JobOptions.RECORDS_SCHEMA_IDS).entrySet()) {
                ids.add(Integer.parseInt(e.getKey()));
                json.add(read("records.schema-ids." + e.getKey(), e.getValue()));
            }
        } else {
            json.add(read("records.schema", config.get(JobOptions.RECORDS_SCHEMA)));
        }
        JobSchemas schemas = new JobSchemas(format, json, ids, config);
        for (int i = 0; i < json.size(); i++) {
            schemas.derived(i);
        }
        return schemas;
    }

    private static String read(String key, String path) {
        String text;
        Path file = Path.of(path);
        try {
            if (Files.isRegularFile(file)) {
                text = Files.readString(file);
            } else {
                String resource = "/" + path.replace('\\', '/').replaceFirst("^\\./", "");
                try (InputStream in = JobSchemas.class.getResourceAsStream(resource)) {
                    if (in == null) {
                        throw new ConfigException(
                                "schema file "
                                        + path
                                        + " of "
                                        + key
                                        + " not found in "
                                        + Path.of("").toAbsolutePath()
                                        + " nor on the classpath");
                    }
                    text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
            }
        } catch (IOException e) {
            throw new ConfigException("cannot read schema file " + path + " of " + key, e);
        }
        try {
            new Schema.Parser().parse(text);
        } catch (SchemaParseException e) {
            throw new ConfigException(
                    "schema file "
                            + path
                            + " of "
                            + key
                            + " is not a valid Avro schema: "
                            + e.getMessage(),
                    e);
        }
        return text;
    }

    /** The record value format: avro, confluent-avro or json. */
    public String format() {
        return format;
    }

    public int size() {
        return writerSchemaJson.size();
    }

    /** The CRC-64-AVRO fingerprint of writer schema {@code index}'s parsing canonical form. */
    public long writerFingerprint(int index) {
        return org.apache.avro.SchemaNormalization.parsingFingerprint64(writerSchema(index));
    }

    /** Parses writer schema {@code index}; each call returns a new object. */
    public Schema writerSchema(int index) {
        return new Schema.Parser().parse(writerSchemaJson.get(index));
    }

    /** The Confluent schema ids to writer schemas, in configuration order. */
    public Map<Integer, Schema> writerSchemasById() {
        Map<Integer, Schema> byId = new LinkedHashMap<>();
        for (int i = 0; i < schemaIds.size(); i++) {
            byId.put(schemaIds.get(i), writerSchema(i));
        }
        return byId;
    }

    public DecoderOptions decoderOptions() {
        return new DecoderOptions(maxJsonDepth, orgIdField);
    }

    /**
     * Derives the output schema of writer schema {@code index}.
     *
     * @throws ConfigException when the writer schema cannot be encrypted as configured
     */
    public DerivedSchema derived(int index) {
        MarkingRules rules =
                markingTags.isEmpty()
                        ? MarkingRules.sensitiveOnly()
                        : MarkingRules.withConfluentTags(markingTags);
        try {
            return DerivedSchema.derive(
                    writerSchema(index), new DerivationOptions(rules, orgIdField, bindingFields));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(
                    "writer schema " + (index + 1) + " cannot be encrypted: " + e.getMessage(), e);
        }
    }
}
