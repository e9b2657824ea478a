package io.cmekflink.kms;

/**
 * The answer of one {@code GenerateDataKey} call. The caller takes ownership of {@code plaintext}
 * and must hand it to a {@code Dek}, which zeroes it; nothing else may keep it.
 *
 * @param keyArn the key ARN that KMS reported using, already checked against the request
 * @param reference the data-key reference of the DEK's entry in the data-key topic, which records
 *     carry in place of the key ARN and the EDEK; null when records carry the EDEK
 */
public record GeneratedDataKey(
        byte[] plaintext, byte[] edek, String keyArn, int attempts, byte[] reference) {

    public GeneratedDataKey(byte[] plaintext, byte[] edek, String keyArn, int attempts) {
        this(plaintext, edek, keyArn, attempts, null);
    }

    /** Returns a copy with the reference of the DEK's published data-key entry. */
    public GeneratedDataKey withReference(byte[] newReference) {
        return new GeneratedDataKey(plaintext, edek, keyArn, attempts, newReference);
    }

    @Override
    public String toString() {
        return "GeneratedDataKey[keyArn=" + keyArn + ", plaintext=***]";
    }
}
