package io.cmekflink.testing;

import io.cmekflink.local.kms.KmsEmulator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Samples the emulator's count of one KMS operation on a background thread, to find the max number
 * of calls that arrived within any window of a given length.
 *
 * <p>A window between two samples covers only calls that arrived between them, so {@link
 * #maxInWindow} is a lower bound of the true maximum, short of it by at most the calls of two
 * sampling intervals. Thread safety: safe for concurrent use.
 */
public final class KmsCallRate implements AutoCloseable {

    /** One sample: the time, from {@link System#nanoTime()}, and the count at that time. */
    private record Sample(long nanos, long count) {}

    private final KmsEmulator kms;
    private final String operation;
    private final long intervalNanos;
    private final List<Sample> samples = new ArrayList<>();
    private final Thread sampler;
    private volatile boolean running = true;

    private KmsCallRate(KmsEmulator kms, String operation, Duration interval) {
        this.kms = kms;
        this.operation = operation;
        this.intervalNanos = interval.toNanos();
        this.sampler = new Thread(this::run, "kms-call-rate-" + operation);
        this.sampler.setDaemon(true);
    }

    /** Starts sampling the calls of {@code operation} every {@code interval}. */
    public static KmsCallRate start(KmsEmulator kms, String operation, Duration interval) {
        KmsCallRate rate = new KmsCallRate(kms, operation, interval);
        rate.sample();
        rate.sampler.start();
        return rate;
    }

    private void run() {
        long next = System.nanoTime() + intervalNanos;
        while (running) {
            long wait = next - System.nanoTime();
            if (wait > 0) {
                try {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                } catch (InterruptedException e) {
                    return;
                }
            }
            sample();
            next += intervalNanos;
        }
    }

    private void sample() {
        Sample sample = new Sample(System.nanoTime(), kms.callCount(operation));
        synchronized (samples) {
            samples.add(sample);
        }
    }

    /** Returns the calls counted since sampling started. */
    public long total() {
        List<Sample> copy = copy();
        return copy.get(copy.size() - 1).count() - copy.get(0).count();
    }

    /** Returns the max number of calls counted between two samples at most {@code window} apart. */
    public long maxInWindow(Duration window) {
        List<Sample> copy = copy();
        long max = 0;
        int start = 0;
        for (int end = 0; end < copy.size(); end++) {
            while (copy.get(end).nanos() - copy.get(start).nanos() > window.toNanos()) {
                start++;
            }
            max = Math.max(max, copy.get(end).count() - copy.get(start).count());
        }
        return max;
    }

    /** Returns the max number of calls counted within one sampling interval. */
    public long maxPerInterval() {
        List<Sample> copy = copy();
        long max = 0;
        for (int i = 1; i < copy.size(); i++) {
            max = Math.max(max, copy.get(i).count() - copy.get(i - 1).count());
        }
        return max;
    }

    private List<Sample> copy() {
        synchronized (samples) {
            return new ArrayList<>(samples);
        }
    }

    /** Stops sampling after one last sample. */
    @Override
    public void close() throws InterruptedException {
        running = false;
        sampler.interrupt();
        sampler.join();
        sample();
    }
}
