package io.cmekflink.deadletter.report;

import io.cmekflink.config.Durations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads every partition of a topic from its beginning up to the end offsets seen at the start of
 * the read, with {@code isolation.level=read_committed}: records of aborted transactions are
 * skipped, and the end offset of a partition is its last stable offset, so records of transactions
 * still open at the start are not read. Partitions are assigned directly, so no consumer group is
 * joined and no offsets are committed.
 */
public final class CommittedTopicReader {

    private static final Duration POLL_INTERVAL = Duration.ofMillis(200);

    private final String bootstrapServers;
    private final Duration timeout;

    /**
     * @param timeout the time the whole read may take, from connecting to the last record
     */
    public CommittedTopicReader(String bootstrapServers, Duration timeout) {
        this.bootstrapServers = bootstrapServers;
        this.timeout = timeout;
    }

    /**
     * Passes each record of {@code topic} below the end offsets to {@code sink}, in offset order
     * within each partition, and returns the number of records passed.
     *
     * @throws TopicReadException when the topic does not exist, the bootstrap address is invalid,
     *     the broker returns an error, or the read does not finish within the timeout
     */
    public long read(String topic, Consumer<ConsumerRecord<byte[], byte[]>> sink) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<byte[], byte[]> consumer = createConsumer()) {
            List<TopicPartition> partitions = partitions(consumer, topic, deadline);
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, remaining(deadline));
            return readUntil(consumer, topic, end, deadline, sink);
        } catch (TimeoutException e) {
            throw timedOut(topic, "reading", -1, e);
        } catch (KafkaException e) {
            throw new TopicReadException(
                    "reading topic '"
                            + topic
                            + "' on "
                            + bootstrapServers
                            + " failed: "
                            + rootMessage(e),
                    e);
        }
    }

    private KafkaConsumer<byte[], byte[]> createConsumer() {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "cmek-flink-dead-letters");
        try {
            return new KafkaConsumer<>(
                    props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        } catch (KafkaException e) {
            throw new TopicReadException(
                    "invalid bootstrap servers '"
                            + bootstrapServers
                            + "': "
                            + rootMessage(e)
                            + "; write them as HOST:PORT[,HOST:PORT...]",
                    e);
        }
    }

    private List<TopicPartition> partitions(
            KafkaConsumer<byte[], byte[]> consumer, String topic, long deadline) {
        List<PartitionInfo> infos;
        try {
            infos = consumer.partitionsFor(topic, remaining(deadline));
        } catch (TimeoutException e) {
            throw timedOut(topic, "fetching the partitions of", -1, e);
        }
        if (infos == null || infos.isEmpty()) {
            throw new TopicReadException(
                    "topic '"
                            + topic
                            + "' does not exist on "
                            + bootstrapServers
                            + "; check the topic name and the bootstrap servers");
        }
        List<TopicPartition> partitions = new ArrayList<>();
        for (PartitionInfo info : infos) {
            partitions.add(new TopicPartition(topic, info.partition()));
        }
        return partitions;
    }

    private long readUntil(
            KafkaConsumer<byte[], byte[]> consumer,
            String topic,
            Map<TopicPartition, Long> end,
            long deadline,
            Consumer<ConsumerRecord<byte[], byte[]>> sink) {
        Set<TopicPartition> pending = new HashSet<>(end.keySet());
        long passed = 0;
        while (true) {
            try {
                removeFinished(consumer, pending, end, deadline);
            } catch (TimeoutException e) {
                throw timedOut(topic, "reading", passed, e);
            }
            if (pending.isEmpty()) {
                return passed;
            }
            if (System.nanoTime() > deadline) {
                throw timedOut(topic, "reading", passed, null);
            }
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL_INTERVAL)) {
                TopicPartition partition = new TopicPartition(record.topic(), record.partition());
                // Records written after the read started lie at or beyond the end offset.
                if (record.offset() < end.get(partition)) {
                    sink.accept(record);
                    passed++;
                }
            }
        }
    }

    /** Pauses and removes the pending partitions whose position reached the end offset. */
    private static void removeFinished(
            KafkaConsumer<byte[], byte[]> consumer,
            Set<TopicPartition> pending,
            Map<TopicPartition, Long> end,
            long deadline) {
        for (Iterator<TopicPartition> it = pending.iterator(); it.hasNext(); ) {
            TopicPartition partition = it.next();
            if (consumer.position(partition, remaining(deadline)) >= end.get(partition)) {
                consumer.pause(List.of(partition));
                it.remove();
            }
        }
    }

    /** Describes a timeout; {@code passed} is the number of records read so far, or -1. */
    private TopicReadException timedOut(
            String topic, String action, long passed, TimeoutException cause) {
        String progress = passed < 0 ? "" : " after " + passed + " records";
        return new TopicReadException(
                action
                        + " topic '"
                        + topic
                        + "' on "
                        + bootstrapServers
                        + " timed out"
                        + progress
                        + " (timeout "
                        + Durations.format(timeout)
                        + "); check that the broker is reachable, or raise the timeout",
                cause);
    }

    private static Duration remaining(long deadline) {
        return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    }

    private static String rootMessage(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause.getMessage();
    }
}
