package io.cmekflink.cli;

import io.cmekflink.config.ConfigException;
import io.cmekflink.config.JobConfig;
import io.cmekflink.config.JobOptions;
import io.cmekflink.job.EncryptJob;
import io.cmekflink.job.Jobs;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.flink.configuration.Configuration;
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
        description = {
            "Runs the job of a job definition file: encrypt, decrypt or rewrap, as its job.type"
                    + " says.",
            "AWS credentials and region come from the AWS SDK's default provider chain, for"
                    + " example AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION."
        })
public class RunCommand implements Callable<Integer> {

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
        Configuration flink = EncryptJob.flinkConfiguration(config);
        Map<String, String> overrides = new LinkedHashMap<>();
        prepare(config, flink.toMap(), overrides);
        overrides.forEach(flink::setString);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
        try {
            Jobs.build(env, config);
        } catch (ConfigException
                | IllegalStateException
                | org.apache.kafka.common.KafkaException e) {
            throw new UserException(e.getMessage(), e);
        }
        env.execute(config.get(JobOptions.JOB_NAME));
        return 0;
    }

    /**
     * Adds Flink settings before the environment is created; for subclasses. The signature has no
     * Flink types, so that the job jar's commands work without Flink on the classpath.
     *
     * @param flink the Flink settings so far
     * @param overrides receives the settings to add or replace
     */
    protected void prepare(
            JobConfig config, Map<String, String> flink, Map<String, String> overrides) {}
}
