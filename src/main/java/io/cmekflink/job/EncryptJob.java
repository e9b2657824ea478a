package io.cmekflink.job;

import io.cmekflink.config.JobConfig;
import io.cmekflink.config.JobOptions;
import io.cmekflink.link.Geo;
import io.cmekflink.link.KeyChangeSignatures;
import io.cmekflink.link.KeyLinkRules;
import java.time.Duration;
import java.util.Map;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.async.AsyncFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The encrypt job's topology:
 *
 * <pre>
 * records (Kafka) ─► parse ─► keyBy(org, salt) ─┐
 *                                                ├─► resolve key ─► encrypt (async) ─► split ─► encrypted (Kafka)
 * key changes (Kafka) ─► broadcast ──────────────┘       │                              └─────► dead letters (Kafka)
 *                                                        └─ parse and resolve dead letters ───► dead letters
 * </pre>
 *
 * The salt is 0 except for the hot orgs of {@code hot-orgs.ids}, whose records spread over several
 * instances of the resolve and encrypt chain ({@link HotOrgs}).
 *
 * <p>Every stateful operator has a stable uid, so that savepoints survive upgrades.
 */
public final class EncryptJob {

    private static final Logger LOG = LoggerFactory.getLogger(EncryptJob.class);

    public static final String UID_RECORDS_SOURCE = "records-source";
    public static final String UID_KEY_CHANGES_SOURCE = "key-changes-source";
    public static final String UID_PARSE = "parse";
    public static final String UID_RESOLVE = "resolve-key";
    public static final String UID_ENCRYPT = "encrypt";
    public static final String UID_SPLIT = "split-output";
    public static final String UID_ENCRYPTED_SINK = "encrypted-sink";
    public static final String UID_DEAD_LETTER_SINK = "dead-letter-sink";

    private EncryptJob() {}

    /** The Flink configuration of a job definition: its {@code flink.} keys plus our defaults. */
    public static Configuration flinkConfiguration(JobConfig config) {
        Configuration flink = Configuration.fromMap(config.flink());
        flink.setString("pipeline.name", config.get(JobOptions.JOB_NAME));
        if (!config.flink().containsKey("pipeline.generic-types")) {
            // Catches records that would fall back to Kryo, whose format is not versioned.
            flink.setString("pipeline.generic-types", "false");
        }
        return flink;
    }

    /** Adds the encrypt job to {@code env}. Reads the key-change topic's end offsets first. */
    public static void build(StreamExecutionEnvironment env, JobConfig config) {
        JobParts.checkTopics(
                config,
                java.util.List.of(
                        config.get(JobOptions.RECORDS_TOPIC),
                        config.get(JobOptions.OUTPUT_TOPIC),
                        config.get(JobOptions.DEAD_LETTERS_TOPIC),
                        config.get(JobOptions.KEY_CHANGES_TOPIC)));
        JobParts.checkDataKeyTopic(config);
        JobParts.checkExactlyOnce(config);
        Map<Integer, Long> catchUp =
                KeyChangeCatchUp.lastOffsets(
                        config.kafka(),
                        config.get(JobOptions.KEY_CHANGES_TOPIC),
                        Duration.ofSeconds(30));
        LOG.info(
                "starting {} on {}; key-change replay catches up at offsets {}",
                config.get(JobOptions.JOB_NAME),
                config.get(JobOptions.RECORDS_TOPIC),
                catchUp);
        build(env, config, catchUp);
    }

    /** Adds the encrypt job to {@code env}, with known catch-up offsets of the key-change topic. */
    public static void build(
            StreamExecutionEnvironment env, JobConfig config, Map<Integer, Long> catchUp) {
        build(env, config, catchUp, ENCRYPT_STEP);
    }

    /** The encrypt step: {@link EncryptFunction} under ordered async I/O. */
    public static final JobStep<Routed> ENCRYPT_STEP =
            (routed, config) -> encryptStep(routed, encryptFunction(config), config);

    /**
     * Runs {@code function}, the encrypt function or a step that wraps it, as the job's encrypt
     * step: ordered async I/O without Flink's own timeout ({@link JobParts#orderedStep}).
     */
    public static SingleOutputStreamOperator<OutputRecord> encryptStep(
            DataStream<Routed> routed,
            AsyncFunction<Routed, OutputRecord> function,
            JobConfig config) {
        return JobParts.orderedStep(routed, function, config, "encrypt", UID_ENCRYPT);
    }

    /**
     * Creates the job's encrypt function, limited to the output topic's maximum message size. Also
     * for steps that wrap it.
     */
    public static EncryptFunction encryptFunction(JobConfig config) {
        return new EncryptFunction(config)
                .withMaxMessageBytes(
                        OutputMessageLimit.of(config, config.get(JobOptions.OUTPUT_TOPIC)));
    }

