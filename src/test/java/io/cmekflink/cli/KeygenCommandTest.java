package io.cmekflink.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cmekflink.link.KeyChangeEvent;
import io.cmekflink.link.KeyChangeSignatures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeygenCommandTest {

    @TempDir Path dir;

    private CommandRun keygen(String... extra) {
        String[] base = {
            "--private-key",
            dir.resolve("signing.pem").toString(),
            "--public-key",
            dir.resolve("signing.pub.pem").toString()
        };
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return CommandRun.of(new KeygenCommand(), args);
    }

    @Test
    void writesAKeyPairThatSignsAndVerifies() throws Exception {
        CommandRun run = keygen();

        assertThat(run.exitCode()).isZero();
        assertThat(run.stderr()).isEmpty();
        Path privateFile = dir.resolve("signing.pem");
        Path publicFile = dir.resolve("signing.pub.pem");
        assertThat(Files.readString(privateFile)).startsWith("-----BEGIN PRIVATE KEY-----\n");
        assertThat(Files.readString(publicFile)).startsWith("-----BEGIN PUBLIC KEY-----\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(privateFile)))
                .isEqualTo("rw-------");

        PrivateKey key = KeyChangeSignatures.readPrivateKey(privateFile);
        KeyChangeEvent signed =
                KeyChangeSignatures.sign(KeyChangeEvent.unlinked("acme", 1, 0), key);
        assertThat(KeyChangeSignatures.fromPublicKeyFiles(List.of(publicFile)).verifies(signed))
                .isTrue();
    }

    @Test
    void printsPathsAndPublicKeyDigest() throws Exception {
        CommandRun run = keygen();

        JsonNode json = new ObjectMapper().readTree(run.stdout());
        assertThat(run.stdout().lines().count()).isEqualTo(1);
        assertThat(json.get("private_key").asText())
                .isEqualTo(dir.resolve("signing.pem").toString());
        assertThat(json.get("public_key").asText())
                .isEqualTo(dir.resolve("signing.pub.pem").toString());
        String pem = Files.readString(dir.resolve("signing.pub.pem"));
        byte[] der =
                java.util.Base64.getMimeDecoder()
                        .decode(
                                pem.replace("-----BEGIN PUBLIC KEY-----", "")
                                        .replace("-----END PUBLIC KEY-----", ""));
        assertThat(json.get("public_key_sha256").asText())
                .isEqualTo(
                        HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(der)));
    }

    @Test
    void existingPrivateKeyIsKeptWithoutForce() throws Exception {
        Path privateFile = dir.resolve("signing.pem");
        Files.writeString(privateFile, "old");

        CommandRun run = keygen();

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.stdout()).isEmpty();
        assertThat(run.stderr())
                .isEqualTo(
                        "error: "
                                + privateFile
                                + " exists; pass --force to overwrite it"
                                + System.lineSeparator());
        assertThat(Files.readString(privateFile)).isEqualTo("old");
        assertThat(dir.resolve("signing.pub.pem")).doesNotExist();
    }

    @Test
    void existingPublicKeyIsKeptWithoutForce() throws Exception {
        Path publicFile = dir.resolve("signing.pub.pem");
        Files.writeString(publicFile, "old");

        CommandRun run = keygen();

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.firstErrLine())
                .isEqualTo("error: " + publicFile + " exists; pass --force to overwrite it");
        assertThat(Files.readString(publicFile)).isEqualTo("old");
        assertThat(dir.resolve("signing.pem")).doesNotExist();
    }

    @Test
    void forceReplacesBothFiles() throws Exception {
        assertThat(keygen().exitCode()).isZero();
        String oldPublic = Files.readString(dir.resolve("signing.pub.pem"));
        Files.setPosixFilePermissions(
                dir.resolve("signing.pem"), PosixFilePermissions.fromString("rw-r--r--"));

        CommandRun run = keygen("--force");

        assertThat(run.exitCode()).isZero();
        assertThat(Files.readString(dir.resolve("signing.pub.pem"))).isNotEqualTo(oldPublic);
        assertThat(
                        PosixFilePermissions.toString(
                                Files.getPosixFilePermissions(dir.resolve("signing.pem"))))
                .isEqualTo("rw-------");
    }

    @Test
    void samePathForBothKeysIsRejected() {
        String file = dir.resolve("key.pem").toString();

        CommandRun run =
                CommandRun.of(new KeygenCommand(), "--private-key", file, "--public-key", file);

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.firstErrLine())
                .isEqualTo("error: --private-key and --public-key name the same file " + file);
    }

    @Test
    void missingDirectoryIsReported() {
        String missing = dir.resolve("no-such-dir").resolve("signing.pem").toString();

        CommandRun run =
                CommandRun.of(
                        new KeygenCommand(),
                        "--private-key",
                        missing,
                        "--public-key",
                        dir.resolve("signing.pub.pem").toString());

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.firstErrLine())
                .isEqualTo("error: writing the key pair failed: NoSuchFileException " + missing);
    }
}
