package io.cmekflink.local.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CPU time of this JVM split into groups of threads, which shows where a run's CPU per record went:
 * the task thread of the step under test, the source task, the in-JVM broker, the Kafka clients,
 * KMS and the DEK cache, the rest of the Java threads, and what no Java thread accounts for
 * (garbage collection, the JIT compilers and the JVM's own threads).
 *
 * <p>A {@link Snapshot} reads every thread's CPU time; two snapshots give the CPU between them.
 * Threads that end between the snapshots drop out of the difference, so the groups are lower bounds
 * and the process total is exact.
 */
final class CpuShares {

    /** The groups, in report order. */
    static final String STEP_TASK = "step_task";

    static final String SOURCE_TASK = "source_task";
    static final String KAFKA_BROKER = "kafka_broker";
    static final String KAFKA_CLIENTS = "kafka_clients";

    /** KMS clients, the emulator, and the common pool, where DEK loads and cache upkeep run. */
    static final String KMS_AND_DEK_CACHE = "kms_and_dek_cache";

    static final String OTHER_THREADS = "other_threads";
    static final String NOT_IN_JAVA_THREADS = "gc_jit_and_vm";
    static final String TOTAL = "total";

    private CpuShares() {}

    /** CPU nanoseconds by group and of the whole process at one moment. */
    record Snapshot(Map<String, Long> byGroup, long processNanos) {

        /** Reads the CPU time of every live thread and of the process now. */
        static Snapshot take() {
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            Map<String, Long> groups = new LinkedHashMap<>();
            if (threads.isThreadCpuTimeSupported() && threads.isThreadCpuTimeEnabled()) {
                for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
                    if (info == null) {
                        continue;
                    }
                    long nanos = threads.getThreadCpuTime(info.getThreadId());
                    if (nanos > 0) {
                        groups.merge(groupOf(info.getThreadName()), nanos, Long::sum);
                    }
                }
            }
            return new Snapshot(groups, processCpuNanos());
        }

        /**
         * Returns the CPU between {@code earlier} and this snapshot in microseconds per record, by
         * group, with the process total last.
         */
        Map<String, Double> microsPerRecordSince(Snapshot earlier, long records) {
            Map<String, Double> shares = new LinkedHashMap<>();
            long javaThreads = 0;
            for (String group :
                    new String[] {
                        STEP_TASK, SOURCE_TASK, KAFKA_BROKER, KAFKA_CLIENTS, KMS_AND_DEK_CACHE
                    }) {
                long nanos = delta(earlier, group);
                javaThreads += nanos;
                shares.put(group, micros(nanos, records));
            }
            long other = delta(earlier, OTHER_THREADS);
            javaThreads += other;
            shares.put(OTHER_THREADS, micros(other, records));
            long process = processNanos - earlier.processNanos;
            shares.put(NOT_IN_JAVA_THREADS, micros(Math.max(0, process - javaThreads), records));
            shares.put(TOTAL, micros(process, records));
            return shares;
        }

        private long delta(Snapshot earlier, String group) {
            return Math.max(
                    0, byGroup.getOrDefault(group, 0L) - earlier.byGroup.getOrDefault(group, 0L));
        }
    }

    private static double micros(long nanos, long records) {
        return records <= 0 ? 0 : nanos / 1000.0 / records;
    }

    private static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return 0;
    }

    /**
     * Returns the group of a thread by its name. Flink names a task thread after its chained
     * operators. The encrypt job's step runs in the task that starts with "resolve key", and the
     * decrypt job runs its source, step and sinks in one task that starts with "Source: encrypted".
     * The Kafka source's fetcher threads count as the source task.
     */
    static String groupOf(String thread) {
        if (thread.startsWith("resolve key -> ") || thread.startsWith("Source: encrypted")) {
            return STEP_TASK;
        }
        if (thread.startsWith("Source: records") || thread.startsWith("Source Data Fetcher")) {
            return SOURCE_TASK;
        }
        if (thread.startsWith("kafka-producer-network-thread")
                || thread.startsWith("kafka-coordinator-heartbeat-thread")) {
            return KAFKA_CLIENTS;
        }
        if (thread.startsWith("data-plane-kafka")
                || thread.startsWith("kafka-")
                || thread.startsWith("quorum-controller")
                || thread.startsWith("raft-")
                || thread.startsWith("ExpirationReaper")) {
            return KAFKA_BROKER;
        }
        if (thread.startsWith("aws-java-sdk")
                || thread.startsWith("sdk-async")
                || thread.startsWith("kms-emulator")
                || thread.startsWith("ForkJoinPool.commonPool")) {
            return KMS_AND_DEK_CACHE;
        }
        return OTHER_THREADS;
    }
}
