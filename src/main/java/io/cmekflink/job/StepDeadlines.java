package io.cmekflink.job;

import io.cmekflink.config.Durations;
import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.apache.flink.streaming.api.functions.async.CollectionSupplier;
import org.apache.flink.streaming.api.functions.async.ResultFuture;

/**
 * The {@code async.timeout} of an async step, enforced by the step itself for the records that
 * wait, so that the step can run under Flink's async I/O without Flink's timeout. Flink's timeout
 * arms a timer for every element, even one that completes inside its call, and each timer wakes the
 * timer thread.
 *
 * <p>Each instance owns one daemon thread. Thread safety: all methods may be called from any
 * thread.
 */
final class StepDeadlines implements AutoCloseable {

    private final ScheduledThreadPoolExecutor executor;
    private final Duration timeout;

    /**
     * Creates the deadlines of one parallel instance of a step, whose thread is named after {@code
     * step} and {@code subtask}.
     */
    StepDeadlines(String step, int subtask, Duration timeout) {
        this.timeout = timeout;
        this.executor =
                new ScheduledThreadPoolExecutor(
                        1,
                        runnable -> {
                            Thread thread =
                                    new Thread(runnable, step + "-step-deadlines-" + subtask);
                            thread.setDaemon(true);
                            return thread;
                        });
        // A cancelled deadline leaves the queue at once, so completed records are not retained.
        executor.setRemoveOnCancelPolicy(true);
    }

    /**
     * Returns {@code result} bounded by the timeout from now. If the record has not completed by
     * then, it completes with what {@code onExpiry} returns, and its later completion is dropped. A
     * result that already has a deadline is returned unchanged, so a record keeps its first one.
     */
    <T> ResultFuture<T> bound(ResultFuture<T> result, Supplier<Collection<T>> onExpiry) {
        if (result instanceof Deadline) {
            return result;
        }
        Deadline<T> deadline = new Deadline<>(result);
        deadline.arm(
                executor.schedule(
                        () -> {
                            if (deadline.claim()) {
                                deadline.expired = true;
                                deadline.result.complete(onExpiry.get());
                            }
                        },
                        timeout.toNanos(),
                        TimeUnit.NANOSECONDS));
        return deadline;
    }

    /**
     * Returns the message of a record's dead letter when {@code awaited} did not arrive within
     * {@code timeout}, for example "no data key within async.timeout (90s); check KMS latency and
     * throttling, or raise async.timeout".
     */
    static String expiredMessage(String awaited, Duration timeout) {
        return "no "
                + awaited
                + " within async.timeout ("
                + Durations.format(timeout)
                + "); check KMS latency and throttling, and the data-key topic's brokers when"
                + " encryption.data-key-topic is set, or raise async.timeout";
    }

    /**
     * Returns whether the deadline bounding {@code result} already expired. The record has then
     * left as a dead letter, and a late completion is dropped.
     */
    static boolean expired(ResultFuture<?> result) {
        return result instanceof Deadline<?> deadline && deadline.expired;
    }

    /** Returns the number of armed deadlines. */
    int armed() {
        return executor.getQueue().size();
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }

    /**
     * A result with a deadline. Whichever comes first, the record's own completion or the timer,
     * completes it, and the other does nothing.
     */
    private static final class Deadline<T> implements ResultFuture<T> {
        private final ResultFuture<T> result;
        private final AtomicBoolean claimed = new AtomicBoolean();
        private volatile ScheduledFuture<?> timer;

        /** Set by the timer once it completed the result with the expiry outputs. */
        private volatile boolean expired;

        Deadline(ResultFuture<T> result) {
            this.result = result;
        }

        void arm(ScheduledFuture<?> timer) {
            this.timer = timer;
            if (claimed.get()) {
                timer.cancel(false);
            }
        }

        /** Returns true for the one caller that may complete the result, false for any other. */
        boolean claim() {
            if (!claimed.compareAndSet(false, true)) {
                return false;
            }
            ScheduledFuture<?> armed = timer;
            if (armed != null) {
                armed.cancel(false);
            }
            return true;
        }

        @Override
        public void complete(Collection<T> outputs) {
            if (claim()) {
                result.complete(outputs);
            }
        }

        @Override
        public void complete(CollectionSupplier<T> outputs) {
            if (claim()) {
                result.complete(outputs);
            }
        }

        @Override
        public void completeExceptionally(Throwable error) {
            if (claim()) {
                result.completeExceptionally(error);
            }
        }
    }
}
