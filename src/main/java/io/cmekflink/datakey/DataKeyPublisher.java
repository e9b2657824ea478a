package io.cmekflink.datakey;

import io.cmekflink.config.ConfigException;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Publishes data-key entries to the data-key topic and returns the reference to each.
 *
 * <p>The producer writes outside any transaction, with {@code acks=all} and idempotence, so an
 * entry is committed and visible to {@code read_committed} consumers once {@link #publish}
 * completes, before the records that reference it are written.
 *
 * <p>Thread safety: all methods may be called from any thread.
 */
public final class DataKeyPublisher implements AutoCloseable {

    /** How long {@link #close()} waits for entries that were sent but not acknowledged yet. */
    static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

    private final KafkaProducer<byte[], byte[]> producer;
    private final Admin admin;
    private final String topic;
    private final Duration checkTimeout;

    /**
     * Creates the producer.
     *
     * @param kafkaSettings Kafka client properties, such as {@code bootstrap.servers} and the
     *     security settings. {@code acks} and {@code enable.idempotence} are overridden and {@code
     *     transactional.id} is removed.
     * @param topic the data-key topic
     */
    public DataKeyPublisher(Map<String, String> kafkaSettings, String topic) {
        this(kafkaSettings, topic, null);
    }

    /**
     * Creates the producer with its waits bounded by {@code deadline}, the longest time a record
     * may wait for its DEK: {@code max.block.ms} and the topic check take a quarter of it, and
     * {@code delivery.timeout.ms} half, so that a failed publish ends as a retriable failure before
     * the records that wait for it run out of time.
     *
     * @param deadline the bound, or null for the producer's defaults and a 30-second check
     */
    public DataKeyPublisher(Map<String, String> kafkaSettings, String topic, Duration deadline) {
        this.topic = Objects.requireNonNull(topic, "topic");
        this.checkTimeout = deadline == null ? Duration.ofSeconds(30) : deadline.dividedBy(4);
        this.producer =
                new KafkaProducer<>(
                        producerProperties(kafkaSettings, deadline),
                        new ByteArraySerializer(),
                        new ByteArraySerializer());
        Properties adminProps = new Properties();
        adminProps.putAll(kafkaSettings);
        this.admin = Admin.create(adminProps);
    }

    static Properties producerProperties(Map<String, String> kafkaSettings) {
        return producerProperties(kafkaSettings, null);
    }

    static Properties producerProperties(Map<String, String> kafkaSettings, Duration deadline) {
        Properties props = new Properties();
        props.putAll(kafkaSettings);
        if (deadline != null) {
            long quarter = Math.max(1, deadline.dividedBy(4).toMillis());
            props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(quarter));
            props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, String.valueOf(quarter));
            // The producer requires at least linger.ms plus request.timeout.ms.
            props.put(ProducerConfig.LINGER_MS_CONFIG, "0");
            props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, String.valueOf(2 * quarter));
        }
        // The records that reference an entry are written in a transaction. An entry written
        // in the same transaction would stay invisible to read_committed readers until the
        // commit, and would vanish with an abort while a retry could still reference it.
        props.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        return props;
    }

    /**
     * Sends {@code entry} with a new random record key ({@link DataKeyEntry#newEntryKey()}).
     *
     * <p>The returned future completes with the entry's reference once all in-sync replicas have
     * acknowledged it, or exceptionally with a retriable {@link DataKeyException} when the send
     * fails. It completes on the producer's network thread, so stages that depend on it must not
     * block. The call itself blocks while the producer waits for the topic's metadata or for buffer
     * space, up to {@code max.block.ms}.
     */
    public CompletableFuture<DataKeyReference> publish(DataKeyEntry entry) {
        CompletableFuture<DataKeyReference> result = new CompletableFuture<>();
        try {
            // A Kafka producer creates a missing topic with the broker's defaults, whose delete
            // policy would remove the entry after the retention. Checking first narrows that to
            // a topic deleted between the check and the send.
            DataKeyTopic.verify(admin, topic, checkTimeout);
        } catch (ConfigException | DataKeyException e) {
            result.completeExceptionally(sendFailed(entry, e));
            return result;
        }
        byte[] key = DataKeyEntry.newEntryKey();
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, key, entry.encode());
        try {
            producer.send(
                    record,
                    (metadata, exception) -> {
                        if (exception != null) {
                            result.completeExceptionally(sendFailed(entry, exception));
                        } else {
                            complete(result, metadata, key);
                        }
                    });
        } catch (KafkaException | IllegalStateException e) {
            // send() throws instead of calling back when the producer is closed or misused.
            result.completeExceptionally(sendFailed(entry, e));
        }
        return result;
    }

    private void complete(
            CompletableFuture<DataKeyReference> result, RecordMetadata metadata, byte[] key) {
        try {
            result.complete(DataKeyReference.of(metadata.partition(), metadata.offset(), key));
        } catch (IllegalArgumentException e) {
            result.completeExceptionally(
                    new DataKeyException(
                            "the data-key entry was written to topic "
                                    + topic
                                    + " partition "
                                    + metadata.partition()
                                    + " offset "
                                    + metadata.offset()
                                    + ", which a data-key reference cannot store: "
                                    + e.getMessage()
                                    + ". Move to a new data-key topic with at most 65536"
                                    + " partitions",
                            false,
                            e));
        }
    }

    private DataKeyException sendFailed(DataKeyEntry entry, Throwable cause) {
        return new DataKeyException(
                "publishing the data-key entry of org "
                        + entry.orgId()
                        + " to topic "
                        + topic
                        + " failed: "
                        + cause
                        + ". Check that the topic exists with cleanup.policy=compact and that the"
                        + " brokers are reachable",
                true,
                cause);
    }

    /** Closes the producer, waiting up to {@link #CLOSE_TIMEOUT} for unacknowledged entries. */
    @Override
    public void close() {
        producer.close(CLOSE_TIMEOUT);
        admin.close(CLOSE_TIMEOUT);
    }
}
