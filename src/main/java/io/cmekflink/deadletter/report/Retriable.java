package io.cmekflink.deadletter.report;

import java.util.Locale;

/** The retriable flags of a group of dead letters: all true, all false, or both. */
public enum Retriable {
    TRUE,
    FALSE,
    MIXED;

    static Retriable of(boolean retriable) {
        return retriable ? TRUE : FALSE;
    }

    /** Returns the combined value after one more dead letter with the given flag. */
    Retriable and(boolean retriable) {
        return this == of(retriable) ? this : MIXED;
    }

    /**
     * Returns the lower-case name, {@code true}, {@code false} or {@code mixed}, as both outputs
     * show it.
     */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
