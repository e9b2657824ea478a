package io.cmekflink.job;

import io.cmekflink.config.JobConfig;
import io.cmekflink.config.JobOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/** Builds the job that a definition's {@code job.type} names. */
public final class Jobs {

    private Jobs() {}

    /**
     * The sinks' {@code batch.size} unless the job file sets one: 256 KiB, against the producer's
     * default of 16 KiB. Encrypted records do not compress, so a 16 KiB batch holds only about 11
     * of them. Each batch costs a request, the broker's validation and two 64 KiB lz4 buffers. In
     * the bench's comparison, 256 KiB cut the Kafka threads' CPU per encrypted record by about two
     * thirds. The producer splits a batch that a topic's max.message.bytes rejects as too large.
     */
    public static final int SINK_BATCH_BYTES = 256 * 1024;

    public static void build(StreamExecutionEnvironment env, JobConfig config) {
        switch (config.get(JobOptions.JOB_TYPE)) {
            case JobOptions.DECRYPT -> DecryptJob.build(env, config);
            case JobOptions.REWRAP -> RewrapJob.build(env, config);
            default -> EncryptJob.build(env, config);
        }
    }
}
