package io.cmekflink.job;

import io.cmekflink.config.ConfigException;
import io.cmekflink.config.JobConfig;
import io.cmekflink.config.JobOptions;
import io.cmekflink.datakey.DataKeyTopic;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.async.AsyncFunction;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The Kafka sources and sinks and the environment settings that every job type shares. */
final class JobParts {

    private static final Logger LOG = LoggerFactory.getLogger(JobParts.class);

    private JobParts() {}

    static void configureEnvironment(StreamExecutionEnvironment env, JobConfig config) {
        int parallelism = config.get(JobOptions.PARALLELISM);
        if (parallelism > 0) {
            env.setParallelism(parallelism);
        }
        long interval = config.get(JobOptions.CHECKPOINT_INTERVAL).toMillis();
        if (interval > 0) {
            env.enableCheckpointing(interval, CheckpointingMode.EXACTLY_ONCE);
            // Unaligned checkpoints would persist in-flight buffers, with plaintext fields.
            env.getCheckpointConfig().enableUnalignedCheckpoints(false);
            checkpointStorageWarning(env.getConfiguration()).ifPresent(LOG::warn);
        }
    }

    /**
     * Returns a warning when {@code flink} names neither a checkpoint directory nor a checkpoint
     * storage. Flink then keeps checkpoints in JobManager memory, unless the cluster's own
     * configuration sets one, which the job cannot see from here.
     */
    static Optional<String> checkpointStorageWarning(ReadableConfig flink) {
        if (flink.getOptional(CheckpointingOptions.CHECKPOINTS_DIRECTORY).isPresent()
                || flink.getOptional(CheckpointingOptions.CHECKPOINT_STORAGE).isPresent()) {
            return Optional.empty();
        }
        return Optional.of(
                "no checkpoint directory is set, so unless the cluster sets"
                        + " execution.checkpointing.dir, Flink keeps checkpoints in JobManager"
                        + " memory: at most 5 MiB of state per task, lost when the JobManager"
                        + " fails. The key links of thousands of orgs, or records waiting for"
                        + " their links, exceed that, and then every checkpoint fails and the"
                        + " job restarts. Set flink.execution.checkpointing.dir in the job"
                        + " definition, or execution.checkpointing.dir in the cluster's"
                        + " configuration, to a durable file system");
    }

    /**
     * Runs an async step under ordered async I/O with {@code async.capacity} and without Flink's
     * own timeout, because the step enforces {@code async.timeout} itself ({@link StepDeadlines})
     * on the records that wait for KMS.
     */
    static <I> SingleOutputStreamOperator<OutputRecord> orderedStep(
            DataStream<I> input,
            AsyncFunction<I, OutputRecord> function,
            JobConfig config,
            String name,
            String uid) {
        return AsyncDataStream.orderedWait(
                        input,
                        function,
                        0,
                        TimeUnit.MILLISECONDS,
                        config.get(JobOptions.ASYNC_CAPACITY))
                .name(name)
                .uid(uid);
    }

    static KafkaSource<SourceRecord> recordsSource(JobConfig config) {
        String groupId = config.get(JobOptions.RECORDS_GROUP_ID);
        if (groupId.isEmpty()) {
            groupId = config.get(JobOptions.JOB_NAME);
        }
        OffsetsInitializer start =
                switch (config.get(JobOptions.RECORDS_STARTING_OFFSETS)) {
                    case "earliest" -> OffsetsInitializer.earliest();
                    case "latest" -> OffsetsInitializer.latest();
                    default -> OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
                };
        return KafkaSource.<SourceRecord>builder()
                .setProperties(consumerProperties(config))
                .setTopics(config.get(JobOptions.RECORDS_TOPIC))
                .setGroupId(groupId)
                .setStartingOffsets(start)
                .setDeserializer(
                        new SourceRecordDeserializer(
                                new HashSet<>(config.get(JobOptions.RECORDS_HEADERS_ALLOWLIST))))
                .build();
    }

    static Properties consumerProperties(JobConfig config) {
        Properties props = config.kafkaProperties();
        props.setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.remove("transaction.timeout.ms");
        return props;
    }

