package io.cmekflink.testing;

import io.cmekflink.config.JobConfig;
import io.cmekflink.job.EncryptJob;
import io.cmekflink.job.Jobs;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.checkpoint.CheckpointStatsSnapshot;
import org.apache.flink.runtime.checkpoint.CompletedCheckpointStats;
import org.apache.flink.runtime.checkpoint.RestoredCheckpointStats;
import org.apache.flink.runtime.execution.ExecutionState;
import org.apache.flink.runtime.executiongraph.AccessExecutionGraph;
import org.apache.flink.runtime.executiongraph.AccessExecutionVertex;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Restoring, cancelling and watching jobs on the mini cluster: checkpoints, task states and
 * restarts, read from the job's execution graph.
 */
public final class JobControl {

    private JobControl() {}

    /**
     * Builds the job of {@code config} and submits it restored from a retained checkpoint or a
     * savepoint, without waiting for it.
     */
    public static JobClient startFrom(JobConfig config, String restorePath) throws Exception {
        Configuration flink = EncryptJob.flinkConfiguration(config);
        flink.set(StateRecoveryOptions.SAVEPOINT_PATH, restorePath);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
        Jobs.build(env, config);
        return env.executeAsync("it, restored from " + restorePath);
    }

    /** Returns the job's latest completed checkpoint, or null before the first one. */
    public static CompletedCheckpointStats latestCheckpoint(MiniCluster cluster, JobID job) {
        CheckpointStatsSnapshot snapshot = graph(cluster, job).getCheckpointStatsSnapshot();
        return snapshot == null ? null : snapshot.getHistory().getLatestCompletedCheckpoint();
    }

    /** The checkpoint or savepoint that the job last restored, or null when it never restored. */
    public static RestoredCheckpointStats restoredCheckpoint(MiniCluster cluster, JobID job) {
        CheckpointStatsSnapshot snapshot = graph(cluster, job).getCheckpointStatsSnapshot();
        return snapshot == null ? null : snapshot.getLatestRestoredCheckpoint();
    }

    /**
     * Polls until a checkpoint triggered after {@code afterMillis} (epoch milliseconds) completes,
     * and returns it.
     *
     * @throws AssertionError when the job fails or the timeout passes first
     */
    public static CompletedCheckpointStats awaitCheckpointAfter(
            MiniCluster cluster, JobClient job, long afterMillis, Duration timeout) {
        JobHarness.await(
                "a checkpoint of job " + job.getJobID() + " triggered after " + afterMillis,
                timeout,
                () -> {
                    failOnFailedJob(job);
                    CompletedCheckpointStats latest = latestCheckpoint(cluster, job.getJobID());
                    return latest != null && latest.getTriggerTimestamp() > afterMillis;
                });
        return latestCheckpoint(cluster, job.getJobID());
    }

    /** Polls until every task of the job is RUNNING. */
    public static void awaitAllTasksRunning(MiniCluster cluster, JobClient job, Duration timeout) {
        JobHarness.await(
                "all tasks of job " + job.getJobID() + " to run",
                timeout,
                () -> {
                    failOnFailedJob(job);
                    for (AccessExecutionVertex vertex :
                            graph(cluster, job.getJobID()).getAllExecutionVertices()) {
                        if (vertex.getExecutionState() != ExecutionState.RUNNING) {
                            return false;
                        }
                    }
                    return true;
                });
    }

    /**
     * The highest attempt number of any task: 0 while no task has been restarted, and one more for
     * each restart of the task that restarted most.
     */
    public static int maxAttemptNumber(MiniCluster cluster, JobID job) {
        int max = 0;
        for (AccessExecutionVertex vertex : graph(cluster, job).getAllExecutionVertices()) {
            max = Math.max(max, vertex.getCurrentExecutionAttempt().getAttemptNumber());
        }
        return max;
    }

    /** Cancels the job and waits until it is CANCELED. */
    public static void cancel(JobClient job, Duration timeout) throws Exception {
        job.cancel().get(timeout.toSeconds(), TimeUnit.SECONDS);
        JobHarness.await(
                "job " + job.getJobID() + " to stop",
                timeout,
                () -> job.getJobStatus().join().isGloballyTerminalState());
        JobStatus status = job.getJobStatus().join();
        if (status != JobStatus.CANCELED) {
            throw new AssertionError("job " + job.getJobID() + " ended " + status);
        }
    }

    /** Throws with the job's failure cause when the job has FAILED. */
    public static void failOnFailedJob(JobClient job) {
        if (job.getJobStatus().join() == JobStatus.FAILED) {
            Throwable cause;
            try {
                job.getJobExecutionResult().get();
                cause = null;
            } catch (Exception e) {
                cause = e;
            }
            throw new AssertionError("job " + job.getJobID() + " failed", cause);
        }
    }

    private static AccessExecutionGraph graph(MiniCluster cluster, JobID job) {
        return cluster.getExecutionGraph(job).join();
    }
}
