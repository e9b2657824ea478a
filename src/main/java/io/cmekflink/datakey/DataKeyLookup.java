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
 * <p>The timeout counts from the call of {@link #find}, so it includes the time a lookup waits
 * behind others. A lookup whose time ran out before its turn fails at once. Its requests for
 * partitions and offsets and its wait for the record share the rest; only the requests that
 * classify a failure may take up to {@link #MIN_REQUEST_TIME} beyond it.
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

    /** The minimum time of each broker request, even when the lookup's time has nearly run out. */
    static final Duration MIN_REQUEST_TIME = Duration.ofMillis(500);

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
     * @param timeout how long a lookup may take from the call of {@link #find}, its wait behind
     *     other lookups included
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
        // A lookup must never create the topic: the broker would create it with its default
        // cleanup policy, and a publisher would then write entries that retention deletes.
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
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
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            executor.execute(() -> complete(result, reference, deadline));
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(closedBefore(reference, e));
        }
        return result;
    }

    private void complete(
            CompletableFuture<DataKeyEntry> result, DataKeyReference reference, long deadline) {
        if (closed.get()) {
            result.completeExceptionally(closedBefore(reference, null));
            return;
        }
        if (deadline - System.nanoTime() <= 0) {
            result.completeExceptionally(
                    new DataKeyException(
                            "the lookup of "
                                    + reference
                                    + " in topic "
                                    + topic
                                    + " waited "
                                    + timeout.toMillis()
                                    + " ms behind other lookups without its turn: check the"
                                    + " brokers' health, or raise async.timeout (a lookup may take"
                                    + " half of it)",
                            true));
            return;
        }
        try {
            result.complete(lookUp(reference, deadline));
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

    private DataKeyEntry lookUp(DataKeyReference reference, long deadline) {
        TopicPartition partition = new TopicPartition(topic, reference.partition());
        requirePartition(reference, deadline);
        consumer.assign(List.of(partition));
        consumer.seek(partition, reference.offset());
        while (true) {
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                throw timedOut(reference, partition, deadline);
            }
            ConsumerRecords<byte[], byte[]> records;
            try {
                records =
                        consumer.poll(
                                Duration.ofNanos(Math.min(remaining, POLL_INTERVAL.toNanos())));
            } catch (OffsetOutOfRangeException e) {
                throw outOfRange(reference, partition, e, deadline);
            }
            for (ConsumerRecord<byte[], byte[]> record : records.records(partition)) {
                if (record.offset() >= reference.offset()) {
                    return entryAt(reference, record);
                }
            }
            // Offsets without a record to return, such as transaction markers, aborted records
            // and records removed by compaction, move the position on without a record.
            long position = consumer.position(partition, requestTime(deadline));
            if (position > reference.offset()) {
                throw gone(reference, "the partition continues at offset " + position);
            }
        }
    }

    /** Returns the time left before {@code deadline}, but at least {@link #MIN_REQUEST_TIME}. */
    private static Duration requestTime(long deadline) {
        long remaining = deadline - System.nanoTime();
        return Duration.ofNanos(Math.max(remaining, MIN_REQUEST_TIME.toNanos()));
    }

    /**
     * Checks that the reference's partition exists. The consumer lists partitions from metadata
     * that may be minutes old, so an unknown partition is checked again against the brokers before
     * the lookup gives up, because partitions added since would otherwise look missing.
     */
    private void requirePartition(DataKeyReference reference, long deadline) {
        List<PartitionInfo> partitions = consumer.partitionsFor(topic, requestTime(deadline));
        if (hasPartition(partitions, reference)) {
            return;
        }
        partitions = consumer.listTopics(requestTime(deadline)).get(topic);
        if (hasPartition(partitions, reference)) {
            return;
        }
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

    private static boolean hasPartition(
            List<PartitionInfo> partitions, DataKeyReference reference) {
        if (partitions != null) {
            for (PartitionInfo info : partitions) {
                if (info.partition() == reference.partition()) {
                    return true;
                }
            }
        }
        return false;
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
            DataKeyReference reference,
            TopicPartition partition,
            OffsetOutOfRangeException cause,
            long deadline) {
        long start =
                consumer.beginningOffsets(List.of(partition), requestTime(deadline)).get(partition);
        long end = consumer.endOffsets(List.of(partition), requestTime(deadline)).get(partition);
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

    private DataKeyException timedOut(
            DataKeyReference reference, TopicPartition partition, long deadline) {
        long end = consumer.endOffsets(List.of(partition), requestTime(deadline)).get(partition);
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
                        + ": check the brokers' health, or raise async.timeout (a lookup may take"
                        + " half of it)",
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
