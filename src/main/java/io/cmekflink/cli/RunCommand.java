package io.cmekflink.cli;

import io.cmekflink.config.ConfigException;
import io.cmekflink.config.JobConfig;
import io.cmekflink.config.JobOptions;
import io.cmekflink.job.EncryptJob;
import io.cmekflink.job.Jobs;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * Runs the encrypt job of a job definition: on the cluster when started by {@code flink run}, on a
 * local mini cluster when started with {@code java -jar}.
 */
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        description = "Runs the encrypt job of a job definition file.")
public final class RunCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "JOB.yaml", description = "Job definition file.")
    Path jobFile;

    @Override
    public Integer call() throws Exception {
        JobConfig config;
        try {
            config = JobConfig.load(jobFile);
        } catch (ConfigException e) {
            throw new UserException(e.getMessage(), e);
        }
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(
                        EncryptJob.flinkConfiguration(config));
        try {
            Jobs.build(env, config);
        } catch (ConfigException | IllegalStateException e) {
            throw new UserException(e.getMessage(), e);
        }
        env.execute(config.get(JobOptions.JOB_NAME));
        return 0;
    }
}
