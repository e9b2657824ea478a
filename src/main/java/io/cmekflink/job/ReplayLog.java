package io.cmekflink.job;

import io.cmekflink.config.ConfigException;
import io.cmekflink.deadletter.report.CommittedTopicReader;
import io.cmekflink.deadletter.report.TopicReadException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * The replay log: a compacted topic that names every dead letter a replay has re-published, so that
 * a later replay skips it. Its entries are written in the same Kafka transaction as the replayed
 * records, so a replay that stops before its commit leaves neither, and running it again replays
 * the same dead letters once.
 *
 * <p>The topic is {@code <dead-letters topic>-replayed}, one partition, {@code
 * cleanup.policy=compact}. Each entry's key is the dead letter's position as UTF-8 {@code
 * <topic>/<partition>/<offset>}; its value is UTF-8 {@code <target topic> <replay time, ISO-8601>},
 * for people who read the topic. Only the key is read back.
 */
final class ReplayLog {

    private final String deadLettersTopic;
    private final String topic;
    private final String bootstrapServers;
    private final Properties kafkaProperties;

    ReplayLog(String deadLettersTopic, String bootstrapServers, Properties kafkaProperties) {
        this.deadLettersTopic = deadLettersTopic;
        this.topic = deadLettersTopic + "-replayed";
        this.bootstrapServers = bootstrapServers;
        this.kafkaProperties = kafkaProperties;
    }

    String topic() {
        return topic;
    }

    /**
     * The transactional id of every replay of the dead-letter topic. Sharing it makes a starting
     * replay abort the open transaction of one that stopped before its commit, and fence one that
     * still runs, so two replays cannot both re-publish the same dead letter.
     */
    String transactionalId() {
        return "cmek-flink-replay-" + deadLettersTopic;
    }

    static String key(String topic, int partition, long offset) {
        return topic + "/" + partition + "/" + offset;
    }

    ProducerRecord<byte[], byte[]> entry(String key, String targetTopic, Instant replayedAt) {
        return new ProducerRecord<>(
                topic,
                key.getBytes(StandardCharsets.UTF_8),
                (targetTopic + " " + replayedAt).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Returns the keys of the committed entries; an empty set when the topic does not exist yet.
     *
     * @throws ConfigException when the topic cannot be read within the timeout
     */
    Set<String> replayedKeys(Duration timeout) {
        Set<String> keys = new HashSet<>();
        if (!exists(timeout)) {
            return keys;
        }
        try {
            new CommittedTopicReader(bootstrapServers, timeout)
                    .read(topic, record -> add(keys, record));
        } catch (TopicReadException e) {
            throw new ConfigException(
                    "reading the replay log failed, so nothing was replayed: " + e.getMessage(), e);
        }
        return keys;
    }

    private static void add(Set<String> keys, ConsumerRecord<byte[], byte[]> record) {
        if (record.key() != null) {
            keys.add(new String(record.key(), StandardCharsets.UTF_8));
        }
    }

    /**
     * Creates the topic unless it exists, and returns whether it created it.
     *
     * @throws ConfigException when it can neither be found nor created, with what to create
     */
    boolean create(Duration timeout) {
        NewTopic newTopic =
                new NewTopic(topic, Optional.of(1), Optional.empty())
                        .configs(
                                Map.of(
                                        TopicConfig.CLEANUP_POLICY_CONFIG,
                                        TopicConfig.CLEANUP_POLICY_COMPACT));
        try (Admin admin = admin(timeout)) {
            admin.createTopics(List.of(newTopic))
                    .all()
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw cannotCreate(e.getCause());
            }
            return false;
        } catch (java.util.concurrent.TimeoutException e) {
            throw cannotCreate(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw cannotCreate(e);
        }
    }

    private boolean exists(Duration timeout) {
        try (Admin admin = admin(timeout)) {
            return admin.listTopics()
                    .names()
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    .contains(topic);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new ConfigException(
                    "listing the topics on " + bootstrapServers + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConfigException("interrupted while listing the topics", e);
        }
    }

    private Admin admin(Duration timeout) {
        Properties props = new Properties();
        props.putAll(kafkaProperties);
        props.remove("transaction.timeout.ms");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        return Admin.create(props);
    }

    private ConfigException cannotCreate(Throwable cause) {
        return new ConfigException(
                "creating the replay log topic '"
                        + topic
                        + "' on "
                        + bootstrapServers
                        + " failed: "
                        + cause.getMessage()
                        + "; create it with one partition and cleanup.policy=compact, and"
                        + " grant the replay write access to it",
                cause);
    }
}
