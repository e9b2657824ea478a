package io.cmekflink.link;

import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Ed25519 signatures of key-change events: the control plane signs each event with its private key,
 * and the job accepts only events that one of its configured public keys verifies. Whoever can
 * write the key-change topic would otherwise decide which key protects an org's data.
 *
 * <p>Keys are PEM files: the private key in PKCS #8 ({@code BEGIN PRIVATE KEY}), the public key in
 * X.509 SubjectPublicKeyInfo ({@code BEGIN PUBLIC KEY}), as {@code openssl genpkey -algorithm
 * ed25519} and {@code openssl pkey -pubout} write them. Several public keys may be configured at
 * once, so that the signing key can be rotated without a pause.
 *
 * <p>Thread safety: instances are immutable; each verification uses its own {@link Signature}.
 */
public final class KeyChangeSignatures implements Serializable {

    private static final long serialVersionUID = 1L;
    private static final String ALGORITHM = "Ed25519";

    private final List<byte[]> publicKeys;
    private transient List<PublicKey> parsed;

    private KeyChangeSignatures(List<byte[]> publicKeys) {
        this.publicKeys = List.copyOf(publicKeys);
    }

    /**
     * Reads public keys from PEM files.
     *
     * @throws IllegalArgumentException naming the file that is missing or not an Ed25519 public key
     */
    public static KeyChangeSignatures fromPublicKeyFiles(List<Path> files) {
        if (files.isEmpty()) {
            throw new IllegalArgumentException("at least one public key file is needed");
        }
        List<byte[]> keys = new ArrayList<>();
        for (Path file : files) {
            byte[] der = pem(file, "PUBLIC KEY");
            try {
                KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                throw new IllegalArgumentException(
                        file + " is not an Ed25519 public key in X.509 PEM form", e);
            }
            keys.add(der);
        }
        return new KeyChangeSignatures(keys);
    }

    /** Verifies with the given public keys, in X.509 SubjectPublicKeyInfo form. */
    public static KeyChangeSignatures of(List<PublicKey> keys) {
        return new KeyChangeSignatures(keys.stream().map(PublicKey::getEncoded).toList());
    }

    /** True when one of the public keys verifies the event's signature. */
    public boolean verifies(KeyChangeEvent event) {
        byte[] signature = event.signature();
        if (signature == null || signature.length != 64) {
            return false;
        }
        byte[] message = event.signedBytes();
        for (PublicKey key : keys()) {
            try {
                Signature verifier = Signature.getInstance(ALGORITHM);
                verifier.initVerify(key);
                verifier.update(message);
                if (verifier.verify(signature)) {
                    return true;
                }
            } catch (GeneralSecurityException e) {
                // A signature that does not parse does not verify.
            }
        }
        return false;
    }

    private List<PublicKey> keys() {
        if (parsed == null) {
            List<PublicKey> out = new ArrayList<>();
            for (byte[] der : publicKeys) {
                try {
                    out.add(
                            KeyFactory.getInstance(ALGORITHM)
                                    .generatePublic(new X509EncodedKeySpec(der)));
                } catch (GeneralSecurityException e) {
                    throw new IllegalStateException("a configured public key no longer parses", e);
                }
            }
            parsed = out;
        }
        return parsed;
    }

    /** Signs an event with a private key and returns the signed event. */
    public static KeyChangeEvent sign(KeyChangeEvent event, PrivateKey key) {
        try {
            Signature signer = Signature.getInstance(ALGORITHM);
            signer.initSign(key);
            signer.update(event.signedBytes());
            return event.withSignature(signer.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("signing a key-change event failed", e);
        }
    }

    /**
     * Reads an Ed25519 private key from a PKCS #8 PEM file.
     *
     * @throws IllegalArgumentException naming the file that is missing or not such a key
     */
    public static PrivateKey readPrivateKey(Path file) {
        byte[] der = pem(file, "PRIVATE KEY");
        try {
            return KeyFactory.getInstance(ALGORITHM).generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(
                    file + " is not an Ed25519 private key in PKCS #8 PEM form", e);
        }
    }

    /** Generates a key pair for signing key-change events. */
    public static KeyPair generateKeyPair() {
        try {
            return KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(ALGORITHM + " is not available in this JVM", e);
        }
    }

    /** Writes a key pair as PEM files; the private key file is readable by its owner only. */
    public static void writeKeyPair(KeyPair pair, Path privateFile, Path publicFile)
            throws IOException {
        writePem(privateFile, "PRIVATE KEY", pair.getPrivate().getEncoded());
        try {
            Files.setPosixFilePermissions(
                    privateFile,
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // A file system without POSIX permissions keeps its defaults.
        }
        writePem(publicFile, "PUBLIC KEY", pair.getPublic().getEncoded());
    }

    private static void writePem(Path file, String type, byte[] der) throws IOException {
        String body =
                Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(der);
        Files.writeString(
                file, "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n");
    }

    private static byte[] pem(Path file, String type) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read key file " + file, e);
        }
        String begin = "-----BEGIN " + type + "-----";
        String end = "-----END " + type + "-----";
        int from = text.indexOf(begin);
        int to = text.indexOf(end);
        if (from < 0 || to < from) {
            throw new IllegalArgumentException("key file " + file + " has no " + begin + " block");
        }
        try {
            return Base64.getMimeDecoder().decode(text.substring(from + begin.length(), to));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("key file " + file + " is not valid PEM", e);
        }
    }
}