    /**
     * Returns the producer settings of the sinks: the {@code kafka.} keys of the job file, with the
     * job's defaults for the keys it does not set.
     */
    static Properties sinkProperties(JobConfig config) {
        boolean exactlyOnce = config.get(JobOptions.DELIVERY_GUARANTEE).equals("exactly-once");
        Properties props = config.kafkaProperties();
        if (exactlyOnce && !props.containsKey("transaction.timeout.ms")) {
            // The sink's default (1 h) exceeds the broker's default maximum of 15 minutes.
            props.setProperty(
                    "transaction.timeout.ms",
                    String.valueOf(DEFAULT_TRANSACTION_TIMEOUT.toMillis()));
        }
        props.setProperty("compression.type", props.getProperty("compression.type", "lz4"));
        props.setProperty(
                "batch.size",
                props.getProperty("batch.size", String.valueOf(Jobs.SINK_BATCH_BYTES)));
        return props;
    }

    static KafkaSink<OutputRecord> sink(JobConfig config, String topic, String role) {
        boolean exactlyOnce = config.get(JobOptions.DELIVERY_GUARANTEE).equals("exactly-once");
        Properties props = sinkProperties(config);
        var builder =
                KafkaSink.<OutputRecord>builder()
                        .setBootstrapServers(config.bootstrapServers())
                        .setKafkaProducerConfig(props)
                        .setRecordSerializer(new OutputRecordSerializer(topic))
                        .setDeliveryGuarantee(
                                exactlyOnce
                                        ? DeliveryGuarantee.EXACTLY_ONCE
                                        : DeliveryGuarantee.AT_LEAST_ONCE);
        if (exactlyOnce) {
            builder.setTransactionalIdPrefix(config.get(JobOptions.JOB_NAME) + "-" + role);
        }
        return builder.build();
    }

