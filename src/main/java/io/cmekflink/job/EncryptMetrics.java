package io.cmekflink.job;

import io.cmekflink.deadletter.ErrorCode;
import io.cmekflink.dek.DekCache;
import io.cmekflink.kms.KmsCallListener;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/**
 * Metrics of the encrypt step: records encrypted, dead letters by code, KMS attempts by operation
 * and outcome, KMS latency, requests held back by the request budget, and the DEK cache. Counters
 * are thread-safe, because KMS callbacks complete on SDK threads.
 */
final class EncryptMetrics implements KmsCallListener {

    private final MetricGroup group;
    private final Counter encrypted;
    private final Counter passedThrough;
    private final DeadLetterCounters deadLetters;
    private final Counter budgetDelayed;
    private final Counter budgetDelayMillis;
    private final Map<String, Counter> kmsCalls = new ConcurrentHashMap<>();
    private final Histogram kmsLatencyMillis;

    EncryptMetrics(MetricGroup group) {
        this.group = group;
        this.encrypted = group.counter("recordsEncrypted", new ThreadSafeSimpleCounter());
        this.passedThrough = group.counter("recordsPassedThrough", new ThreadSafeSimpleCounter());
        this.deadLetters = new DeadLetterCounters(group);
        this.budgetDelayed = group.counter("kmsBudgetDelayed", new ThreadSafeSimpleCounter());
        this.budgetDelayMillis =
                group.counter("kmsBudgetDelayMillis", new ThreadSafeSimpleCounter());
        this.kmsLatencyMillis =
                group.histogram("kmsLatencyMillis", new DescriptiveStatisticsHistogram(1000));
    }

    void registerCache(DekCache cache) {
        group.gauge("dekCacheHits", (Gauge<Long>) cache::hits);
        group.gauge("dekCacheMisses", (Gauge<Long>) cache::misses);
        group.gauge("dekCacheSize", (Gauge<Long>) cache::size);
        group.gauge("dekCachedFailureHits", (Gauge<Long>) cache::cachedFailureHits);
    }

    private final java.util.Set<String> unusableKeys = ConcurrentHashMap.newKeySet();
    private final java.util.Set<String> rotationOff = ConcurrentHashMap.newKeySet();

    void registerHealth(io.cmekflink.kms.KeyHealthChecker health) {
        group.gauge("keysChecked", (Gauge<Integer>) health::watchedKeys);
        group.gauge("keysUnusable", (Gauge<Integer>) unusableKeys::size);
        group.gauge("keysWithRotationOff", (Gauge<Integer>) rotationOff::size);
    }

    void keyUnusable(String keyArn, boolean unusable) {
        if (unusable) {
            unusableKeys.add(keyArn);
        } else {
            unusableKeys.remove(keyArn);
        }
    }

    void rotationStatus(String keyArn, boolean enabled) {
        if (enabled) {
            rotationOff.remove(keyArn);
        } else {
            rotationOff.add(keyArn);
        }
    }

    void encrypted() {
        encrypted.inc();
    }

    void passedThrough() {
        passedThrough.inc();
    }

    void deadLetter(ErrorCode code) {
        deadLetters.inc(code);
    }

    @Override
    public void onAttempt(String operation, String outcome, long nanos) {
        kmsCalls.computeIfAbsent(
                        operation + "." + outcome,
                        k ->
                                group.addGroup("kmsCalls")
                                        .addGroup(operation)
                                        .counter(outcome, new ThreadSafeSimpleCounter()))
                .inc();
        synchronized (kmsLatencyMillis) {
            kmsLatencyMillis.update(nanos / 1_000_000);
        }
    }

    @Override
    public void onBudgetDelay(String operation, long nanos) {
        budgetDelayed.inc();
        budgetDelayMillis.inc(nanos / 1_000_000);
    }
}
