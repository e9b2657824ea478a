package io.cmekflink.testkit;

import io.cmekflink.ingest.ValueFormat;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;

/**
 * The validated settings of one {@link CmekFlinkExtension}.
 *
 * @param schemaPath the writer schema's path, or {@code null} when {@code schema} is given
 * @param schema the writer schema, or {@code null} when {@code schemaPath} is given
 * @param options job-definition keys to values, added to those the test kit sets
 */
record TestkitSettings(
        List<String> linkedOrgs,
        String schemaPath,
        Schema schema,
        ValueFormat format,
        int confluentSchemaId,
        int partitions,
        int parallelism,
        Duration linkWait,
        Duration startTimeout,
        Map<String, Object> options) {}
