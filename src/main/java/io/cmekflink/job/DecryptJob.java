package io.cmekflink.job;

import io.cmekflink.config.JobConfig;
import io.cmekflink.config.JobOptions;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.async.AsyncFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The decrypt job's topology:
 *
 * <pre>
 * encrypted records (Kafka) ─► decrypt (async KMS) ─► split ─► plaintext records (Kafka)
 *                                                          └─► decryption dead letters (Kafka)
 * </pre>
 *
 * The plaintext topic outlives a later revocation of the org's key, so give it a short retention.
 */
public final class DecryptJob {

    private static final Logger LOG = LoggerFactory.getLogger(DecryptJob.class);

    public static final String UID_SOURCE = "encrypted-source";
    public static final String UID_DECRYPT = "decrypt";
    public static final String UID_SPLIT = "split-output";
    public static final String UID_PLAINTEXT_SINK = "plaintext-sink";
    public static final String UID_DEAD_LETTER_SINK = "dead-letter-sink";

    private DecryptJob() {}

    /** The decrypt step: {@link DecryptFunction} under ordered async I/O. */
    public static final JobStep<SourceRecord> DECRYPT_STEP =
            (encrypted, config) -> decryptStep(encrypted, new DecryptFunction(config), config);

    /**
     * Runs {@code function}, the decrypt function or a step that wraps it, as the job's decrypt
     * step: ordered async I/O without Flink's own timeout ({@link JobParts#orderedStep}).
     */
    public static SingleOutputStreamOperator<OutputRecord> decryptStep(
            DataStream<SourceRecord> encrypted,
            AsyncFunction<SourceRecord, OutputRecord> function,
            JobConfig config) {
        return JobParts.orderedStep(encrypted, function, config, "decrypt", UID_DECRYPT);
    }

    /** Adds the decrypt job to {@code env}. */
    public static void build(StreamExecutionEnvironment env, JobConfig config) {
        build(env, config, DECRYPT_STEP);
    }

    /**
     * Adds the decrypt job to {@code env} with {@code decryptStep} in place of the decrypt step.
     */
    public static void build(
            StreamExecutionEnvironment env, JobConfig config, JobStep<SourceRecord> decryptStep) {
        JobParts.checkTopics(
                config,
                java.util.List.of(
                        config.get(JobOptions.RECORDS_TOPIC),
                        config.get(JobOptions.OUTPUT_TOPIC),
                        config.get(JobOptions.DEAD_LETTERS_TOPIC)));
        JobParts.checkDataKeyTopic(config);
        JobParts.checkExactlyOnce(config);
        LOG.info(
                "starting {}: decrypting {} into {}",
                config.get(JobOptions.JOB_NAME),
                config.get(JobOptions.RECORDS_TOPIC),
                config.get(JobOptions.OUTPUT_TOPIC));
        JobParts.configureEnvironment(env, config);
        DataStream<SourceRecord> encrypted =
                env.fromSource(
                                JobParts.recordsSource(config),
                                WatermarkStrategy.noWatermarks(),
                                "encrypted: " + config.get(JobOptions.RECORDS_TOPIC))
                        .uid(UID_SOURCE);
        SingleOutputStreamOperator<OutputRecord> decrypted = decryptStep.apply(encrypted, config);
        SingleOutputStreamOperator<OutputRecord> split =
                decrypted.process(new SplitOutputFunction()).name("split output").uid(UID_SPLIT);
        split.sinkTo(JobParts.sink(config, config.get(JobOptions.OUTPUT_TOPIC), "plaintext"))
                .name("plaintext: " + config.get(JobOptions.OUTPUT_TOPIC))
                .uid(UID_PLAINTEXT_SINK);
        split.getSideOutput(DeadLetters.TAG)
                .sinkTo(
                        JobParts.sink(
                                config, config.get(JobOptions.DEAD_LETTERS_TOPIC), "dead-letters"))
                .name("dead letters: " + config.get(JobOptions.DEAD_LETTERS_TOPIC))
                .uid(UID_DEAD_LETTER_SINK);
    }
}
