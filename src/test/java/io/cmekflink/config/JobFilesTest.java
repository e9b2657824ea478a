package io.cmekflink.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.cmekflink.job.JobSchemas;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every job definition under jobs/ loads through the job's own parser. */
class JobFilesTest {

    /**
     * Values of the environment variables that job files use without a default. Every other
     * variable is unset, so the files' defaults are what this test checks.
     */
    private static final Map<String, String> REQUIRED_ENV =
            Map.of(
                    "REWRAP_FROM_KEY_ARN",
                    "arn:aws:kms:eu-west-1:111122223333:key/11111111-1111-1111-1111-111111111111",
                    "REWRAP_TO_KEY_ARN",
                    "arn:aws:kms:eu-west-1:111122223333:key/22222222-2222-2222-2222-222222222222");

    private static final Path JOBS = Path.of("jobs");

    @Test
    void everyJobFileParses() throws IOException {
        List<Path> files = jobFiles();
        assertThat(files).hasSizeGreaterThanOrEqualTo(6);
        Map<String, Path> names = new HashMap<>();
        for (Path file : files) {
            JobConfig config = load(file);
            assertThat(config.get(JobOptions.RECORDS_TOPIC)).as(file.toString()).isNotBlank();
            assertThat(JobSchemas.of(config).size()).as(file.toString()).isEqualTo(1);
            Path other = names.put(config.get(JobOptions.JOB_NAME), file);
            assertThat(other)
                    .as("job.name of " + file + " (transactional ids) is also used by " + other)
                    .isNull();
        }
    }

    @Test
    void everyJobTypeHasComposeAndLocalFiles() throws IOException {
        Map<String, String> types = new HashMap<>();
        for (Path file : jobFiles()) {
            types.put(file.getFileName().toString(), load(file).get(JobOptions.JOB_TYPE));
        }
        for (String place : List.of("compose", "local")) {
            for (String type : List.of(JobOptions.ENCRYPT, JobOptions.DECRYPT, JobOptions.REWRAP)) {
                assertThat(types).containsEntry(place + "-" + type + ".yaml", type);
            }
        }
    }

    @Test
    void composeTopicsAreCreatedBySetup() throws IOException {
        String script = Files.readString(Path.of("compose/create-topics.sh"));
        for (Path file : jobFiles()) {
            if (!file.getFileName().toString().startsWith("compose-")) {
                continue;
            }
            JobConfig config = load(file);
            for (Option<String> topic :
                    List.of(
                            JobOptions.RECORDS_TOPIC,
                            JobOptions.OUTPUT_TOPIC,
                            JobOptions.DEAD_LETTERS_TOPIC,
                            JobOptions.KEY_CHANGES_TOPIC)) {
                String name = config.get(topic);
                if (name.isEmpty()) {
                    continue;
                }
                assertThat(script)
                        .as(topic.key() + " of " + file + " in compose/create-topics.sh")
                        .contains("create_topic " + name + " ");
            }
            String dataKeyTopic = config.get(JobOptions.ENCRYPTION_DATA_KEY_TOPIC);
            if (!dataKeyTopic.isEmpty()) {
                // A job with a data-key topic does not start unless the topic is compacted.
                assertThat(script)
                        .as("compacted data-key topic of " + file + " in compose/create-topics.sh")
                        .containsPattern(
                                "create_topic "
                                        + Pattern.quote(dataKeyTopic)
                                        + " \\d+ --config cleanup\\.policy=compact\n");
            }
        }
    }

    private static List<Path> jobFiles() throws IOException {
        try (Stream<Path> paths = Files.list(JOBS)) {
            return paths.filter(
                            p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
                    .sorted()
                    .toList();
        }
    }

    private static JobConfig load(Path file) throws IOException {
        try {
            return JobConfig.parse(Files.readString(file), file.toString(), REQUIRED_ENV::get);
        } catch (ConfigException e) {
            return fail(file + " does not load: " + e.getMessage(), e);
        }
    }
}
