package io.cmekflink.job;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Finds, per partition of the key-change topic, the offset of its last committed record: the point
 * at which the job's replay of the topic has caught up.
 *
 * <p>The end offset alone is not enough: a transactional producer leaves commit markers, which
 * occupy offsets that no consumer ever sees, so the last record may sit below {@code end - 1}. This
 * reads back from the end of each partition until it finds a record.
 */
public final class KeyChangeCatchUp {

    private static final int WINDOW = 100;

    private KeyChangeCatchUp() {}

    /**
     * @return partition to the offset of its last record; partitions without records are left out
     * @throws IllegalStateException when the topic does not exist
     */
    public static Map<Integer, Long> lastOffsets(
            Map<String, String> kafkaSettings, String topic, Duration timeout) {
        Properties props = new Properties();
        props.putAll(kafkaSettings);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(
                        props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> partitions = consumer.partitionsFor(topic, timeout);
            if (partitions == null || partitions.isEmpty()) {
                throw new IllegalStateException(
                        "key-change topic '"
                                + topic
                                + "' does not exist; create it as a compacted topic first");
            }
            List<TopicPartition> tps =
                    partitions.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            Map<TopicPartition, Long> begin = consumer.beginningOffsets(tps, timeout);
            Map<TopicPartition, Long> end = consumer.endOffsets(tps, timeout);
            Map<Integer, Long> last = new HashMap<>();
            for (TopicPartition tp : tps) {
                long found = lastRecordOffset(consumer, tp, begin.get(tp), end.get(tp), timeout);
                if (found >= 0) {
                    last.put(tp.partition(), found);
                }
            }
            return last;
        }
    }

    private static long lastRecordOffset(
            KafkaConsumer<byte[], byte[]> consumer,
            TopicPartition tp,
            long begin,
            long end,
            Duration timeout) {
        consumer.assign(List.of(tp));
        long windowStart = end;
        while (windowStart > begin) {
            long windowEnd = windowStart;
            windowStart = Math.max(begin, windowStart - WINDOW);
            consumer.seek(tp, windowStart);
            long last = -1;
            long deadline = System.nanoTime() + timeout.toNanos();
            while (consumer.position(tp, timeout) < windowEnd && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.offset() < windowEnd) {
                        last = Math.max(last, r.offset());
                    }
                }
            }
            if (last >= 0) {
                return last;
            }
        }
        return -1;
    }
}
