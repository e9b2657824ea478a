package io.cmekflink.kms;

/**
 * A KMS call that failed for good, after retries where the error allowed them. Its message names
 * the operation, the key ARN, the AWS error code and request id; never key material.
 */
public final class KmsCallException extends RuntimeException {

    private final KmsErrorKind kind;
    private final String keyArn;
    private final String awsErrorCode;
    private final String requestId;
    private final int attempts;

    public KmsCallException(
            KmsErrorKind kind,
            String operation,
            String keyArn,
            String awsErrorCode,
            String requestId,
            int attempts,
            String detail,
            Throwable cause) {
        super(
                operation
                        + " on "
                        + keyArn
                        + " failed after "
                        + attempts
                        + (attempts == 1 ? " attempt" : " attempts")
                        + ": "
                        + kind
                        + (awsErrorCode == null ? "" : " (" + awsErrorCode + ")")
                        + (detail == null || detail.isEmpty() ? "" : ": " + detail),
                cause);
        this.kind = kind;
        this.keyArn = keyArn;
        this.awsErrorCode = awsErrorCode;
        this.requestId = requestId;
        this.attempts = attempts;
    }

    public KmsErrorKind kind() {
        return kind;
    }

    public String keyArn() {
        return keyArn;
    }

    /** The {@code __type} that KMS returned, or {@code null} when no response arrived. */
    public String awsErrorCode() {
        return awsErrorCode;
    }

    public String requestId() {
        return requestId;
    }

    public int attempts() {
        return attempts;
    }
}
