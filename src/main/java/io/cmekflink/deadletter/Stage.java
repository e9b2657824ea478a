package io.cmekflink.deadletter;

/** The processing stage that produced a dead letter; frozen like {@link ErrorCode}. */
public enum Stage {
    PARSE,
    RESOLVE,
    ENCRYPT,
    DECRYPT,
    REWRAP,
    UNKNOWN
}
