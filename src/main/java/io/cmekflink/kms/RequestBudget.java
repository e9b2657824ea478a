package io.cmekflink.kms;

/**
 * A token bucket that spaces KMS requests so that they stay within a rate. KMS throttles the
 * account that makes the requests, so all orgs, jobs and parallel instances of the platform share
 * its quota in a region; each parallel instance takes its share of the job's budget.
 *
 * <p>{@link #reserve()} never blocks: it books the next free slot and returns how long the caller
 * must wait before sending, so that a cold start of many orgs is spread over time instead of
 * throttled. Thread safety: safe for concurrent use.
 */
public final class RequestBudget {

    private final long intervalNanos;
    private final long burst;
    private long nextFreeNanos;

    /**
     * @param perSecond requests per second this instance may send; 0 or less means no limit
     * @param burst how many requests may go at once after an idle period
     */
    public RequestBudget(double perSecond, long burst) {
        this.intervalNanos = perSecond <= 0 ? 0 : (long) (1_000_000_000L / perSecond);
        this.burst = Math.max(1, burst);
        // Starts full: a burst may go at once, then requests are spaced by the rate.
        this.nextFreeNanos = System.nanoTime() - (this.burst - 1) * intervalNanos;
    }

    /**
     * A budget that spaces requests evenly, without a burst, so that no one-second window contains
     * more than {@code perSecond} + 1 of them. KMS counts its request quotas per second, so a full
     * bucket on top of the rate would let a cold start send twice the budget in its first second.
     *
     * @param perSecond requests per second this instance may send; 0 or less means no limit
     */
    public static RequestBudget spaced(double perSecond) {
        return new RequestBudget(perSecond, 1);
    }

    /** A budget without a limit. */
    public static RequestBudget unlimited() {
        return new RequestBudget(0, 1);
    }

    /** Books one request and returns the delay before it may be sent, in nanoseconds. */
    public synchronized long reserve() {
        if (intervalNanos == 0) {
            return 0;
        }
        long now = System.nanoTime();
        long earliest = now - (burst - 1) * intervalNanos;
        if (nextFreeNanos < earliest) {
            nextFreeNanos = earliest;
        }
        long delay = Math.max(0, nextFreeNanos - now);
        nextFreeNanos += intervalNanos;
        return delay;
    }
}
