package io.cmekflink.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cmekflink.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DemoFaultsTest {

    @Test
    void parsesEveryFault() {
        DemoFaults faults = DemoFaults.parse("throttle=0.3,latency=20ms,outage=5s");

        assertThat(faults.throttle()).isEqualTo(0.3);
        assertThat(faults.latency()).isEqualTo(Duration.ofMillis(20));
        assertThat(faults.outage()).isEqualTo(Duration.ofSeconds(5));
        assertThat(faults.isNone()).isFalse();
        assertThat(faults).hasToString("throttle=0.3,latency=20ms,outage=5s");
    }

    @Test
    void leavesOmittedFaultsOff() {
        DemoFaults faults = DemoFaults.parse(" outage = 2s ");

        assertThat(faults.throttle()).isZero();
        assertThat(faults.latency()).isZero();
        assertThat(faults.outage()).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void acceptsTheLimits() {
        DemoFaults faults = DemoFaults.parse("throttle=0.5,latency=500ms,outage=10s");

        assertThat(faults.throttle()).isEqualTo(DemoFaults.MAX_THROTTLE);
        assertThat(faults.latency()).isEqualTo(DemoFaults.MAX_LATENCY);
        assertThat(faults.outage()).isEqualTo(DemoFaults.MAX_OUTAGE);
    }

    @Test
    void noneTurnsEveryFaultOff() {
        assertThat(DemoFaults.none().isNone()).isTrue();
        assertThat(DemoFaults.none()).hasToString("none");
        assertThat(DemoFaults.parse("throttle=0").isNone()).isTrue();
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '"',
            value = {
                "throttle=0.3,latncy=20ms | 'latncy=20ms': unknown fault 'latncy'",
                "throttle=0.3, | '': expected NAME=VALUE",
                "outage | 'outage': expected NAME=VALUE",
                "=5s | '=5s': expected NAME=VALUE",
                "throttle=lots | 'throttle=lots': 'lots' is not a number",
                "throttle=0.6 | 'throttle=0.6': the throttle probability must be between 0 and 0.5",
                "throttle=-0.1 | 'throttle=-0.1': the throttle probability must be between 0 and"
                        + " 0.5",
                "throttle=NaN | 'throttle=NaN': the throttle probability must be between 0 and 0.5",
                "latency=2s | 'latency=2s': must be between 0 and 500ms",
                "outage=11s | 'outage=11s': must be between 0 and 10s",
                "outage=5 | 'outage=5': '5' is not a duration",
                "outage=1s,outage=2s | 'outage=2s': duplicate fault 'outage'",
            })
    void rejectsInvalidPartWithItsName(String spec, String expected) {
        assertThatThrownBy(() -> DemoFaults.parse(spec))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid --faults part " + expected)
                .hasMessageEndingWith("; expected " + DemoFaults.FORM);
    }

    @Test
    void formStatesTheLimits() {
        assertThat(DemoFaults.FORM)
                .contains("throttle=P (0 to " + DemoFaults.MAX_THROTTLE + ")")
                .contains("latency=DURATION (at most 500ms)")
                .contains("outage=DURATION (at most 10s)");
        assertThat(DemoFaults.MAX_LATENCY).isEqualTo(Duration.ofMillis(500));
        assertThat(DemoFaults.MAX_OUTAGE).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void demoCommandRejectsInvalidSpecWithExitCode2() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = run(err, "--faults", "throttle=0.3,latncy=20ms");

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .isEqualTo(
                        "error: invalid --faults part 'latncy=20ms': unknown fault 'latncy';"
                                + " expected "
                                + DemoFaults.FORM
                                + System.lineSeparator());
    }

    @Test
    void demoCommandRejectsKillBeyondItsRange() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = run(err, "--records-per-batch", "15", "--kill-task-after", "151");

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .startsWith("error: --kill-task-after must be between 1 and 150 ")
                .contains("got 151");
    }

    @Test
    void demoCommandRejectsKillOfZero() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = run(err, "--kill-task-after", "0");

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .startsWith("error: --kill-task-after must be between 1 and 600");
    }

    /** Runs the demo command as the local jar does, with its stderr in {@code err}. */
    private static int run(ByteArrayOutputStream err, String... args) {
        PrintStream original = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            return Main.execute(new DemoCommand(), args);
        } finally {
            System.setErr(original);
        }
    }
}
