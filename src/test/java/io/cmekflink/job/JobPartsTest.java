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
}
