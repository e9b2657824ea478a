package io.cmekflink.local.kms;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Faults that the emulator injects into wire calls: a fixed latency, throttling, injected errors
 * and outages. All settings are thread-safe and apply to the next request that arrives.
 *
 * <p>Order per request: an outage takes effect first. Otherwise the request is authenticated, then
 * a counted fault ({@link #throttleNext}, {@link #failNext}) or a probabilistic throttle may
 * replace the operation's result. The latency delays every response, errors and outage responses
 * included, without holding a server thread.
 */
public final class FaultInjector {

    /** Emulator behaviour during an outage. */
    public enum OutageMode {
        /** Responds to every request with HTTP 503 and a {@code ServiceUnavailableException}. */
        HTTP_503,
        /** Reads the request, then closes the connection without a response. */
        CLOSE_CONNECTION
    }

    private static final class CountedFault {
        final KmsErrorType type;
        final Set<KmsOperation> scope;
        final AtomicInteger remaining;

        CountedFault(KmsErrorType type, int count, Set<KmsOperation> scope) {
            this.type = type;
            this.scope = scope;
            this.remaining = new AtomicInteger(count);
        }

        boolean take(KmsOperation operation) {
            if (!scope.contains(operation)) {
                return false;
            }
            int left = remaining.get();
            while (left > 0) {
                if (remaining.compareAndSet(left, left - 1)) {
                    return true;
                }
                left = remaining.get();
            }
            return false;
        }
    }

    private record ProbabilisticThrottle(double probability, Set<KmsOperation> scope) {}

    private final ConcurrentLinkedQueue<CountedFault> countedFaults = new ConcurrentLinkedQueue<>();
    private volatile ProbabilisticThrottle throttle =
            new ProbabilisticThrottle(0, EnumSet.noneOf(KmsOperation.class));
    private volatile Duration latency = Duration.ZERO;
    private volatile OutageMode outage;

    FaultInjector() {}

    /** Delays every response by this duration. {@link Duration#ZERO} turns the latency off. */
    public FaultInjector setLatency(Duration latency) {
        if (latency.isNegative()) {
            throw new IllegalArgumentException("latency must be zero or positive, got " + latency);
        }
        this.latency = latency;
        return this;
    }

    /**
     * Fails the next {@code count} calls of the given operations (all when none are given) with
     * {@code ThrottlingException}.
     */
    public FaultInjector throttleNext(int count, KmsOperation... operations) {
        return failNext(count, KmsErrorType.THROTTLING, operations);
    }

    /**
     * Fails the next {@code count} calls of the given operations (all when none are given) with the
     * error, for example {@link KmsErrorType#KMS_INTERNAL} or {@link
     * KmsErrorType#DEPENDENCY_TIMEOUT}. Counted faults queue in the order they were added.
     */
    public FaultInjector failNext(int count, KmsErrorType type, KmsOperation... operations) {
        if (count < 0) {
            throw new IllegalArgumentException("count must be zero or positive, got " + count);
        }
        Objects.requireNonNull(type, "type");
        countedFaults.add(new CountedFault(type, count, scope(operations)));
        return this;
    }

    /**
     * Fails each call of the given operations (all when none are given) with {@code
     * ThrottlingException} with this probability, from 0 (off) to 1 (every call).
     */
    public FaultInjector throttleProbability(double probability, KmsOperation... operations) {
        if (!(probability >= 0 && probability <= 1)) {
            throw new IllegalArgumentException(
                    "probability must be between 0 and 1, got " + probability);
        }
        this.throttle = new ProbabilisticThrottle(probability, scope(operations));
        return this;
    }

    /** Starts an outage that lasts until {@link #endOutage()}. */
    public FaultInjector startOutage(OutageMode mode) {
        this.outage = Objects.requireNonNull(mode, "mode");
        return this;
    }

    public FaultInjector endOutage() {
        this.outage = null;
        return this;
    }

    /** Turns every fault off: no latency, no throttling, no injected errors, no outage. */
    public FaultInjector clear() {
        countedFaults.clear();
        throttle = new ProbabilisticThrottle(0, EnumSet.noneOf(KmsOperation.class));
        latency = Duration.ZERO;
        outage = null;
        return this;
    }

    Duration latency() {
        return latency;
    }

    Optional<OutageMode> outage() {
        return Optional.ofNullable(outage);
    }

    /** Returns the error to inject into this call, if any, and consumes a counted fault. */
    Optional<KmsErrorType> injectedError(KmsOperation operation) {
        for (CountedFault fault : List.copyOf(countedFaults)) {
            if (fault.take(operation)) {
                return Optional.of(fault.type);
            }
            if (fault.remaining.get() == 0) {
                countedFaults.remove(fault);
            }
        }
        ProbabilisticThrottle current = throttle;
        if (current.probability() > 0
                && current.scope().contains(operation)
                && ThreadLocalRandom.current().nextDouble() < current.probability()) {
            return Optional.of(KmsErrorType.THROTTLING);
        }
        return Optional.empty();
    }

    private static Set<KmsOperation> scope(KmsOperation... operations) {
        return operations.length == 0
                ? EnumSet.allOf(KmsOperation.class)
                : EnumSet.copyOf(List.of(operations));
    }
}
