package io.cmekflink.deadletter;

/**
 * Why a record became a dead letter. The symbols and their order are frozen, because they are the
 * symbols of the {@code ErrorCode} enum in {@code schemas/dead-letter.avsc}: new codes are only
 * appended, and readers that do not know a code read {@link #UNKNOWN}.
 */
public enum ErrorCode {
    MALFORMED_RECORD(false),
    MISSING_ORG_ID(false),
    UNKNOWN_SCHEMA(false),
    NO_KEY_LINKED(false),
    KEY_UNLINKED(false),
    INVALID_KEY_LINK(false),
    KEY_DISABLED(false),
    KEY_PENDING_DELETION(false),
    KEY_NOT_FOUND(false),
    ACCESS_DENIED(false),
    INVALID_KEY_USAGE(false),
    INVALID_CIPHERTEXT(false),
    TAMPERED(false),
    KEY_MISMATCH(false),
    KMS_THROTTLED(true),
    KMS_UNAVAILABLE(true),
    RECORD_TOO_LARGE(false),
    INTERNAL_ERROR(true),
    UNKNOWN(false);

    private final boolean retriable;

    ErrorCode(boolean retriable) {
        this.retriable = retriable;
    }

    /** True when the same record may succeed later without a change to it or to the key. */
    public boolean retriable() {
        return retriable;
    }

    /**
     * True when the org's key was revoked: the org chose to make its data unreadable, so a dead
     * letter never keeps the marked fields, not even sealed.
     */
    public boolean isRevocation() {
        return this == KEY_DISABLED
                || this == KEY_PENDING_DELETION
                || this == KEY_NOT_FOUND
                || this == ACCESS_DENIED;
    }
}
