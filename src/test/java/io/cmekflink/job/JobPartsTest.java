package io.cmekflink.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

class JobPartsTest {

    @Test
    void warnsWithoutCheckpointDirectory() {
        var warning = JobParts.checkpointStorageWarning(Configuration.fromMap(Map.of()));

        assertThat(warning).isPresent();
        assertThat(warning.get())
                .contains("JobManager memory")
                .contains("5 MiB")
                .contains("flink.execution.checkpointing.dir");
    }

    @Test
    void silentWithCheckpointDirectory() {
        var flink = Map.of("execution.checkpointing.dir", "file:///var/flink/checkpoints");

        assertThat(JobParts.checkpointStorageWarning(Configuration.fromMap(flink))).isEmpty();
    }

    @Test
    void silentWithDeprecatedDirectoryKey() {
        var flink = Map.of("state.checkpoints.dir", "s3://bucket/checkpoints");

        assertThat(JobParts.checkpointStorageWarning(Configuration.fromMap(flink))).isEmpty();
    }

    @Test
    void silentWithCheckpointStorage() {
        var flink = Map.of("execution.checkpointing.storage", "filesystem");

        assertThat(JobParts.checkpointStorageWarning(Configuration.fromMap(flink))).isEmpty();
    }

    private static io.cmekflink.config.JobConfig definition(String kafka) {
        return io.cmekflink.config.JobConfig.parse(
                """
                geo: EU
                records: {topic: r, format: avro, schema: schemas/kong-log-entry.avsc}
                key-changes.topic: k
                key-changes.public-keys: [control-plane.pem]
                output.topic: o
                dead-letters.topic: d
                kms.local-region: eu-west-1
                kafka: {bootstrap.servers: "127.0.0.1:1"%s}
                """
                        .formatted(kafka),
                "t.yaml",
                name -> null);
    }

    @Test
    void sinksDefaultToLz4InLargeBatches() {
        var props = JobParts.sinkProperties(definition(""));

        assertThat(props.getProperty("compression.type")).isEqualTo("lz4");
        assertThat(props.getProperty("batch.size")).isEqualTo("262144");
        assertThat(props.getProperty("bootstrap.servers")).isEqualTo("127.0.0.1:1");
    }

    @Test
    void sinksKeepTheFilesProducerSettings() {
        var props =
                JobParts.sinkProperties(
                        definition(", compression.type: zstd, batch.size: \"16384\""));

        assertThat(props.getProperty("compression.type")).isEqualTo("zstd");
        assertThat(props.getProperty("batch.size")).isEqualTo("16384");
    }
}
