package io.cmekflink.local;

import io.cmekflink.config.JobConfig;
import io.cmekflink.config.JobOptions;
import io.cmekflink.job.EncryptJob;
import io.cmekflink.job.Jobs;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.client.deployment.executors.LocalExecutor;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.DeploymentOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.PipelineExecutor;
import org.apache.flink.core.execution.PipelineExecutorFactory;
import org.apache.flink.core.execution.PipelineExecutorServiceLoader;
import org.apache.flink.runtime.checkpoint.CheckpointStatsSnapshot;
import org.apache.flink.runtime.executiongraph.AccessExecutionGraph;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * One job on its own local mini cluster, as {@code StreamExecutionEnvironment.executeAsync} runs it
 * outside a cluster, except that the demo keeps the {@link MiniCluster}. Through it the demo fails
 * every task of the job by terminating the task manager, and reads the job's checkpoint counts. The
 * mini cluster shuts down when the job ends.
 */
final class DemoCluster {

    private static final Duration POLL = Duration.ofMillis(100);

    private final MiniCluster miniCluster;
    private final JobClient job;

    private DemoCluster(MiniCluster miniCluster, JobClient job) {
        this.miniCluster = miniCluster;
        this.job = job;
    }

    /** Builds a job of any type and submits it to a new mini cluster. */
    static DemoCluster start(JobConfig config) throws Exception {
        Configuration flink = EncryptJob.flinkConfiguration(config);
        // What StreamExecutionEnvironment.getExecutionEnvironment sets outside a cluster.
        flink.set(DeploymentOptions.TARGET, "local");
        flink.set(DeploymentOptions.ATTACHED, true);
        AtomicReference<MiniCluster> created = new AtomicReference<>();
        StreamExecutionEnvironment env =
                new StreamExecutionEnvironment(
                        executorLoader(created), flink, DemoCluster.class.getClassLoader());
        Jobs.build(env, config);
        JobClient job = env.executeAsync(config.get(JobOptions.JOB_NAME));
        return new DemoCluster(created.get(), job);
    }

    /** A loader of Flink's local executor whose mini cluster is stored in {@code created}. */
    private static PipelineExecutorServiceLoader executorLoader(
            AtomicReference<MiniCluster> created) {
        PipelineExecutorFactory factory =
                new PipelineExecutorFactory() {
                    @Override
                    public String getName() {
                        return "local";
                    }

                    @Override
                    public boolean isCompatibleWith(Configuration configuration) {
                        return true;
                    }

                    @Override
                    public PipelineExecutor getExecutor(Configuration configuration) {
                        return LocalExecutor.createWithFactory(
                                configuration,
                                miniClusterConfig -> {
                                    MiniCluster cluster = new MiniCluster(miniClusterConfig);
                                    created.set(cluster);
                                    return cluster;
                                });
                    }
                };
        return new PipelineExecutorServiceLoader() {
            @Override
            public PipelineExecutorFactory getExecutorFactory(Configuration configuration) {
                return factory;
            }

            @Override
            public Stream<String> getExecutorNames() {
                return Stream.of(factory.getName());
            }
        };
    }

    JobClient job() {
        return job;
    }

    /** Returns the number of checkpoints of the job that completed so far. */
    long completedCheckpoints() throws Exception {
        return checkpoints().getCounts().getNumberOfCompletedCheckpoints();
    }

    /**
     * Fails every task of the job by terminating the mini cluster's only task manager, then starts
     * a new one, whose slots the job's restart uses.
     */
    void failAllTasks() throws Exception {
        miniCluster.terminateTaskManager(0).get();
        miniCluster.startTaskManager();
    }

    /**
     * Waits until the job runs again after a restart from a checkpoint.
     *
     * @return the id of the checkpoint the job restored
     * @throws IllegalStateException when the job does not restore one within {@code timeout}
     */
    long awaitRestored(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            AccessExecutionGraph graph = miniCluster.getExecutionGraph(job.getJobID()).get();
            CheckpointStatsSnapshot checkpoints = graph.getCheckpointStatsSnapshot();
            if (graph.getState() == JobStatus.RUNNING
                    && checkpoints.getCounts().getNumberOfRestoredCheckpoints() > 0) {
                return checkpoints.getLatestRestoredCheckpoint().getCheckpointId();
            }
            if (graph.getState().isGloballyTerminalState()) {
                throw new IllegalStateException(
                        "job " + job.getJobID() + " ended with " + graph.getState());
            }
            Thread.sleep(POLL.toMillis());
        }
        throw new IllegalStateException(
                "job " + job.getJobID() + " did not restore a checkpoint within " + timeout);
    }

    private CheckpointStatsSnapshot checkpoints() throws Exception {
        return miniCluster.getExecutionGraph(job.getJobID()).get().getCheckpointStatsSnapshot();
    }
}
