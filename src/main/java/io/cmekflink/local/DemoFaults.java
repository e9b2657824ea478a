package io.cmekflink.local;

import io.cmekflink.config.Durations;
import io.cmekflink.local.kms.FaultInjector;
import io.cmekflink.local.kms.KmsOperation;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * KMS faults of a demo run, parsed from the {@code --faults} option: {@code throttle=P} fails each
 * cryptographic call (GenerateDataKey, Decrypt, Encrypt, ReEncrypt) with {@code
 * ThrottlingException} with probability P; {@code latency=DURATION} delays every KMS response;
 * {@code outage=DURATION} returns HTTP 503 for every KMS call for that long.
 *
 * <p>The limits keep the faults inside what the demo's KMS retry policy ({@link #RETRY_YAML})
 * absorbs, so no record becomes a {@code KMS_THROTTLED} or {@code KMS_UNAVAILABLE} dead letter.
 * DescribeKey is not throttled because KMS gives it a quota of its own, and because a throttled
 * health check would let a disabled key encrypt until its DEKs expire, past the revocation bound
 * the demo checks.
 */
record DemoFaults(double throttle, Duration latency, Duration outage) {

    /**
     * The KMS retry policy of every job of the demo, with or without faults. Against the defaults
     * (10 attempts, delays up to 5 s, 30 s budget) it retries more often with shorter delays. With
     * delays of at least 50, 100, 200 and then 250 ms, a call that fails from the start of a 10 s
     * outage makes at most 42 attempts during it. That leaves it at least 22 attempts and 20 s of
     * budget after the outage. At the highest throttle and latency allowed, each attempt fails with
     * probability 0.5 and takes at most 1 s, so at least 20 attempts run after the outage and the
     * call ends as a dead letter with a probability below 0.5^20, about 10^-6.
     */
    static final String RETRY_YAML =
            "kms.retry: {max-attempts: 64, base-delay: 100ms, max-delay: 500ms, budget: 30s}";

    static final Duration MAX_OUTAGE = Duration.ofSeconds(10);
    static final Duration MAX_LATENCY = Duration.ofMillis(500);
    static final double MAX_THROTTLE = 0.5;

    /** The form of the option, for help and error messages. It states the limits above. */
    static final String FORM =
            "comma-separated throttle=P (0 to 0.5), latency=DURATION (at most 500ms),"
                    + " outage=DURATION (at most 10s), such as"
                    + " throttle=0.3,latency=20ms,outage=5s";

    private static final KmsOperation[] CRYPTOGRAPHIC = {
        KmsOperation.GENERATE_DATA_KEY,
        KmsOperation.DECRYPT,
        KmsOperation.ENCRYPT,
        KmsOperation.RE_ENCRYPT
    };

    static DemoFaults none() {
        return new DemoFaults(0, Duration.ZERO, Duration.ZERO);
    }

    /**
     * Parses a spec such as {@code throttle=0.3,latency=20ms,outage=5s}. A fault left out is off.
     *
     * @throws IllegalArgumentException naming the invalid part and {@link #FORM}
     */
    static DemoFaults parse(String spec) {
        double throttle = 0;
        Duration latency = Duration.ZERO;
        Duration outage = Duration.ZERO;
        Set<String> seen = new HashSet<>();
        for (String part : spec.split(",", -1)) {
            String trimmed = part.trim();
            int equals = trimmed.indexOf('=');
            if (equals <= 0) {
                throw invalid(part, "expected NAME=VALUE");
            }
            String name = trimmed.substring(0, equals).trim();
            String value = trimmed.substring(equals + 1).trim();
            if (!seen.add(name)) {
                throw invalid(part, "duplicate fault '" + name + "'");
            }
            switch (name) {
                case "throttle" -> throttle = parseThrottle(part, value);
                case "latency" -> latency = parseDuration(part, value, MAX_LATENCY);
                case "outage" -> outage = parseDuration(part, value, MAX_OUTAGE);
                default -> throw invalid(part, "unknown fault '" + name + "'");
            }
        }
        return new DemoFaults(throttle, latency, outage);
    }

    private static double parseThrottle(String part, String value) {
        double probability;
        try {
            probability = Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw invalid(part, "'" + value + "' is not a number");
        }
        if (!(probability >= 0 && probability <= MAX_THROTTLE)) {
            throw invalid(
                    part,
                    "the throttle probability must be between 0 and "
                            + MAX_THROTTLE
                            + ", because at higher rates the retries no longer avoid"
                            + " KMS_THROTTLED dead letters");
        }
        return probability;
    }

    private static Duration parseDuration(String part, String value, Duration max) {
        Duration duration;
        try {
            duration = Durations.parse(value);
        } catch (IllegalArgumentException e) {
            throw invalid(part, e.getMessage());
        }
        if (duration.isNegative() || duration.compareTo(max) > 0) {
            throw invalid(part, "must be between 0 and " + Durations.format(max));
        }
        return duration;
    }

    private static IllegalArgumentException invalid(String part, String reason) {
        return new IllegalArgumentException(
                "invalid --faults part '" + part + "': " + reason + "; expected " + FORM);
    }

    boolean isNone() {
        return throttle == 0 && latency.isZero() && outage.isZero();
    }

    /** Sets the throttle and the latency; the outage starts only with {@link #startOutage}. */
    void applyTo(FaultInjector faults) {
        faults.setLatency(latency);
        faults.throttleProbability(throttle, CRYPTOGRAPHIC);
    }

    /**
     * Starts the outage, if any, and ends it after its duration on another thread.
     *
     * @return completes when the outage has ended, at once when there is none
     */
    CompletableFuture<Void> startOutage(FaultInjector faults) {
        if (outage.isZero()) {
            return CompletableFuture.completedFuture(null);
        }
        faults.startOutage(FaultInjector.OutageMode.HTTP_503);
        return CompletableFuture.runAsync(
                faults::endOutage,
                CompletableFuture.delayedExecutor(outage.toMillis(), TimeUnit.MILLISECONDS));
    }

    /** Returns the spec in the form {@link #parse} reads, or {@code none}. */
    @Override
    public String toString() {
        if (isNone()) {
            return "none";
        }
        return "throttle="
                + throttle
                + ",latency="
                + Durations.format(latency)
                + ",outage="
                + Durations.format(outage);
    }
}
