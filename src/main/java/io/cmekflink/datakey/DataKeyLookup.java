package io.cmekflink.datakey;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the data-key entry that a {@link DataKeyReference} points to.
 *
 * <p>One Kafka consumer, without a group and without committed offsets, serves all lookups. Only
 * the lookup's own daemon thread uses it, one lookup at a time, so {@link #find} never blocks its
 * caller. A lookup reads the reference's partition from its offset until the first record at or
 * after that offset arrives, or the timeout passes.
 *
 * <p>The timeout bounds the request for the topic's partitions and the wait for the record
 * together. A lookup that does not find its record then requests the partition's offsets, each
 * request bounded by the timeout again, so a lookup can take up to three times the timeout.
 *
 * <p>Thread safety: all methods may be called from any thread.
 */
public final class DataKeyLookup implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DataKeyLookup.class);

    /** How long {@link #close()} waits for the current lookup to stop and the consumer to close. */
    static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

    /**
     * The maximum time of one poll. Between polls the lookup checks whether the consumer's position
     * has passed the reference's offset without returning a record there.
     */
    private static final Duration POLL_INTERVAL = Duration.ofMillis(100);

    /** A lookup needs one record, and the broker returns at least one batch whatever the limit. */
    private static final String MAX_PARTITION_FETCH_BYTES = String.valueOf(64 * 1024);

    private static final String TOPIC_FIX =
            "set encryption.data-key-topic to the topic the encrypt job wrote";

    private final String topic;
    private final Duration timeout;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final ExecutorService executor;
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * Creates the consumer and the lookup thread. The consumer connects at the first lookup.
     *
     * @param kafkaSettings Kafka client properties, such as {@code bootstrap.servers} and the
     *     security settings. {@code group.id} and {@code group.instance.id} are removed, and auto
     *     commit, the offset reset policy, the isolation level and {@code max.poll.records} are
     *     overridden.
     * @param topic the data-key topic
     * @param timeout how long a lookup waits for the broker and for the record
     * @throws IllegalArgumentException when the timeout is not positive
     */
    public DataKeyLookup(Map<String, String> kafkaSettings, String topic, Duration timeout) {
        this.topic = Objects.requireNonNull(topic, "topic");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        }
        this.consumer =
                new KafkaConsumer<>(
                        consumerProperties(kafkaSettings),
                        new ByteArrayDeserializer(),
                        new ByteArrayDeserializer());
        this.executor =
                Executors.newSingleThreadExecutor(
                        runnable -> {
                            Thread thread = new Thread(runnable, "data-key-lookup-" + topic);
                            thread.setDaemon(true);
                            return thread;
                        });
    }

    static Properties consumerProperties(Map<String, String> kafkaSettings) {
        Properties props = new Properties();
        props.putAll(kafkaSettings);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        // Without a reset policy, a fetch outside the partition's offsets throws instead of
        // jumping to one end, so the lookup can tell a deleted entry from one not written yet.
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "1");
        props.putIfAbsent(
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, MAX_PARTITION_FETCH_BYTES);
        return props;
    }

    /**
     * Looks up the entry that {@code reference} points to, on the lookup thread after the lookups
     * requested before it.
     *
     * <p>The returned future completes on the lookup thread, so stages that depend on it must not
     * block, or they delay the next lookup. It completes exceptionally with a {@link
     * DataKeyException} that is not retriable when the entry cannot be found now or later: the
     * topic or partition does not exist, the entry was deleted or compacted away, the record there
     * has other check bytes or is not a data-key entry. It is retriable when the offset is at or
     * beyond the partition's end offset when the timeout passes, when a Kafka call fails, and when
     * the lookup is closed first.
     */
    public CompletableFuture<DataKeyEntry> find(DataKeyReference reference) {
        Objects.requireNonNull(reference, "reference");
        CompletableFuture<DataKeyEntry> result = new CompletableFuture<>();
        try {
            executor.execute(() -> complete(result, reference));
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(closedBefore(reference, e));
        }
        return result;
    }

    private void complete(CompletableFuture<DataKeyEntry> result, DataKeyReference reference) {
        if (closed.get()) {
            result.completeExceptionally(closedBefore(reference, null));
            return;
        }
        try {
            result.complete(lookUp(reference));
        } catch (DataKeyException e) {
            result.completeExceptionally(e);
        } catch (WakeupException | InterruptException e) {
            result.completeExceptionally(closedBefore(reference, e));
        } catch (KafkaException e) {
            result.completeExceptionally(
                    new DataKeyException(
                            "looking up "
                                    + reference
                                    + " in topic "
                                    + topic
                                    + " failed: "
                                    + e
                                    + ". Check that the brokers are reachable and that the job is"
                                    + " authorized to read the topic",
                            true,
                            e));
        } catch (RuntimeException e) {
            result.completeExceptionally(e);
        }
    }

    private DataKeyEntry lookUp(DataKeyReference reference) {
        long deadline = System.nanoTime() + timeout.toNanos();
        TopicPartition partition = new TopicPartition(topic, reference.partition());
        requirePartition(reference, consumer.partitionsFor(topic, timeout));
        consumer.assign(List.of(partition));
        consumer.seek(partition, reference.offset());
        while (true) {
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                throw timedOut(reference, partition);
            }
            ConsumerRecords<byte[], byte[]> records;
            try {
                records =
                        consumer.poll(
                                Duration.ofNanos(Math.min(remaining, POLL_INTERVAL.toNanos())));
            } catch (OffsetOutOfRangeException e) {
                throw outOfRange(reference, partition, e);
            }
            for (ConsumerRecord<byte[], byte[]> record : records.records(partition)) {
                if (record.offset() >= reference.offset()) {
                    return entryAt(reference, record);
                }
            }
            // Offsets without a record to return, such as transaction markers, aborted records
            // and records removed by compaction, move the position on without a record.
            long position = consumer.position(partition, timeout);
            if (position > reference.offset()) {
                throw gone(reference, "the partition continues at offset " + position);
            }
        }
    }

    private void requirePartition(DataKeyReference reference, List<PartitionInfo> partitions) {
        if (partitions == null || partitions.isEmpty()) {
            throw new DataKeyException(
                    "data-key topic "
                            + topic
                            + " does not exist, so "
                            + reference
                            + " cannot be looked up: "
                            + TOPIC_FIX,
                    false);
        }
        for (PartitionInfo info : partitions) {
            if (info.partition() == reference.partition()) {
                return;
            }
        }
        throw new DataKeyException(
                "data-key topic "
                        + topic
                        + " has "
                        + partitions.size()
                        + " partitions, so partition "
                        + reference.partition()
                        + " of "
                        + reference
                        + " does not exist: "
                        + TOPIC_FIX,
                false);
    }

    private DataKeyEntry entryAt(
            DataKeyReference reference, ConsumerRecord<byte[], byte[]> record) {
        if (record.offset() > reference.offset()) {
            throw gone(reference, "the next record is at offset " + record.offset());
        }
        if (!reference.matchesKey(record.key())) {
            throw new DataKeyException(
                    "the reference's check bytes do not match the entry at "
                            + position(reference)
                            + ": was the topic deleted and created again? If not, "
                            + TOPIC_FIX,
                    false);
        }
        if (record.value() == null) {
            throw new DataKeyException(
                    "the data-key entry at "
                            + position(reference)
                            + " was deleted (tombstone), so records that reference it cannot be"
                            + " decrypted",
                    false);
        }
        try {
            return DataKeyEntry.decode(record.value());
        } catch (DataKeyException e) {
            throw new DataKeyException(
                    "the record at "
                            + position(reference)
                            + " is not a valid data-key entry: "
                            + e.getMessage(),
                    false,
                    e);
        }
    }

    private DataKeyException gone(DataKeyReference reference, String evidence) {
        return new DataKeyException(
                "no data-key entry at "
                        + position(reference)
                        + ": "
                        + evidence
                        + ", so the entry was deleted (tombstone) or compacted away, and records"
                        + " that reference it cannot be decrypted",
                false);
    }

    /** Classifies a fetch offset outside the partition's offsets by asking for both ends. */
    private DataKeyException outOfRange(
            DataKeyReference reference, TopicPartition partition, OffsetOutOfRangeException cause) {
        long start = consumer.beginningOffsets(List.of(partition), timeout).get(partition);
        long end = consumer.endOffsets(List.of(partition), timeout).get(partition);
        if (reference.offset() < start) {
            return new DataKeyException(
                    "no data-key entry at "
                            + position(reference)
                            + ": the partition now starts at offset "
                            + start
                            + ", so retention or a delete-records request removed the entry, and"
                            + " records that reference it cannot be decrypted. The data-key topic"
                            + " must have cleanup.policy=compact",
                    false,
                    cause);
        }
        return beyondEnd(reference, end, cause);
    }

    private DataKeyException timedOut(DataKeyReference reference, TopicPartition partition) {
        long end = consumer.endOffsets(List.of(partition), timeout).get(partition);
        if (reference.offset() >= end) {
            return beyondEnd(reference, end, null);
        }
        return new DataKeyException(
                "no record arrived from "
                        + position(reference)
                        + " within "
                        + timeout.toMillis()
                        + " ms although the partition ends at offset "
                        + end
                        + ": check the brokers' health, or raise the lookup timeout",
                true);
    }

    private DataKeyException beyondEnd(DataKeyReference reference, long end, Throwable cause) {
        return new DataKeyException(
                "no data-key entry at "
                        + position(reference)
                        + ": the offset is at or beyond the partition's end offset "
                        + end
                        + ". The entry is not readable yet, or the topic was deleted and created"
                        + " again. If the error persists, "
                        + TOPIC_FIX,
                true,
                cause);
    }

    private DataKeyException closedBefore(DataKeyReference reference, Throwable cause) {
        return new DataKeyException(
                "the data-key lookup of topic "
                        + topic
                        + " was closed before it found "
                        + reference,
                true,
                cause);
    }

    private String position(DataKeyReference reference) {
        return "topic "
                + topic
                + " partition "
                + reference.partition()
                + " offset "
                + reference.offset();
    }

    /**
     * Stops the lookup thread and closes the consumer. A lookup in progress and the lookups queued
     * behind it complete with a retriable {@link DataKeyException}. Waits up to {@link
     * #CLOSE_TIMEOUT}.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        // Interrupts a blocking consumer call of the lookup in progress.
        consumer.wakeup();
        executor.execute(this::closeConsumer);
        executor.shutdown();
        try {
            if (!executor.awaitTermination(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn(
                        "data-key lookup thread of topic {} did not stop within {} ms",
                        topic,
                        CLOSE_TIMEOUT.toMillis());
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            executor.shutdownNow();
        }
    }

    private void closeConsumer() {
        try {
            consumer.close(CloseOptions.timeout(CLOSE_TIMEOUT));
        } catch (KafkaException e) {
            LOG.warn("closing the data-key lookup consumer of topic {} failed", topic, e);
        }
    }
}
