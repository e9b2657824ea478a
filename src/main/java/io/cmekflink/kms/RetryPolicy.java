package io.cmekflink.kms;

import java.io.Serializable;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Capped exponential backoff with jitter for retriable KMS errors (throttling, 5xx, connection
 * failures), bounded both by a number of attempts and by a total time budget.
 *
 * <p>The delay before retry {@code n} (1-based) is drawn uniformly from {@code [d/2, d]} with
 * {@code d = min(maxDelay, baseDelay * 2^(n-1))}: the random half spreads retries of many parallel
 * instances apart, the fixed half keeps the budget predictable.
 */
public record RetryPolicy(int maxAttempts, Duration baseDelay, Duration maxDelay, Duration budget)
        implements Serializable {

    public RetryPolicy {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException(
                    "maxAttempts must be at least 1, got " + maxAttempts);
        }
        if (baseDelay.isNegative() || maxDelay.compareTo(baseDelay) < 0) {
            throw new IllegalArgumentException(
                    "need 0 <= baseDelay <= maxDelay, got " + baseDelay + " and " + maxDelay);
        }
        if (budget.isNegative()) {
            throw new IllegalArgumentException("budget must not be negative, got " + budget);
        }
    }

    /** No retries: one attempt. */
    public static RetryPolicy none() {
        return new RetryPolicy(1, Duration.ZERO, Duration.ZERO, Duration.ZERO);
    }

    /**
     * The delay before the given retry, or a negative value when no retry may start: the attempts
     * are used up, or the retry would start after the budget ends.
     *
     * @param attemptsMade attempts made so far, at least 1
     * @param elapsedNanos time since the first attempt started
     */
    public long delayNanosBeforeRetry(int attemptsMade, long elapsedNanos) {
        if (attemptsMade >= maxAttempts) {
            return -1;
        }
        int shift = Math.min(attemptsMade - 1, 30);
        long cap = Math.min(maxDelay.toNanos(), saturatedShift(baseDelay.toNanos(), shift));
        long delay = cap / 2 + ThreadLocalRandom.current().nextLong(cap / 2 + 1);
        if (elapsedNanos + delay > budget.toNanos()) {
            return -1;
        }
        return delay;
    }

    private static long saturatedShift(long value, int shift) {
        if (value == 0) {
            return 0;
        }
        return value > (Long.MAX_VALUE >> shift) ? Long.MAX_VALUE : value << shift;
    }
}
