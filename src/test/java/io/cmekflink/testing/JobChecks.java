package io.cmekflink.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.testutils.InMemoryReporter;

/** Checks of a running job on the mini cluster: its status, restarts and per-instance counters. */
public final class JobChecks {

    /**
     * A job definition line that turns restarts off, so that any task failure fails the job instead
     * of being hidden by a restart.
     */
    public static final String NO_RESTARTS = "flink.restart-strategy.type: none\n";

    private JobChecks() {}

    /**
     * Returns the value of a counter in each parallel instance of a job, sorted ascending. A
     * broadcast input reaches every instance, so each instance counts each broadcast element once.
     */
    public static List<Long> counterPerInstance(InMemoryReporter reporter, JobID job, String name) {
        List<Long> counts = new ArrayList<>();
        for (Map.Entry<String, Metric> e : reporter.findMetrics(job, name).entrySet()) {
            if (e.getKey().endsWith("." + name) && e.getValue() instanceof Counter c) {
                counts.add(c.getCount());
            }
        }
        counts.sort(null);
        return counts;
    }

    /**
     * Returns the job's {@code numRestarts} gauge.
     *
     * @throws AssertionError when the reporter has no such gauge for the job
     */
    public static long restarts(InMemoryReporter reporter, JobID job) {
        for (Map.Entry<String, Metric> e : reporter.findMetrics(job, "numRestarts").entrySet()) {
            if (e.getKey().endsWith(".numRestarts") && e.getValue() instanceof Gauge<?> g) {
                return ((Number) g.getValue()).longValue();
            }
        }
        throw new AssertionError("job " + job + " reports no numRestarts gauge");
    }

    /**
     * Fails unless the job is running.
     *
     * @throws AssertionError naming the job's status when it is not {@link JobStatus#RUNNING}
     */
    public static void assertRunning(JobClient job) {
        JobStatus status = status(job);
        if (status != JobStatus.RUNNING) {
            throw new AssertionError(
                    "job " + job.getJobID() + " is " + status + ", expected RUNNING");
        }
    }

    /**
     * Fails when the job has failed, is failing or restarting, or has stopped; a job that is still
     * starting passes.
     */
    public static void assertNotFailed(JobClient job) {
        JobStatus status = status(job);
        if (status.isTerminalState()
                || status == JobStatus.FAILING
                || status == JobStatus.RESTARTING
                || status == JobStatus.CANCELLING) {
            throw new AssertionError(
                    "job " + job.getJobID() + " is " + status + ", expected it to keep running");
        }
    }

    private static JobStatus status(JobClient job) {
        try {
            return job.getJobStatus().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while reading the status of " + job.getJobID());
        } catch (java.util.concurrent.ExecutionException e) {
            throw new AssertionError(
                    "reading the status of job " + job.getJobID() + " failed: " + e.getCause());
        }
    }

    /** Cancels a job unless it has already reached a terminal status. */
    public static void cancelQuietly(JobClient job) throws Exception {
        JobStatus status = job.getJobStatus().get();
        if (!status.isGloballyTerminalState()) {
            job.cancel().get();
        }
    }
}
