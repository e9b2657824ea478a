package io.cmekflink.local.bench;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * The measurements that the benchmark's step wrappers take in one run: records per parallel
 * instance, and per record the time it entered the step and the time its result was complete. The
 * Flink tasks of the local mini cluster write it, and the benchmark in the same JVM reads it after
 * the run.
 *
 * <p>Times are {@link System#nanoTime()} values. Each parallel instance writes its own slots: entry
 * times only on its task thread, completion times on whichever thread completes the record. Read
 * the probe only after the job stopped.
 */
final class StepProbe {

    private static final Map<String, StepProbe> RUNS = new ConcurrentHashMap<>();

    private final int capacityPerInstance;
    private final Map<Integer, Instance> instances = new ConcurrentHashMap<>();
    private final LongAdder records = new LongAdder();
    private final LongAdder synchronous = new LongAdder();

    private StepProbe(int capacityPerInstance) {
        this.capacityPerInstance = capacityPerInstance;
    }

    /** Creates the probe of a run; each parallel instance records at most {@code capacity}. */
    static StepProbe create(String runId, int capacity) {
        StepProbe probe = new StepProbe(capacity);
        RUNS.put(runId, probe);
        return probe;
    }

    /** Returns the probe of a run, or fails when the run was not created in this JVM. */
    static StepProbe of(String runId) {
        StepProbe probe = RUNS.get(runId);
        if (probe == null) {
            throw new IllegalStateException(
                    "no step probe for run " + runId + ": the job runs outside this JVM");
        }
        return probe;
    }

    /** Drops the probe of a run, so that its arrays can be collected. */
    static void remove(String runId) {
        RUNS.remove(runId);
    }

    Instance instance(int subtask) {
        return instances.computeIfAbsent(subtask, s -> new Instance(capacityPerInstance));
    }

    /** Records that left the step so far, over all parallel instances. */
    long records() {
        return records.sum();
    }

    /**
     * Records that the step completed on the task thread before its call returned. The encrypt and
     * decrypt steps do so exactly when the record's data key was cached, so this counts cache hits.
     * A record that waits for a KMS call, its own or one shared with other records, is not counted.
     */
    long synchronousRecords() {
        return synchronous.sum();
    }

    /** DEKs held by the encrypt step's instances at their last report, summed. */
    long cachedDeks() {
        long sum = 0;
        for (Instance instance : instances.values()) {
            sum += instance.cachedDeks;
        }
        return sum;
    }

    /** Records per parallel instance, by subtask index. */
    long[] recordsPerInstance(int parallelism) {
        long[] counts = new long[parallelism];
        instances.forEach((subtask, instance) -> counts[subtask] = instance.count.sum());
        return counts;
    }

    /**
     * Returns the time each record spent from entering the step until the step emitted it, in
     * nanoseconds, over all parallel instances. An ordered async step emits a record only after
     * every earlier record of its instance completed, so a record's emission time is the latest
     * completion time up to and including its own.
     */
    long[] latenciesNanos() {
        int total = 0;
        for (Instance instance : instances.values()) {
            total += instance.recorded();
        }
        long[] latencies = new long[total];
        int i = 0;
        for (Instance instance : instances.values()) {
            long emitted = Long.MIN_VALUE;
            for (int k = 0; k < instance.recorded(); k++) {
                long done = instance.completed.get(k);
                if (done == 0) {
                    continue;
                }
                emitted = Math.max(emitted, done);
                latencies[i++] = emitted - instance.entered[k];
            }
        }
        return Arrays.copyOf(latencies, i);
    }

    /** The slots of one parallel instance. */
    final class Instance {
        private final long[] entered;
        private final AtomicLongArray completed;
        private final LongAdder count = new LongAdder();
        private int next;
        private volatile long cachedDeks;

        Instance(int capacity) {
            entered = new long[capacity];
            completed = new AtomicLongArray(capacity);
        }

        /** Records entry on the task thread; returns the slot, or -1 when the arrays are full. */
        int enter() {
            if (next >= entered.length) {
                return -1;
            }
            entered[next] = System.nanoTime();
            return next++;
        }

        void complete(int slot, boolean synchronously) {
            if (slot >= 0) {
                completed.lazySet(slot, System.nanoTime());
            }
            if (synchronously) {
                synchronous.increment();
            }
            count.increment();
            records.increment();
        }

        int recorded() {
            return next;
        }

        /** Records the number of DEKs that the instance's encrypt step caches now. */
        void cachedDeks(long deks) {
            cachedDeks = deks;
        }
    }
}