    /**
     * Checks that the topics exist before the job starts, so that a typo in a topic name stops the
     * job with a message instead of a failover loop.
     *
     * @throws ConfigException naming the missing topics, or the bootstrap servers that did not
     *     answer
     */
    static void checkTopics(JobConfig config, List<String> topics) {
        Properties props = config.kafkaProperties();
        props.remove("transaction.timeout.ms");
        try (Admin admin = Admin.create(props)) {
            Set<String> existing =
                    admin.listTopics().names().get(CHECK_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            List<String> missing = topics.stream().filter(t -> !existing.contains(t)).toList();
            if (!missing.isEmpty()) {
                throw new ConfigException(
                        config.source()
                                + ": topics "
                                + missing
                                + " do not exist on "
                                + config.bootstrapServers()
                                + "; create them first (the job does not create topics)");
            }
        } catch (java.util.concurrent.TimeoutException e) {
            throw new ConfigException(
                    config.source()
                            + ": Kafka at "
                            + config.bootstrapServers()
                            + " did not answer within "
                            + CHECK_TIMEOUT.toSeconds()
                            + " s; check kafka.bootstrap.servers",
                    e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new ConfigException(
                    config.source()
                            + ": listing the topics on "
                            + config.bootstrapServers()
                            + " failed: "
                            + e.getCause(),
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConfigException("interrupted while checking topics", e);
        }
    }

    /**
     * Checks, when {@code encryption.data-key-topic} is set, that the topic exists and is compacted
     * only, because deleting its entries would make the records that refer to them unreadable.
     *
     * @throws ConfigException naming the topic, what is wrong and the fix
     */
    static void checkDataKeyTopic(JobConfig config) {
        String topic = config.get(JobOptions.ENCRYPTION_DATA_KEY_TOPIC);
        if (topic.isEmpty()) {
            return;
        }
        Properties props = config.kafkaProperties();
        props.remove("transaction.timeout.ms");
        try (Admin admin = Admin.create(props)) {
            for (String warning : DataKeyTopic.verify(admin, topic, CHECK_TIMEOUT)) {
                LOG.warn(warning);
            }
        }
    }

    /** Returns a single-thread executor whose one daemon thread has {@code name}. */
    static java.util.concurrent.ExecutorService daemonThread(String name) {
        return java.util.concurrent.Executors.newSingleThreadExecutor(
                runnable -> {
                    Thread thread = new Thread(runnable, name);
                    thread.setDaemon(true);
                    return thread;
                });
    }

    /** The transaction timeout the sinks use when the job file sets none: 10 minutes. */
    static final Duration DEFAULT_TRANSACTION_TIMEOUT = Duration.ofMinutes(10);

    /**
     * Checks, before any record is read, that exactly-once delivery can work: a Kafka transaction
     * stays open for one checkpoint interval plus the checkpoint's own duration and any restart, so
     * {@code transaction.timeout.ms} must exceed the interval by at least a minute; and the broker
     * refuses a timeout above its {@code transaction.max.timeout.ms}.
     *
     * @throws ConfigException naming both values and the fix
     */
    static void checkExactlyOnce(JobConfig config) {
        if (!config.get(JobOptions.DELIVERY_GUARANTEE).equals("exactly-once")) {
            return;
        }
        long timeout = transactionTimeout(config).toMillis();
        long interval = config.get(JobOptions.CHECKPOINT_INTERVAL).toMillis();
        if (timeout < interval + Duration.ofMinutes(1).toMillis()) {
            throw new ConfigException(
                    config.source()
                            + ": kafka.transaction.timeout.ms ("
                            + timeout
                            + ") must exceed checkpoint.interval ("
                            + interval
                            + " ms) by at least a minute, because a transaction stays open until"
                            + " the next checkpoint completes; raise the timeout or shorten the"
                            + " interval");
        }
        Long brokerMax = brokerTransactionMax(config);
        if (brokerMax != null && timeout > brokerMax) {
            throw new ConfigException(
                    config.source()
                            + ": kafka.transaction.timeout.ms ("
                            + timeout
                            + ") exceeds the broker's transaction.max.timeout.ms ("
                            + brokerMax
                            + "), so the broker would refuse the job's transactions; lower the"
                            + " timeout or raise the broker's maximum");
        }
    }

    /** The producers' transaction timeout: the job file's, or the default. */
    static Duration transactionTimeout(JobConfig config) {
        String value = config.kafka().get("transaction.timeout.ms");
        if (value == null) {
            return DEFAULT_TRANSACTION_TIMEOUT;
        }
        try {
            return Duration.ofMillis(Long.parseLong(value.trim()));
        } catch (NumberFormatException e) {
            throw new ConfigException(
                    config.source()
                            + ": invalid value '"
                            + value
                            + "' for kafka.transaction.timeout.ms: expected milliseconds");
        }
    }

    /** The broker's transaction.max.timeout.ms, or null when the broker does not tell. */
    private static Long brokerTransactionMax(JobConfig config) {
        Properties props = config.kafkaProperties();
        props.remove("transaction.timeout.ms");
        try (Admin admin = Admin.create(props)) {
            var nodes =
                    admin.describeCluster()
                            .nodes()
                            .get(CHECK_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            if (nodes.isEmpty()) {
                return null;
            }
            var broker =
                    new org.apache.kafka.common.config.ConfigResource(
                            org.apache.kafka.common.config.ConfigResource.Type.BROKER,
                            String.valueOf(nodes.iterator().next().id()));
            var entry =
                    admin.describeConfigs(List.of(broker))
                            .all()
                            .get(CHECK_TIMEOUT.toSeconds(), TimeUnit.SECONDS)
                            .get(broker)
                            .get("transaction.max.timeout.ms");
            return entry == null || entry.value() == null ? null : Long.parseLong(entry.value());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (Exception e) {
            // Without the permission to describe broker configs the check is skipped; the sink
            // then reports a refused timeout itself when it starts.
            LOG.warn(
                    "could not read the broker's transaction.max.timeout.ms, so the transaction"
                            + " timeout is not checked against it: {}",
                    e.toString());
            return null;
        }
    }

    private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(30);
}
