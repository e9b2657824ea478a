package io.cmekflink.link.admin;

import io.cmekflink.config.Durations;
import io.cmekflink.link.KeyChangeEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Publishes signed key-change events: Avro single-object encoding as value, the org id in UTF-8 as
 * key, through an idempotent producer with {@code acks=all}, waiting for the broker's
 * acknowledgement.
 */
public final class KeyChangePublisher {

    private static final String CLIENT_ID = "cmek-flink-key-change-publisher";

    private final String bootstrapServers;
    private final Duration timeout;

    /**
     * @param timeout the maximum time of one publication, from connecting to the acknowledgement
     */
    public KeyChangePublisher(String bootstrapServers, Duration timeout) {
        this.bootstrapServers = bootstrapServers;
        this.timeout = timeout;
    }

    /** The topic, partition and offset at which the broker stored an event. */
    public record Published(String topic, int partition, long offset) {}

    /**
     * Publishes a signed event and returns where it was stored.
     *
     * @throws KeyChangePublishException when the producer cannot be created, the send fails, or the
     *     broker does not acknowledge within the timeout
     */
    public Published publish(String topic, KeyChangeEvent signed) {
        if (signed.signature() == null) {
            throw new IllegalArgumentException(
                    "key-change event of org "
                            + signed.orgId()
                            + " version "
                            + signed.version()
                            + " is not signed");
        }
        ProducerRecord<byte[], byte[]> record =
                new ProducerRecord<>(
                        topic, signed.orgId().getBytes(StandardCharsets.UTF_8), signed.toBytes());
        try (KafkaProducer<byte[], byte[]> producer = createProducer()) {
            RecordMetadata metadata;
            try {
                metadata = producer.send(record).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                throw failed(topic, e.getCause());
            } catch (TimeoutException e) {
                throw new KeyChangePublishException(
                        "publishing to topic '"
                                + topic
                                + "' on "
                                + bootstrapServers
                                + " was not acknowledged within "
                                + Durations.format(timeout)
                                + "; check that the broker is reachable, or raise --timeout",
                        e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new KeyChangePublishException("interrupted while publishing to " + topic, e);
            } catch (KafkaException e) {
                throw failed(topic, e);
            }
            producer.close(timeout);
            return new Published(metadata.topic(), metadata.partition(), metadata.offset());
        }
    }

    /**
     * Returns the topic's {@code cleanup.policy}, or {@code null} when the broker does not return
     * it within the timeout, for example because the caller may not describe topic configs.
     */
    public String cleanupPolicy(String topic) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, CLIENT_ID);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, millis(timeout));
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, millis(requestTimeout()));
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        try (Admin admin = Admin.create(props)) {
            Map<ConfigResource, Config> configs =
                    admin.describeConfigs(java.util.List.of(resource))
                            .all()
                            .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            ConfigEntry entry = configs.get(resource).get(TopicConfig.CLEANUP_POLICY_CONFIG);
            return entry == null ? null : entry.value();
        } catch (ExecutionException | TimeoutException | KafkaException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private KafkaProducer<byte[], byte[]> createProducer() {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, CLIENT_ID);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, millis(timeout));
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, millis(requestTimeout()));
        // The producer requires delivery.timeout.ms >= linger.ms + request.timeout.ms.
        props.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, millis(timeout));
        try {
            return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
        } catch (KafkaException e) {
            throw new KeyChangePublishException(
                    "invalid bootstrap servers '"
                            + bootstrapServers
                            + "': "
                            + rootMessage(e)
                            + "; write them as HOST:PORT[,HOST:PORT...]",
                    e);
        }
    }

    private Duration requestTimeout() {
        Duration max = Duration.ofSeconds(30);
        return timeout.compareTo(max) < 0 ? timeout : max;
    }

    private KeyChangePublishException failed(String topic, Throwable cause) {
        return new KeyChangePublishException(
                "publishing to topic '"
                        + topic
                        + "' on "
                        + bootstrapServers
                        + " failed: "
                        + cause.getClass().getSimpleName()
                        + ": "
                        + rootMessage(cause),
                cause);
    }

    private static String millis(Duration duration) {
        return String.valueOf(Math.max(1, Math.min(Integer.MAX_VALUE, duration.toMillis())));
    }

    private static String rootMessage(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause.getMessage();
    }
}
