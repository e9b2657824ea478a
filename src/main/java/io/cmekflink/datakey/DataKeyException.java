package io.cmekflink.datakey;

/**
 * A failure to publish or find a data-key entry. The message names the topic, partition and offset
 * where they are known, and the fix. It never contains EDEK bytes or key material.
 *
 * <p>{@link #retriable()} returns whether the same request may succeed later, for example when a
 * broker is down or an entry is not readable yet. A failure that is not retriable never goes away,
 * for example when the entry was deleted or the reference points into another topic, so the record
 * that needed the entry belongs in the dead letters.
 */
public final class DataKeyException extends RuntimeException {

    private final boolean retriable;

    public DataKeyException(String message, boolean retriable) {
        super(message);
        this.retriable = retriable;
    }

    public DataKeyException(String message, boolean retriable, Throwable cause) {
        super(message, cause);
        this.retriable = retriable;
    }

    /** Returns whether the same request may succeed when it is made again later. */
    public boolean retriable() {
        return retriable;
    }
}
