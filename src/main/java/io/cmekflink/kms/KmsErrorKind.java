package io.cmekflink.kms;

/** What a failed KMS call means for the key and the record. */
public enum KmsErrorKind {
    /** The key is disabled ({@code DisabledException}). */
    DISABLED(false),
    /** The key is scheduled for deletion ({@code KMSInvalidStateException}). */
    PENDING_DELETION(false),
    /** The key does not exist, or no longer ({@code NotFoundException}). */
    NOT_FOUND(false),
    /** The key policy or the credentials deny the call. */
    ACCESS_DENIED(false),
    /** The key cannot encrypt and decrypt ({@code InvalidKeyUsageException}). */
    INVALID_KEY_USAGE(false),
    /** KMS rejected the EDEK or its encryption context ({@code InvalidCiphertextException}). */
    INVALID_CIPHERTEXT(false),
    /** KMS used another key than the one requested. */
    KEY_MISMATCH(false),
    /** KMS throttled the request. */
    THROTTLED(true),
    /** KMS did not answer in time, answered 5xx, or the connection failed. */
    UNAVAILABLE(true),
    /** Any other error, such as an invalid request. */
    INTERNAL(false);

    private final boolean retriable;

    KmsErrorKind(boolean retriable) {
        this.retriable = retriable;
    }

    /** True when the same call may succeed if repeated later. */
    public boolean retriable() {
        return retriable;
    }

    /** True when the key can no longer be used until an admin acts on it. */
    public boolean keyUnusable() {
        return this == DISABLED
                || this == PENDING_DELETION
                || this == NOT_FOUND
                || this == ACCESS_DENIED
                || this == INVALID_KEY_USAGE;
    }
}
