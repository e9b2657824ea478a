package io.cmekflink.job;

import io.cmekflink.config.JobConfig;
import io.cmekflink.config.JobOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/** Builds the job that a definition's {@code job.type} names. */
public final class Jobs {

    private Jobs() {}

    public static void build(StreamExecutionEnvironment env, JobConfig config) {
        switch (config.get(JobOptions.JOB_TYPE)) {
            case JobOptions.DECRYPT -> DecryptJob.build(env, config);
            case JobOptions.REWRAP -> RewrapJob.build(env, config);
            default -> EncryptJob.build(env, config);
        }
    }
}
