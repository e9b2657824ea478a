package io.cmekflink.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.cmekflink.cli.Main;
import io.cmekflink.datakey.DataKeyTopic;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;

/** The sandbox's data-key topic, and the checks of the sandbox command's option for it. */
class SandboxTest {

    @Test
    void dataKeyTopicPassesJobCheck() throws Exception {
        try (Sandbox sandbox = Sandbox.start(0, 0, 1);
                Admin admin = Admin.create(sandbox.kafka().clientProperties())) {
            sandbox.createDataKeyTopic("api-logs-data-keys");

            // The check that a job with encryption.data-key-topic runs before it starts.
            assertThatCode(
                            () ->
                                    DataKeyTopic.verify(
                                            admin, "api-logs-data-keys", Duration.ofSeconds(30)))
                    .doesNotThrowAnyException();
            assertThat(
                            admin.describeTopics(List.of("api-logs-data-keys"))
                                    .allTopicNames()
                                    .get()
                                    .get("api-logs-data-keys")
                                    .partitions())
                    .hasSize(1);
        }
    }

    @Test
    void commandRejectsSandboxTopicAsDataKeyTopic() {
        String error = runWithInvalidInput("--data-key-topic", "key-changes");

        assertThat(error)
                .isEqualTo(
                        "error: --data-key-topic must name a topic of its own, got key-changes,"
                                + " which the sandbox creates for jobs/local-encrypt.yaml");
    }

    @Test
    void commandRejectsInvalidDataKeyTopic() {
        String error = runWithInvalidInput("--data-key-topic", "data keys");

        assertThat(error).startsWith("error: --data-key-topic is invalid: ").contains("data keys");
    }

    /** Runs the sandbox command, which must exit with code 2, and returns its first error line. */
    private static String runWithInvalidInput(String... args) {
        PrintStream stderr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exitCode;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            exitCode = Main.execute(new SandboxCommand(), args);
        } finally {
            System.setErr(stderr);
        }
        assertThat(exitCode).isEqualTo(2);
        return err.toString(StandardCharsets.UTF_8).lines().findFirst().orElse("");
    }
}
