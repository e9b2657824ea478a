package io.cmekflink.kms;

/** Receives one event per KMS attempt, for metrics. Called from SDK threads. */
@FunctionalInterface
public interface KmsCallListener {

    KmsCallListener NONE = (operation, outcome, nanos) -> {};

    /**
     * @param operation the KMS operation, such as {@code GenerateDataKey}
     * @param outcome {@code ok}, or the {@link KmsErrorKind} name in lower case
     * @param nanos the time the attempt took
     */
    void onAttempt(String operation, String outcome, long nanos);

    /**
     * Called when the request budget delays an attempt before it is sent.
     *
     * @param nanos how long the attempt waits for its slot
     */
    default void onBudgetDelay(String operation, long nanos) {}
}
