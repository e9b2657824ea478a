package io.cmekflink.kms;

/**
 * The answer of one {@code GenerateDataKey} call. The caller takes ownership of {@code plaintext}
 * and must hand it to a {@code Dek}, which zeroes it; nothing else may keep it.
 *
 * @param keyArn the key ARN that KMS reported using, already checked against the request
 */
public record GeneratedDataKey(byte[] plaintext, byte[] edek, String keyArn, int attempts) {

    @Override
    public String toString() {
        return "GeneratedDataKey[keyArn=" + keyArn + ", plaintext=***]";
    }
}
