package io.cmekflink.deadletter.report;

import io.cmekflink.config.Durations;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/** One end of a time window: a fixed instant, or a duration before the time a report starts. */
public sealed interface TimeBound {

    /** Returns the instant this bound stands for when the report starts at {@code now}. */
    Instant resolve(Instant now);

    /** A fixed instant. */
    record At(Instant instant) implements TimeBound {
        @Override
        public Instant resolve(Instant now) {
            return instant;
        }
    }

    /** A duration before the start of the report. */
    record Ago(Duration duration) implements TimeBound {
        @Override
        public Instant resolve(Instant now) {
            return now.minus(duration);
        }
    }

    /**
     * Parses an ISO-8601 instant ({@code 2025-01-31T12:00:00Z}, or with an offset such as {@code
     * +01:00}) or a duration ago in the forms of {@link Durations#parse} ({@code 30m}, {@code 2h},
     * {@code 7d}, {@code PT90M}).
     *
     * @throws IllegalArgumentException naming the value and the accepted forms
     */
    static TimeBound parse(String text) {
        try {
            return new At(Instant.parse(text.trim()));
        } catch (DateTimeParseException e) {
            // Not an instant: try a duration below.
        }
        Duration duration;
        try {
            duration = Durations.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "'"
                            + text
                            + "' is neither an ISO-8601 instant such as 2025-01-31T12:00:00Z nor a"
                            + " duration ago such as 30m, 2h or 7d");
        }
        if (duration.isNegative()) {
            throw new IllegalArgumentException(
                    "'" + text + "' is a negative duration; write how long ago, such as 2h");
        }
        return new Ago(duration);
    }
}
