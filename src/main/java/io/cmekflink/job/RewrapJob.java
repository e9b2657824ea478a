package io.cmekflink.job;

import io.cmekflink.config.JobConfig;
import io.cmekflink.config.JobOptions;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The re-wrap job: reads the encrypted topic from its beginning to the end offsets at start, moves
 * the org's records from the old key ARN to the new one, writes them to the target topic keyed by
 * record id, and finishes.
 *
 * <p>KMS cost: one {@code ReEncrypt} per distinct EDEK of the org under the old key, or, when the
 * keys are in different regions, one {@code Decrypt} and one {@code Encrypt} per EDEK.
 */
public final class RewrapJob {

    private static final Logger LOG = LoggerFactory.getLogger(RewrapJob.class);

    private RewrapJob() {}

    /** Adds the re-wrap job to {@code env}. */
    public static void build(StreamExecutionEnvironment env, JobConfig config) {
        JobParts.checkTopics(
                config,
                java.util.List.of(
                        config.get(JobOptions.RECORDS_TOPIC),
                        config.get(JobOptions.OUTPUT_TOPIC),
                        config.get(JobOptions.DEAD_LETTERS_TOPIC)));
        JobParts.checkDataKeyTopic(config);
        JobParts.checkExactlyOnce(config);
        LOG.info(
                "starting {}: re-wrapping records of org {} in {} from {} to {} into {}",
                config.get(JobOptions.JOB_NAME),
                config.get(JobOptions.REWRAP_ORG),
                config.get(JobOptions.RECORDS_TOPIC),
                config.get(JobOptions.REWRAP_FROM_KEY_ARN),
                config.get(JobOptions.REWRAP_TO_KEY_ARN),
                config.get(JobOptions.OUTPUT_TOPIC));
        JobParts.configureEnvironment(env, config);
        KafkaSource<SourceRecord> source =
                KafkaSource.<SourceRecord>builder()
                        .setProperties(JobParts.consumerProperties(config))
                        .setTopics(config.get(JobOptions.RECORDS_TOPIC))
                        .setGroupId(config.get(JobOptions.JOB_NAME))
                        .setStartingOffsets(OffsetsInitializer.earliest())
                        .setBounded(OffsetsInitializer.latest())
                        .setDeserializer(
                                new SourceRecordDeserializer(
                                        new java.util.HashSet<>(
                                                config.get(JobOptions.RECORDS_HEADERS_ALLOWLIST))))
                        .build();
        SingleOutputStreamOperator<OutputRecord> rewrapped =
                JobParts.orderedStep(
                        env.fromSource(
                                        source,
                                        WatermarkStrategy.noWatermarks(),
                                        "encrypted: " + config.get(JobOptions.RECORDS_TOPIC))
                                .uid("encrypted-source"),
                        new RewrapFunction(config),
                        config,
                        "re-wrap",
                        "rewrap");
        SingleOutputStreamOperator<OutputRecord> split =
                rewrapped
                        .process(new SplitOutputFunction())
                        .name("split output")
                        .uid("split-output");
        split.sinkTo(JobParts.sink(config, config.get(JobOptions.OUTPUT_TOPIC), "rewrapped"))
                .name("re-wrapped: " + config.get(JobOptions.OUTPUT_TOPIC))
                .uid("rewrapped-sink");
        split.getSideOutput(DeadLetters.TAG)
                .sinkTo(
                        JobParts.sink(
                                config, config.get(JobOptions.DEAD_LETTERS_TOPIC), "dead-letters"))
                .name("dead letters: " + config.get(JobOptions.DEAD_LETTERS_TOPIC))
                .uid("dead-letter-sink");
    }
}
