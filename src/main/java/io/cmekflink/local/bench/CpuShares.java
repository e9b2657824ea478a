package io.cmekflink.local.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CPU time of this JVM split into groups of threads, which shows where a run's CPU per record went.
 * The groups are the step's task thread, the source task, the in-JVM broker, the Kafka clients, KMS
 * with the DEK cache, and the other Java threads. The rest of the process is what no Java thread
 * accounts for: garbage collection, the JIT compilers and the JVM's own threads.
 *
 * <p>A {@link Snapshot} reads every thread's CPU time, and two snapshots give the CPU between them.
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

    private static final String[] GROUPS = {
        STEP_TASK, SOURCE_TASK, KAFKA_BROKER, KAFKA_CLIENTS, KMS_AND_DEK_CACHE, OTHER_THREADS
    };

    private CpuShares() {}

    /** The name and CPU nanoseconds of one thread. */
    record ThreadCpu(String name, long nanos) {}

    /**
     * CPU nanoseconds of every live thread, by thread id, and of the whole process at one moment.
     */
    record Snapshot(Map<Long, ThreadCpu> threads, long processNanos) {

        /** Reads the CPU time of every live thread and of the process now. */
        static Snapshot take() {
            ThreadMXBean bean = ManagementFactory.getThreadMXBean();
            Map<Long, ThreadCpu> threads = new LinkedHashMap<>();
            if (bean.isThreadCpuTimeSupported() && bean.isThreadCpuTimeEnabled()) {
                for (ThreadInfo info : bean.getThreadInfo(bean.getAllThreadIds())) {
                    if (info == null) {
                        continue;
                    }
                    long nanos = bean.getThreadCpuTime(info.getThreadId());
                    if (nanos > 0) {
                        threads.put(info.getThreadId(), new ThreadCpu(info.getThreadName(), nanos));
                    }
                }
            }
            return new Snapshot(threads, processCpuNanos());
        }

        /**
         * Returns the CPU between {@code earlier} and this snapshot in microseconds per record, by
         * group, with the process total last. A thread counts in the group of its current name,
         * with all of its CPU if it started after {@code earlier}.
         */
        Map<String, Double> microsPerRecordSince(Snapshot earlier, long records) {
            Map<String, Long> byGroup = new LinkedHashMap<>();
            for (String group : GROUPS) {
                byGroup.put(group, 0L);
            }
            long javaThreads = 0;
            for (Map.Entry<Long, ThreadCpu> e : threads.entrySet()) {
                ThreadCpu before = earlier.threads.get(e.getKey());
                long nanos = Math.max(0, e.getValue().nanos - (before == null ? 0 : before.nanos));
                byGroup.merge(groupOf(e.getValue().name), nanos, Long::sum);
                javaThreads += nanos;
            }
            Map<String, Double> shares = new LinkedHashMap<>();
            byGroup.forEach((group, nanos) -> shares.put(group, micros(nanos, records)));
            long process = processNanos - earlier.processNanos;
            shares.put(NOT_IN_JAVA_THREADS, micros(Math.max(0, process - javaThreads), records));
            shares.put(TOTAL, micros(process, records));
            return shares;
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
