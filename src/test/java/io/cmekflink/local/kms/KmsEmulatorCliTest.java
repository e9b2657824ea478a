package io.cmekflink.local.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the AWS CLI against the emulator. Skipped when {@code aws} is not on the PATH. The CLI gets
 * test credentials and empty config files, so no profile or metadata endpoint is consulted.
 */
class KmsEmulatorCliTest {

    private static final long TIMEOUT_SECONDS = 60;

    private record Result(int exitCode, String stdout, String stderr) {}

    @TempDir Path temp;

    private KmsEmulator emulator;
    private final ObjectMapper mapper = new ObjectMapper();

    @BeforeEach
    void start() throws Exception {
        assumeTrue(awsCliAvailable(), "the AWS CLI (aws) is not on the PATH");
        emulator = KmsEmulator.start();
    }

    @AfterEach
    void stop() {
        if (emulator != null) {
            emulator.close();
        }
    }

    @Test
    void keyLifecycleThroughCli() throws Exception {
        JsonNode created = json(aws("kms", "create-key", "--description", "cli key"));
        String keyId = created.path("KeyMetadata").path("KeyId").asText();

        JsonNode dataKey =
                json(
                        aws(
                                "kms",
                                "generate-data-key",
                                "--key-id",
                                keyId,
                                "--key-spec",
                                "AES_256",
                                "--encryption-context",
                                "org_id=org-7"));
        Path blobFile = temp.resolve("edek.bin");
        Files.write(blobFile, Base64.getDecoder().decode(dataKey.path("CiphertextBlob").asText()));
        JsonNode decrypted =
                json(
                        aws(
                                "kms",
                                "decrypt",
                                "--ciphertext-blob",
                                "fileb://" + blobFile,
                                "--encryption-context",
                                "org_id=org-7"));
        Result disabled = aws("kms", "disable-key", "--key-id", keyId);
        JsonNode described = json(aws("kms", "describe-key", "--key-id", keyId));
        Result refused =
                run(
                        Map.of(),
                        "kms",
                        "generate-data-key",
                        "--key-id",
                        keyId,
                        "--key-spec",
                        "AES_256");

        assertThat(created.path("KeyMetadata").path("Arn").asText())
                .isEqualTo("arn:aws:kms:us-east-1:111122223333:key/" + keyId);
        assertThat(Base64.getDecoder().decode(dataKey.path("CiphertextBlob").asText()))
                .hasSize(184);
        assertThat(Base64.getDecoder().decode(dataKey.path("Plaintext").asText())).hasSize(32);
        assertThat(decrypted.path("Plaintext").asText())
                .isEqualTo(dataKey.path("Plaintext").asText());
        assertThat(disabled.exitCode()).isZero();
        assertThat(described.path("KeyMetadata").path("KeyState").asText()).isEqualTo("Disabled");
        assertThat(described.path("KeyMetadata").path("Enabled").asBoolean()).isFalse();
        assertThat(refused.exitCode()).isNotZero();
        assertThat(refused.stderr()).contains("(DisabledException)").contains("is disabled.");
    }

    @Test
    void unknownAccessKeyThroughCli() throws Exception {
        Result result =
                run(Map.of("AWS_ACCESS_KEY_ID", "AKIAUNKNOWN000000000"), "kms", "create-key");

        assertThat(result.exitCode()).isNotZero();
        assertThat(result.stderr()).contains("(UnrecognizedClientException)");
    }

    /** Runs an AWS CLI command that must succeed. */
    private Result aws(String... args) throws IOException, InterruptedException {
        Result result = run(Map.of(), args);
        if (result.exitCode() != 0) {
            throw new AssertionError(
                    "aws " + String.join(" ", args) + " failed: " + result.stderr());
        }
        return result;
    }

    private Result run(Map<String, String> overrides, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add("aws");
        command.add("--endpoint-url");
        command.add(emulator.endpoint().toString());
        command.add("--output");
        command.add("json");
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        Map<String, String> env = builder.environment();
        env.put("AWS_ACCESS_KEY_ID", KmsEmulator.DEFAULT_ACCESS_KEY_ID);
        env.put("AWS_SECRET_ACCESS_KEY", KmsEmulator.DEFAULT_SECRET_ACCESS_KEY);
        env.remove("AWS_SESSION_TOKEN");
        env.remove("AWS_PROFILE");
        env.put("AWS_DEFAULT_REGION", "us-east-1");
        env.put("AWS_EC2_METADATA_DISABLED", "true");
        env.put("AWS_CONFIG_FILE", "/dev/null");
        env.put("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        env.putAll(overrides);
        Path stdout = temp.resolve("stdout.txt");
        Path stderr = temp.resolve("stderr.txt");
        builder.redirectOutput(stdout.toFile());
        builder.redirectError(stderr.toFile());
        Process process = builder.start();
        if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("aws " + String.join(" ", args) + " timed out");
        }
        return new Result(
                process.exitValue(),
                Files.readString(stdout, StandardCharsets.UTF_8),
                Files.readString(stderr, StandardCharsets.UTF_8));
    }

    private JsonNode json(Result result) throws IOException {
        return mapper.readTree(result.stdout());
    }

    private static boolean awsCliAvailable() {
        try {
            Process process =
                    new ProcessBuilder("aws", "--version").redirectErrorStream(true).start();
            process.getInputStream().readAllBytes();
            return process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS) && process.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
