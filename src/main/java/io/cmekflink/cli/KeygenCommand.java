package io.cmekflink.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cmekflink.link.KeyChangeSignatures;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Generates the Ed25519 key pair with which the control plane signs key-change events. */
@Command(
        name = "keygen",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Writes a new Ed25519 key pair for signing key-change events: the private key in"
                    + " PKCS #8 PEM, readable by its owner only, for link-key and unlink-key"
                    + " --signing-key, and the public key in X.509 PEM for the job's"
                    + " key-changes.public-keys.",
            "Prints one JSON line with both paths and the SHA-256 of the public key's DER"
                    + " encoding. Exit code 0 when both files were written; 2 when a file exists"
                    + " without --force or cannot be written."
        })
public final class KeygenCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(
            names = "--private-key",
            required = true,
            paramLabel = "FILE",
            description = "Where to write the private key.")
    Path privateKeyFile;

    @Option(
            names = "--public-key",
            required = true,
            paramLabel = "FILE",
            description = "Where to write the public key.")
    Path publicKeyFile;

    @Option(names = "--force", description = "Overwrite files that exist.")
    boolean force;

    @Override
    public Integer call() {
        if (privateKeyFile
                .toAbsolutePath()
                .normalize()
                .equals(publicKeyFile.toAbsolutePath().normalize())) {
            throw new UserException(
                    "--private-key and --public-key name the same file " + privateKeyFile);
        }
        requireWritable(publicKeyFile);
        KeyPair pair = KeyChangeSignatures.generateKeyPair();
        try {
            createOwnerOnly(privateKeyFile);
            KeyChangeSignatures.writeKeyPair(pair, privateKeyFile, publicKeyFile);
        } catch (FileAlreadyExistsException e) {
            throw exists(privateKeyFile, e);
        } catch (IOException e) {
            throw new UserException(
                    "writing the key pair failed: "
                            + e.getClass().getSimpleName()
                            + " "
                            + e.getMessage(),
                    e);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println(summary(pair));
        out.flush();
        return 0;
    }

    private void requireWritable(Path file) {
        if (Files.exists(file) && !force) {
            throw exists(file, null);
        }
    }

    /**
     * Creates the private key file with owner-only permissions before any key byte is written, so
     * that the key is never readable by others, not even for a moment.
     */
    private void createOwnerOnly(Path file) throws IOException {
        if (Files.exists(file) && !force) {
            throw new FileAlreadyExistsException(file.toString());
        }
        Files.deleteIfExists(file);
        try {
            Files.createFile(
                    file,
                    PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            // A file system without POSIX permissions: writeKeyPair keeps its defaults.
            Files.createFile(file);
        }
    }

    private UserException exists(Path file, Throwable cause) {
        return new UserException(file + " exists; pass --force to overwrite it", cause);
    }

    private String summary(KeyPair pair) {
        ObjectNode root = new ObjectMapper().createObjectNode();
        root.put("private_key", privateKeyFile.toString());
        root.put("public_key", publicKeyFile.toString());
        root.put("public_key_sha256", sha256(pair.getPublic().getEncoded()));
        return root.toString();
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
    }
}
