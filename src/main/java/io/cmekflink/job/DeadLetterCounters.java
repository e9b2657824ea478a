package io.cmekflink.job;

import io.cmekflink.deadletter.ErrorCode;
import java.util.EnumMap;
import java.util.Map;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;

/**
 * The counters {@code deadLetters.<CODE>} of one operator, one per error code, registered up front
 * so that a code that never occurs still reports 0. Each operator counts the dead letters it emits
 * itself: parse, resolve key and encrypt; their sum is every dead letter of the job. Thread-safe,
 * because the encrypt step counts on SDK threads.
 */
final class DeadLetterCounters {

    private final Map<ErrorCode, Counter> counters = new EnumMap<>(ErrorCode.class);

    DeadLetterCounters(MetricGroup operator) {
        MetricGroup group = operator.addGroup("deadLetters");
        for (ErrorCode code : ErrorCode.values()) {
            counters.put(code, group.counter(code.name(), new ThreadSafeSimpleCounter()));
        }
    }

    void inc(ErrorCode code) {
        counters.get(code).inc();
    }
}
