package io.cmekflink.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The job jar's commands run with plain {@code java -jar}, without Flink on the classpath: the
 * cluster provides Flink to {@code flink run}, but {@code dead-letters} and {@code replay} run
 * anywhere.
 */
class JobJarIT {

    private static final Path JAR = Path.of("target/cmek-flink.jar");

    private static String run(String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Daws.disableEc2Metadata=true");
        command.add("-jar");
        command.add(JAR.toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("the command finishes").isTrue();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return process.exitValue() + "\n" + output;
    }

    @Test
    void helpListsTheCommands() throws Exception {
        assertThat(Files.exists(JAR)).as(JAR + " is built before integration tests").isTrue();
        String result = run("--help");
        assertThat(result).startsWith("0\n");
        assertThat(result).contains("run", "dead-letters", "replay");
        assertThat(result).doesNotContain("NoClassDefFoundError");
    }

    @Test
    void deadLettersReportsAnUnreachableBroker() throws IOException, Exception {
        String result =
                run(
                        "dead-letters",
                        "--bootstrap",
                        "127.0.0.1:1",
                        "--topic",
                        "t",
                        "--timeout",
                        "2s");
        assertThat(result).startsWith("2\n");
        assertThat(result).contains("error:");
        assertThat(result).doesNotContain("NoClassDefFoundError");
    }
}
