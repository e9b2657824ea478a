package io.cmekflink.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.cmekflink.job.JobSchemas;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every job definition under jobs/ loads through the job's own parser. */
class JobFilesTest {

    @Test
    void everyJobFileParses() throws IOException {
        List<Path> files;
        try (Stream<Path> paths = Files.list(Path.of("jobs"))) {
            files = paths.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertThat(files).isNotEmpty();
        for (Path file : files) {
            JobConfig config = JobConfig.parse(Files.readString(file), file.toString(), n -> null);
            assertThat(config.get(JobOptions.RECORDS_TOPIC)).as(file.toString()).isNotBlank();
            assertThat(JobSchemas.of(config).size()).as(file.toString()).isEqualTo(1);
        }
    }
}
