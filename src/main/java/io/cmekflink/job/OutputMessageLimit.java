package io.cmekflink.job;

import io.cmekflink.config.JobConfig;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The largest record batch, in bytes, that the sink can write to a topic: the smaller of the
 * topic's {@code max.message.bytes}, read from the broker when the job is built, and the producer's
 * {@code max.request.size}. A record above it would fail the sink and with it the job.
 *
 * <p>The limit is read once, so a change of the topic's {@code max.message.bytes} takes effect when
 * the job is next submitted.
 */
final class OutputMessageLimit {

    private static final Logger LOG = LoggerFactory.getLogger(OutputMessageLimit.class);

    /** The producer's default {@code max.request.size} in kafka-clients 4.2.0: 1 MiB. */
    static final int DEFAULT_MAX_REQUEST_SIZE = 1 << 20;

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private OutputMessageLimit() {}

    /**
     * Returns the limit of {@code topic}, or the producer's limit alone if the broker does not
     * tell.
     */
    static int of(JobConfig config, String topic) {
        int requestMax = maxRequestSize(config);
        Integer topicMax = topicMaxMessageBytes(config, topic);
        int limit = topicMax == null ? requestMax : Math.min(topicMax, requestMax);
        LOG.info(
                "records for {} are limited to {} bytes per batch (max.message.bytes {},"
                        + " max.request.size {})",
                topic,
                limit,
                topicMax == null ? "unknown" : topicMax,
                requestMax);
        return limit;
    }

    private static int maxRequestSize(JobConfig config) {
        String value = config.kafka().get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
        if (value == null) {
            return DEFAULT_MAX_REQUEST_SIZE;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new io.cmekflink.config.ConfigException(
                    config.source()
                            + ": invalid value '"
                            + value
                            + "' for kafka.max.request.size: expected a number of bytes");
        }
    }

    /**
     * Returns the topic's effective max.message.bytes, or null when the broker does not report it.
     */
    private static Integer topicMaxMessageBytes(JobConfig config, String topic) {
        Properties props = config.kafkaProperties();
        props.remove("transaction.timeout.ms");
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        try (Admin admin = Admin.create(props)) {
            Config topicConfig =
                    admin.describeConfigs(List.of(resource))
                            .all()
                            .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS)
                            .get(resource);
            ConfigEntry entry =
                    topicConfig == null
                            ? null
                            : topicConfig.get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
            return entry == null || entry.value() == null ? null : Integer.valueOf(entry.value());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (Exception e) {
            // Without the permission to describe topic configs, only max.request.size is checked,
            // so a record above the topic's limit still fails the sink.
            LOG.warn(
                    "could not read max.message.bytes of topic {}, so encrypted records are"
                            + " checked against max.request.size only: {}",
                    topic,
                    e.toString());
            return null;
        }
    }
}
