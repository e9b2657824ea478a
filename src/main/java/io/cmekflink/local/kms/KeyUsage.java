package io.cmekflink.local.kms;

/**
 * Key usages that the admin API can create. Only {@code ENCRYPT_DECRYPT} keys serve the
 * cryptographic operations. A {@code GENERATE_VERIFY_MAC} key exists so that tests can provoke
 * {@code InvalidKeyUsageException}.
 */
public enum KeyUsage {
    ENCRYPT_DECRYPT("SYMMETRIC_DEFAULT"),
    GENERATE_VERIFY_MAC("HMAC_256");

    private final String keySpec;

    KeyUsage(String keySpec) {
        this.keySpec = keySpec;
    }

    /** The {@code KeySpec} that {@code DescribeKey} reports for a key of this usage. */
    String keySpec() {
        return keySpec;
    }
}
