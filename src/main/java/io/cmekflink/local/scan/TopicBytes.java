package io.cmekflink.local.scan;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads every record of Kafka topics, from the start of each partition to the end offsets found
 * when the read starts, and adds its key, value and headers to a {@link Scan}.
 *
 * <p>With {@link IsolationLevel#READ_UNCOMMITTED} the read covers every record the brokers hold up
 * to the high watermark: records of committed, aborted and still open transactions. With {@link
 * IsolationLevel#READ_COMMITTED} it covers what the job's downstream readers see: committed records
 * only, up to the last stable offset, which stops before the first open transaction. Neither view
 * includes records that retention or compaction already removed.
 *
 * <p>Source names are {@code topic-partition@offset/} followed by {@code key}, {@code value},
 * {@code header/i/key} or {@code header/i/value}, where {@code i} is the header's index in the
 * record. Header keys are numbered, not named, because a header key can itself be sensitive.
 */
public final class TopicBytes {

    /**
     * Records and bytes read.
     *
     * @param records records read over all topics
     * @param bytes bytes added to the scan: keys, values, header keys and header values
     * @param recordsPerTopic records read per topic, in the order the topics were given
     */
    public record ReadSummary(long records, long bytes, Map<String, Long> recordsPerTopic) {}

    private static final Duration POLL_INTERVAL = Duration.ofMillis(200);

    private TopicBytes() {}

    /**
     * Reads all partitions of {@code topics} to their current end offsets and adds every key,
     * value, header key and header value to {@code scan}.
     *
     * <p>The consumer assigns the partitions itself and commits nothing: any {@code group.id} in
     * {@code clientProperties} is removed, and the isolation level, deserializers and offset
     * settings are overridden.
     *
     * @param clientProperties Kafka client settings, at least {@code bootstrap.servers}
     * @param timeout the limit for the whole read, metadata included
     * @throws IllegalArgumentException if a topic does not exist
     * @throws TimeoutException if the end offsets are not reached within {@code timeout}
     */
    public static ReadSummary read(
            Properties clientProperties,
            Collection<String> topics,
            IsolationLevel isolation,
            Duration timeout,
            Scan scan) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(
                        consumerProperties(clientProperties, isolation),
                        new ByteArrayDeserializer(),
                        new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = partitionsOf(consumer, topics, timeout);
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> endOffsets = consumer.endOffsets(partitions, timeout);
            return readToEnd(consumer, topics, endOffsets, deadline, timeout, scan);
        }
    }

    private static Properties consumerProperties(Properties base, IsolationLevel isolation) {
        Properties props = new Properties();
        props.putAll(base);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation.name().toLowerCase(Locale.ROOT));
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "cmek-flink-plaintext-scan");
        return props;
    }

    private static List<TopicPartition> partitionsOf(
            KafkaConsumer<?, ?> consumer, Collection<String> topics, Duration timeout) {
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : topics) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
            if (infos == null || infos.isEmpty()) {
                throw new IllegalArgumentException(
                        "Topic " + topic + " not found; create it or fix the topic name");
            }
            for (PartitionInfo info : infos) {
                partitions.add(new TopicPartition(topic, info.partition()));
            }
        }
        return partitions;
    }

    private static ReadSummary readToEnd(
            KafkaConsumer<byte[], byte[]> consumer,
            Collection<String> topics,
            Map<TopicPartition, Long> endOffsets,
            long deadline,
            Duration timeout,
            Scan scan) {
        Map<String, Long> recordsPerTopic = new LinkedHashMap<>();
        topics.forEach(topic -> recordsPerTopic.put(topic, 0L));
        long records = 0;
        long bytes = 0;
        List<TopicPartition> pending = unfinished(consumer, endOffsets, deadline);
        while (!pending.isEmpty()) {
            if (System.nanoTime() - deadline > 0) {
                throw timedOut(consumer, pending, endOffsets, timeout);
            }
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL_INTERVAL)) {
                TopicPartition partition = new TopicPartition(record.topic(), record.partition());
                if (record.offset() >= endOffsets.get(partition)) {
                    continue;
                }
                bytes += addRecord(record, scan);
                records++;
                recordsPerTopic.merge(record.topic(), 1L, Long::sum);
            }
            pending = unfinished(consumer, endOffsets, deadline);
            consumer.pause(finished(endOffsets.keySet(), pending));
        }
        return new ReadSummary(records, bytes, recordsPerTopic);
    }

    /** Adds one record's key, value and headers to the scan and returns the bytes added. */
    private static long addRecord(ConsumerRecord<byte[], byte[]> record, Scan scan) {
        String prefix = record.topic() + "-" + record.partition() + "@" + record.offset() + "/";
        long bytes = addIfPresent(scan, prefix + "key", record.key());
        bytes += addIfPresent(scan, prefix + "value", record.value());
        int index = 0;
        for (Header header : record.headers()) {
            String headerPrefix = prefix + "header/" + index + "/";
            byte[] key = header.key().getBytes(StandardCharsets.UTF_8);
            bytes += addIfPresent(scan, headerPrefix + "key", key);
            bytes += addIfPresent(scan, headerPrefix + "value", header.value());
            index++;
        }
        return bytes;
    }

    private static long addIfPresent(Scan scan, String source, byte[] data) {
        if (data == null) {
            return 0;
        }
        scan.add(source, data);
        return data.length;
    }

    /**
     * Returns the partitions whose position is below the end offset. The position moves past
     * transaction markers and, for read_committed, past aborted records, although poll returns
     * neither.
     */
    private static List<TopicPartition> unfinished(
            KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> endOffsets, long deadline) {
        List<TopicPartition> pending = new ArrayList<>();
        Duration remaining = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
        endOffsets.forEach(
                (partition, end) -> {
                    if (consumer.position(partition, remaining) < end) {
                        pending.add(partition);
                    }
                });
        return pending;
    }

    private static List<TopicPartition> finished(
            Collection<TopicPartition> all, List<TopicPartition> pending) {
        List<TopicPartition> done = new ArrayList<>(all);
        done.removeAll(pending);
        return done;
    }

    private static TimeoutException timedOut(
            KafkaConsumer<?, ?> consumer,
            List<TopicPartition> pending,
            Map<TopicPartition, Long> endOffsets,
            Duration timeout) {
        StringBuilder positions = new StringBuilder();
        for (TopicPartition partition : pending) {
            if (!positions.isEmpty()) {
                positions.append(", ");
            }
            positions
                    .append(partition)
                    .append(" at ")
                    .append(consumer.position(partition))
                    .append(" of ")
                    .append(endOffsets.get(partition));
        }
        return new TimeoutException(
                "Timed out after "
                        + timeout
                        + " reading to the end offsets: "
                        + positions
                        + ". Raise the timeout or check that the broker is reachable.");
    }
}
