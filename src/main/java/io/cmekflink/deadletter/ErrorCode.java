package io.cmekflink.deadletter;

import io.cmekflink.kms.KmsErrorKind;

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
    UNKNOWN(false),
    /**
     * A record's data-key reference names no usable entry in the data-key topic: the entry was
     * deleted or compacted away, the reference does not match it, or the reader has no data-key
     * topic set. Not retriable: the record cannot be read until its entry is restored.
     */
    DATA_KEY_NOT_FOUND(false),
    /**
     * The data-key topic could not be written or read in time: the DEK's entry was not published
     * (encrypt, re-wrap), or a record's entry was not yet readable (decrypt). Retriable.
     */
    DATA_KEY_UNAVAILABLE(true);

    private final boolean retriable;

    ErrorCode(boolean retriable) {
        this.retriable = retriable;
    }

    /** True when the same record may succeed later without a change to it or to the key. */
    public boolean retriable() {
        return retriable;
    }

    /** The error code of a record whose KMS call failed with {@code kind}. */
    public static ErrorCode fromKms(KmsErrorKind kind) {
        return switch (kind) {
            case DISABLED -> KEY_DISABLED;
            case PENDING_DELETION -> KEY_PENDING_DELETION;
            case NOT_FOUND -> KEY_NOT_FOUND;
            case ACCESS_DENIED -> ACCESS_DENIED;
            case INVALID_KEY_USAGE -> INVALID_KEY_USAGE;
            case INVALID_CIPHERTEXT -> INVALID_CIPHERTEXT;
            case KEY_MISMATCH -> KEY_MISMATCH;
            case THROTTLED -> KMS_THROTTLED;
            case UNAVAILABLE -> KMS_UNAVAILABLE;
            case INTERNAL -> INTERNAL_ERROR;
        };
    }

    /**
     * True when a dead letter of this code may keep the input sealed under the platform dead-letter
     * key, for a replay once the cause is fixed: KMS throttling and unavailability, a data-key
     * topic that could not be written, and records whose org has no key link yet. All other codes
     * drop the payload: for a revoked key because the org chose to make its data unreadable.
     */
    public boolean sealable() {
        return this == KMS_THROTTLED
                || this == KMS_UNAVAILABLE
                || this == NO_KEY_LINKED
                || this == DATA_KEY_UNAVAILABLE;
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
