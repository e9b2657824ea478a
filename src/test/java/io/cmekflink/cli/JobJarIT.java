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
 * cluster provides Flink to {@code flink run}, but {@code dead-letters}, {@code replay}, {@code
 * link-key}, {@code unlink-key} and {@code keygen} run anywhere.
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
        assertThat(result)
                .contains("run", "dead-letters", "replay", "link-key", "unlink-key", "keygen");
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

    @Test
    void linkKeyHelpRuns() throws Exception {
        String result = run("link-key", "--help");

        assertThat(result).startsWith("0\n");
        assertThat(result).contains("Usage: cmek-flink link-key", "--verify", "--dry-run");
        assertThat(result).doesNotContain("NoClassDefFoundError");
    }

    @Test
    void linkKeyDryRunValidates() throws Exception {
        String arn = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

        String valid =
                run(
                        "link-key",
                        "--org",
                        "acme",
                        "--name",
                        "prod",
                        "--arn",
                        arn,
                        "--region",
                        "eu-west-1",
                        "--geo",
                        "EU",
                        "--dry-run");
        String outsideGeo =
                run(
                        "link-key",
                        "--org",
                        "acme",
                        "--name",
                        "prod",
                        "--arn",
                        arn,
                        "--region",
                        "eu-west-1",
                        "--geo",
                        "US",
                        "--dry-run");

        // Without an SLF4J provider in the job jar, stderr may start with SLF4J's warnings.
        assertThat(valid).startsWith("0\n");
        assertThat(valid.lines())
                .anySatisfy(
                        line ->
                                assertThat(line)
                                        .startsWith(
                                                "{\"org_id\":\"acme\",\"change\":\"LINKED\","
                                                        + "\"version\":1,")
                                        .endsWith("\"dry_run\":true}"));
        assertThat(outsideGeo).startsWith("2\n");
        assertThat(outsideGeo.lines())
                .contains(
                        "error: invalid region 'eu-west-1': outside geo US, whose regions are"
                                + " [us-west-2, us-east-2]");
        assertThat(valid + outsideGeo).doesNotContain("NoClassDefFoundError");
    }

    @Test
    void keygenWritesAKeyPair() throws Exception {
        Path dir = Files.createTempDirectory("cmek-flink-keygen");
        Path privateFile = dir.resolve("signing.pem");
        Path publicFile = dir.resolve("signing.pub.pem");
        try {
            String result =
                    run(
                            "keygen",
                            "--private-key",
                            privateFile.toString(),
                            "--public-key",
                            publicFile.toString());

            assertThat(result).startsWith("0\n");
            assertThat(result).contains("{\"private_key\":\"" + privateFile + "\"");
            assertThat(Files.readString(publicFile)).startsWith("-----BEGIN PUBLIC KEY-----");
        } finally {
            Files.deleteIfExists(privateFile);
            Files.deleteIfExists(publicFile);
            Files.deleteIfExists(dir);
        }
    }
}
