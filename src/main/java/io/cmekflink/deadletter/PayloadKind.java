package io.cmekflink.deadletter;

/** What the payload of a dead letter contains; frozen like {@link ErrorCode}. */
public enum PayloadKind {
    /** No payload: the record's marked fields must not be kept. */
    DROPPED,
    /** The encrypted record as it was read; only decrypt-side dead letters carry it. */
    ENCRYPTED_RECORD,
    /** The input value sealed under the platform dead-letter key. */
    SEALED
}
