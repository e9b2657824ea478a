package io.cmekflink.testing;

import io.cmekflink.link.KeyChangeEvent;
import io.cmekflink.link.KeyChangeSignatures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;

/** The control plane's signing key of the tests, and its public key file for job definitions. */
public final class TestSigning {

    private static final KeyPair PAIR = KeyChangeSignatures.generateKeyPair();
    private static final Path PUBLIC_KEY_FILE = writePublicKey();

    private TestSigning() {}

    /** The public key file, as {@code key-changes.public-keys} names it. */
    public static Path publicKeyFile() {
        return PUBLIC_KEY_FILE;
    }

    public static KeyChangeSignatures signatures() {
        return KeyChangeSignatures.of(java.util.List.of(PAIR.getPublic()));
    }

    public static KeyChangeEvent sign(KeyChangeEvent event) {
        return KeyChangeSignatures.sign(event, PAIR.getPrivate());
    }

    private static Path writePublicKey() {
        try {
            Path dir = Files.createTempDirectory("cmek-flink-test-signing");
            Path privateFile = dir.resolve("signing-key.pem");
            Path publicFile = dir.resolve("signing-public.pem");
            KeyChangeSignatures.writeKeyPair(PAIR, privateFile, publicFile);
            Files.delete(privateFile);
            publicFile.toFile().deleteOnExit();
            dir.toFile().deleteOnExit();
            return publicFile;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
