package io.cmekflink.local.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The records that one run wrote to its output topic, read back with {@code read_committed}: the
 * broker's append time of every record, the total value and header bytes, and the first records in
 * offset order as a sample for the size measurements.
 */
final class OutputTopic {

    final long[] appendTimes;
    final long valueBytes;
    final long headerBytes;
    final List<ConsumerRecord<byte[], byte[]>> sample;

    private OutputTopic(
            long[] appendTimes,
            long valueBytes,
            long headerBytes,
            List<ConsumerRecord<byte[], byte[]>> sample) {
        this.appendTimes = appendTimes;
        this.valueBytes = valueBytes;
        this.headerBytes = headerBytes;
        this.sample = sample;
    }

    int records() {
        return appendTimes.length;
    }

    /**
     * Reads {@code expected} committed records of {@code topic}, keeping at most {@code sampleSize}
     * of them whole, partition by partition.
     *
     * @throws IllegalStateException when fewer arrive within {@code timeout}
     */
    static OutputTopic read(
            String bootstrapServers, String topic, int expected, int sampleSize, Duration timeout) {
        return read(bootstrapServers, topic, expected, sampleSize, timeout, r -> {});
    }

    /**
     * Reads like {@link #read(String, String, int, int, Duration)} and hands every record to {@code
     * each}, in offset order within each partition.
     */
    static OutputTopic read(
            String bootstrapServers,
            String topic,
            int expected,
            int sampleSize,
            Duration timeout,
            java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> each) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        long[] times = new long[expected];
        int count = 0;
        long values = 0;
        long headers = 0;
        List<ConsumerRecord<byte[], byte[]>> sample = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(
                        props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions =
                    consumer.partitionsFor(topic, timeout).stream()
                            .map(p -> new TopicPartition(topic, p.partition()))
                            .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (count < expected) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            "only "
                                    + count
                                    + " of "
                                    + expected
                                    + " records were committed to "
                                    + topic
                                    + " within "
                                    + timeout.toSeconds()
                                    + " s");
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (count >= expected) {
                        throw new IllegalStateException(
                                topic
                                        + " contains more than the "
                                        + expected
                                        + " records expected");
                    }
                    times[count++] = r.timestamp();
                    values += r.value() == null ? 0 : r.value().length;
                    for (Header h : r.headers()) {
                        headers += h.key().length() + (h.value() == null ? 0 : h.value().length);
                    }
                    if (sample.size() < sampleSize) {
                        sample.add(r);
                    }
                    each.accept(r);
                }
            }
        }
        Arrays.sort(times);
        return new OutputTopic(times, values, headers, sample);
    }

    /**
     * Records per second between the 10th and the 90th percentile of append times, which leaves out
     * the start (links replaying, JIT, first DEKs) and the last partial batches.
     */
    double recordsPerSecond() {
        int n = appendTimes.length;
        if (n < 2) {
            return 0;
        }
        int from = n / 10;
        int to = Math.max(from + 1, n - 1 - n / 10);
        long millis = Math.max(1, appendTimes[to] - appendTimes[from]);
        return (to - from) * 1000.0 / millis;
    }
}
