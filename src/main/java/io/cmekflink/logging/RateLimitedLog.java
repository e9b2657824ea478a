package io.cmekflink.logging;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * Logs a WARN line per category at most once per interval, and says how many lines of that category
 * it left out since the previous one. Thread safety: safe for concurrent use.
 */
public final class RateLimitedLog {

    private final Logger log;
    private final long intervalNanos;
    private final LongSupplier nanoTime;
    private final ConcurrentHashMap<String, long[]> lastLogged = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, AtomicLong> suppressed = new ConcurrentHashMap<>();

    public RateLimitedLog(Logger log, long intervalMillis) {
        this(log, intervalMillis, System::nanoTime);
    }

    RateLimitedLog(Logger log, long intervalMillis, LongSupplier nanoTime) {
        this.log = log;
        this.intervalNanos = intervalMillis * 1_000_000;
        this.nanoTime = nanoTime;
    }

    /** Logs {@code format} with {@code args} unless this category logged within the interval. */
    public void warn(String category, String format, Object... args) {
        long now = nanoTime.getAsLong();
        long[] last = lastLogged.computeIfAbsent(category, c -> new long[] {now - intervalNanos});
        boolean due;
        synchronized (last) {
            due = now - last[0] >= intervalNanos;
            if (due) {
                last[0] = now;
            }
        }
        AtomicLong skipped = suppressed.computeIfAbsent(category, c -> new AtomicLong());
        if (!due) {
            skipped.incrementAndGet();
            return;
        }
        long count = skipped.getAndSet(0);
        if (count > 0) {
            log.warn(format + " ({} similar lines left out)", append(args, count));
        } else {
            log.warn(format, args);
        }
    }

    private static Object[] append(Object[] args, Object last) {
        Object[] out = java.util.Arrays.copyOf(args, args.length + 1);
        out[args.length] = last;
        return out;
    }
}
