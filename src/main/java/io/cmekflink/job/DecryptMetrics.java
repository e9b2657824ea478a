package io.cmekflink.job;

import io.cmekflink.deadletter.ErrorCode;
import io.cmekflink.kms.KmsCallListener;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;

/**
 * Metrics of the decrypt step: records decrypted, decryption errors by code, optionally by org and
 * code, and KMS attempts by operation and outcome. Thread-safe, because KMS callbacks complete on
 * SDK threads.
 */
final class DecryptMetrics implements KmsCallListener {

    private final MetricGroup group;
    private final boolean perOrg;
    private final Counter decrypted;
    private final Map<ErrorCode, Counter> deadLetters = new EnumMap<>(ErrorCode.class);
    private final Map<String, Counter> byOrg = new ConcurrentHashMap<>();
    private final Map<String, Counter> kmsCalls = new ConcurrentHashMap<>();

    DecryptMetrics(MetricGroup group, boolean perOrg) {
        this.group = group;
        this.perOrg = perOrg;
        this.decrypted = group.counter("recordsDecrypted", new ThreadSafeSimpleCounter());
        MetricGroup letters = group.addGroup("decryptionErrors");
        for (ErrorCode code : ErrorCode.values()) {
            deadLetters.put(code, letters.counter(code.name(), new ThreadSafeSimpleCounter()));
        }
    }

    void decrypted() {
        decrypted.inc();
    }

    void deadLetter(ErrorCode code, String orgId) {
        deadLetters.get(code).inc();
        if (perOrg && orgId != null) {
            byOrg.computeIfAbsent(
                            orgId + "\u0000" + code,
                            k ->
                                    group.addGroup("decryptionErrorsByOrg")
                                            .addGroup("org", orgId)
                                            .counter(code.name(), new ThreadSafeSimpleCounter()))
                    .inc();
        }
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
    }
}