    /**
     * Adds the encrypt job to {@code env} with {@code encryptStep} in place of the encrypt step,
     * with known catch-up offsets of the key-change topic.
     */
    public static void build(
            StreamExecutionEnvironment env,
            JobConfig config,
            Map<Integer, Long> catchUp,
            JobStep<Routed> encryptStep) {
        JobParts.configureEnvironment(env, config);

        DataStream<SourceRecord> records =
                env.fromSource(
                                JobParts.recordsSource(config),
                                WatermarkStrategy.noWatermarks(),
                                "records: " + config.get(JobOptions.RECORDS_TOPIC))
                        .uid(UID_RECORDS_SOURCE);

        SingleOutputStreamOperator<ParsedRecord> parsed =
                records.process(new ParseFunction(config)).name("parse").uid(UID_PARSE);

        BroadcastStream<KeyChangeRecord> keyChanges =
                env.fromSource(
                                keyChangesSource(config),
                                WatermarkStrategy.noWatermarks(),
                                "key changes: " + config.get(JobOptions.KEY_CHANGES_TOPIC))
                        .uid(UID_KEY_CHANGES_SOURCE)
                        .setParallelism(1)
                        .broadcast(ResolveKeyFunction.LINKS, ResolveKeyFunction.REPLAY);

        Geo geo = Geo.parse(config.get(JobOptions.GEO));
        SingleOutputStreamOperator<Routed> routed =
                parsed.keyBy(
                                r -> HotOrgs.routingKey(r.orgId, r.salt),
                                org.apache.flink.api.common.typeinfo.Types.STRING)
                        .connect(keyChanges)
                        .process(
                                new ResolveKeyFunction(
                                                new KeyLinkRules(
                                                        geo,
                                                        config.get(
                                                                JobOptions
                                                                        .KEY_CHANGES_MAX_VERSION_JUMP)),
                                                catchUp,
                                                config.get(JobOptions.LINK_WAIT),
                                                config.get(JobOptions.LINK_MAX_PENDING_PER_ORG),
                                                config.get(JobOptions.KEY_CHANGES_CATCH_UP_TIMEOUT),
                                                !config.get(
                                                                JobOptions
                                                                        .DEAD_LETTERS_PLATFORM_KEY_ARN)
                                                        .isEmpty(),
                                                signatures(config),
                                                config.get(JobOptions.ENCRYPTION_PLATFORM_KEY_ARN))
                                        .withStateSealing(
                                                config.get(JobOptions.STATE_PLATFORM_KEY_ARN),
                                                KmsConfig.kmsSettings(config),
                                                KmsConfig.geoRegions(config))
                                        .withHotOrgs(HotOrgs.of(config)))
                        .name("resolve key")
                        .uid(UID_RESOLVE);

        SingleOutputStreamOperator<OutputRecord> encrypted = encryptStep.apply(routed, config);

        SingleOutputStreamOperator<OutputRecord> split =
                encrypted.process(new SplitOutputFunction()).name("split output").uid(UID_SPLIT);

        split.sinkTo(JobParts.sink(config, config.get(JobOptions.OUTPUT_TOPIC), "encrypted"))
                .name("encrypted: " + config.get(JobOptions.OUTPUT_TOPIC))
                .uid(UID_ENCRYPTED_SINK);

        DataStream<OutputRecord> deadLetters =
                split.getSideOutput(DeadLetters.TAG)
                        .union(
                                parsed.getSideOutput(DeadLetters.TAG),
                                routed.getSideOutput(DeadLetters.TAG));
        deadLetters
                .sinkTo(
                        JobParts.sink(
                                config, config.get(JobOptions.DEAD_LETTERS_TOPIC), "dead-letters"))
                .name("dead letters: " + config.get(JobOptions.DEAD_LETTERS_TOPIC))
                .uid(UID_DEAD_LETTER_SINK);
    }

    private static KafkaSource<KeyChangeRecord> keyChangesSource(JobConfig config) {
        return KafkaSource.<KeyChangeRecord>builder()
                .setProperties(JobParts.consumerProperties(config))
                .setTopics(config.get(JobOptions.KEY_CHANGES_TOPIC))
                .setGroupId(config.get(JobOptions.JOB_NAME) + "-key-changes")
                // A fresh start replays the whole compacted topic; a restore continues from the
                // checkpoint, since the broadcast state already holds the earlier links.
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setDeserializer(new KeyChangeRecord.Deserializer())
                .build();
    }

    private static KeyChangeSignatures signatures(JobConfig config) {
        try {
            return KeyChangeSignatures.fromPublicKeyFiles(
                    config.get(JobOptions.KEY_CHANGES_PUBLIC_KEYS).stream()
                            .map(java.nio.file.Path::of)
                            .toList());
        } catch (IllegalArgumentException e) {
            throw new io.cmekflink.config.ConfigException(
                    config.source() + ": key-changes.public-keys: " + e.getMessage(), e);
        }
    }
}
