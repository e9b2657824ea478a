package io.cmekflink.local.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** CPU time of the Flink task threads in this JVM, which a local mini cluster runs. */
final class TaskThreads {

    /** Flink names a task thread after its chained operators and subtask, such as "... (1/2)#0". */
    private static final Pattern TASK = Pattern.compile("^(.*) \\((\\d+)/(\\d+)\\)#\\d+$");

    private TaskThreads() {}

    /** Helper threads of a task, named "<kind> for <task>", which do little work. */
    private static final Pattern HELPER =
            Pattern.compile("^(OutputFlusher|Time Trigger|System Time Trigger) for .*");

    /**
     * Returns the CPU time of each live task thread and Kafka fetcher thread, in nanoseconds, by
     * its first two operators and subtask, such as "resolve key -> encrypt (1/2)". The map is empty
     * when the JVM does not measure thread CPU time.
     */
    static Map<String, Long> cpuNanosByTask() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Map<String, Long> cpu = new TreeMap<>();
        if (!threads.isThreadCpuTimeSupported() || !threads.isThreadCpuTimeEnabled()) {
            return cpu;
        }
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info == null) {
                continue;
            }
            Matcher m = TASK.matcher(info.getThreadName());
            if (!m.matches() || HELPER.matcher(info.getThreadName()).matches()) {
                continue;
            }
            String[] operators = m.group(1).split(" -> ");
            String name =
                    operators.length > 1 ? operators[0] + " -> " + operators[1] : operators[0];
            long nanos = threads.getThreadCpuTime(info.getThreadId());
            if (nanos > 0) {
                cpu.merge(
                        m.group(1) + " (" + m.group(2) + "/" + m.group(3) + ")", nanos, Long::sum);
            }
        }
        return cpu;
    }
}
