package io.cmekflink.deadletter.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class TimeBoundTest {

    private static final Instant NOW = Instant.parse("2025-03-01T12:00:00Z");

    @Test
    void instantIsFixed() {
        assertThat(TimeBound.parse("2025-02-01T08:30:00Z"))
                .isEqualTo(new TimeBound.At(Instant.parse("2025-02-01T08:30:00Z")));
        assertThat(TimeBound.parse("2025-02-01T08:30:00Z").resolve(NOW))
                .isEqualTo(Instant.parse("2025-02-01T08:30:00Z"));
    }

    @Test
    void instantWithOffsetIsUtc() {
        assertThat(TimeBound.parse("2025-02-01T09:30:00+01:00").resolve(NOW))
                .isEqualTo(Instant.parse("2025-02-01T08:30:00Z"));
    }

    @Test
    void durationCountsBackFromNow() {
        assertThat(TimeBound.parse("2h")).isEqualTo(new TimeBound.Ago(Duration.ofHours(2)));
        assertThat(TimeBound.parse("2h").resolve(NOW))
                .isEqualTo(Instant.parse("2025-03-01T10:00:00Z"));
        assertThat(TimeBound.parse("7d").resolve(NOW))
                .isEqualTo(Instant.parse("2025-02-22T12:00:00Z"));
        assertThat(TimeBound.parse("PT90M").resolve(NOW))
                .isEqualTo(Instant.parse("2025-03-01T10:30:00Z"));
    }

    @Test
    void invalidTextNamesAcceptedForms() {
        assertThatThrownBy(() -> TimeBound.parse("2025-02-30T00:00:00Z"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "'2025-02-30T00:00:00Z' is neither an ISO-8601 instant such as"
                                + " 2025-01-31T12:00:00Z nor a duration ago such as 30m, 2h or 7d");
    }

    @Test
    void negativeDurationRejected() {
        assertThatThrownBy(() -> TimeBound.parse("-PT2H"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("'-PT2H' is a negative duration; write how long ago, such as 2h");
    }
}
