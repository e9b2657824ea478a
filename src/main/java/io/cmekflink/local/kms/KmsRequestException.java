package io.cmekflink.local.kms;

/** A KMS error to send back to the caller as a JSON 1.1 error response. */
final class KmsRequestException extends RuntimeException {

    private final KmsErrorType type;

    /**
     * Creates the error. A null message sends a response without a {@code message} member, as KMS
     * does for {@code InvalidCiphertextException}.
     */
    KmsRequestException(KmsErrorType type, String message) {
        super(message, null, false, false);
        this.type = type;
    }

    KmsErrorType type() {
        return type;
    }
}
