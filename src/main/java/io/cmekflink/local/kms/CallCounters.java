package io.cmekflink.local.kms;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts of wire calls by operation name and outcome. The outcome is {@value #SUCCESS} or the
 * error's {@code __type}. During an outage it is {@value #SERVICE_UNAVAILABLE} or {@value
 * #CONNECTION_CLOSED}. Thread-safe.
 */
final class CallCounters {

    static final String SUCCESS = "Success";
    static final String SERVICE_UNAVAILABLE = "ServiceUnavailable";
    static final String CONNECTION_CLOSED = "ConnectionClosed";

    private final Map<String, Map<String, LongAdder>> counts = new ConcurrentHashMap<>();

    void record(String operation, String outcome) {
        counts.computeIfAbsent(operation, o -> new ConcurrentHashMap<>())
                .computeIfAbsent(outcome, o -> new LongAdder())
                .increment();
    }

    long count(String operation, String outcome) {
        LongAdder adder = counts.getOrDefault(operation, Map.of()).get(outcome);
        return adder == null ? 0 : adder.sum();
    }

    /** Returns the calls per operation, all outcomes summed, sorted by operation name. */
    Map<String, Long> totals() {
        Map<String, Long> totals = new TreeMap<>();
        counts.forEach(
                (operation, outcomes) ->
                        totals.put(
                                operation,
                                outcomes.values().stream().mapToLong(LongAdder::sum).sum()));
        return totals;
    }

    /** Returns the calls per operation and outcome, both sorted by name. */
    Map<String, Map<String, Long>> byOutcome() {
        Map<String, Map<String, Long>> snapshot = new TreeMap<>();
        counts.forEach(
                (operation, outcomes) -> {
                    Map<String, Long> perOutcome = new TreeMap<>();
                    outcomes.forEach((outcome, adder) -> perOutcome.put(outcome, adder.sum()));
                    snapshot.put(operation, perOutcome);
                });
        return snapshot;
    }

    void reset() {
        counts.clear();
    }
}
