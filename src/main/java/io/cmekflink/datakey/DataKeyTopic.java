package io.cmekflink.datakey;

import io.cmekflink.config.ConfigException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.DescribeConfigsOptions;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/** Checks of the data-key topic that a job runs before it starts. */
public final class DataKeyTopic {

    private DataKeyTopic() {}

    /**
     * Checks that {@code topic} exists and that its {@code cleanup.policy} is exactly {@code
     * compact}. Every entry has its own record key, so compaction keeps every entry until it is
     * deleted with a tombstone. A policy that includes {@code delete} removes entries after the
     * topic's retention, and the records that reference them can then no longer be decrypted.
     *
     * @return what weakens the durability of acknowledged entries, for the caller to log: one line
     *     per setting, empty when none does
     * @throws ConfigException when the topic does not exist, has another cleanup policy, or the
     *     client is not authorized to describe its configs
     * @throws DataKeyException (retriable) when the describe request fails otherwise or does not
     *     complete within {@code timeout}
     */
    public static List<String> verify(Admin admin, String topic, Duration timeout) {
        Config config = describe(admin, topic, timeout);
        String policy = valueOf(config, TopicConfig.CLEANUP_POLICY_CONFIG);
        if (TopicConfig.CLEANUP_POLICY_COMPACT.equals(policy)) {
            return durabilityWarnings(topic, config);
        }
        if (policy != null && policy.contains(TopicConfig.CLEANUP_POLICY_DELETE)) {
            throw new ConfigException(
                    "data-key topic "
                            + topic
                            + " has cleanup.policy="
                            + policy
                            + ", expected compact: the delete policy removes entries once they pass"
                            + " the topic's retention, and records that reference a removed entry"
                            + " cannot be decrypted. Set cleanup.policy=compact on the topic");
        }
        throw new ConfigException(
                "data-key topic "
                        + topic
                        + " has cleanup.policy="
                        + policy
                        + ", expected compact: set cleanup.policy=compact on the topic");
    }

    /**
     * Returns a line for each topic setting under which an entry that all in-sync replicas
     * acknowledged can still be lost with one broker: one in-sync replica is enough, or an
     * out-of-sync replica may become leader.
     */
    static List<String> durabilityWarnings(String topic, Config config) {
        List<String> warnings = new java.util.ArrayList<>();
        String minInsync = valueOf(config, TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG);
        if (minInsync != null && minInsync.trim().equals("1")) {
            warnings.add(
                    "data-key topic "
                            + topic
                            + " has min.insync.replicas=1, so one broker's loss can lose an"
                            + " acknowledged entry and make its records unreadable: set"
                            + " min.insync.replicas=2 with a replication factor of 3");
        }
        String unclean = valueOf(config, TopicConfig.UNCLEAN_LEADER_ELECTION_ENABLE_CONFIG);
        if ("true".equals(unclean)) {
            warnings.add(
                    "data-key topic "
                            + topic
                            + " has unclean.leader.election.enable=true, so a replica that missed"
                            + " entries can become leader and lose them: set it to false");
        }
        return warnings;
    }

    private static String valueOf(Config config, String name) {
        ConfigEntry entry = config.get(name);
        return entry == null ? null : entry.value();
    }

    private static Config describe(Admin admin, String topic, Duration timeout) {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        DescribeConfigsOptions options =
                new DescribeConfigsOptions()
                        .timeoutMs((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        Config config;
        try {
            config =
                    admin.describeConfigs(List.of(resource), options)
                            .all()
                            .get(timeout.toMillis(), TimeUnit.MILLISECONDS)
                            .get(resource);
        } catch (ExecutionException e) {
            throw describeFailed(topic, e.getCause());
        } catch (TimeoutException e) {
            throw new DataKeyException(
                    "describing the configs of data-key topic "
                            + topic
                            + " did not complete within "
                            + timeout.toMillis()
                            + " ms: check that the brokers are reachable",
                    true,
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DataKeyException(
                    "interrupted while describing the configs of data-key topic " + topic, true, e);
        }
        return config;
    }

    private static RuntimeException describeFailed(String topic, Throwable cause) {
        if (cause instanceof UnknownTopicOrPartitionException) {
            return new ConfigException(
                    "data-key topic "
                            + topic
                            + " does not exist: create it with cleanup.policy=compact",
                    cause);
        }
        if (cause instanceof TopicAuthorizationException) {
            return new ConfigException(
                    "the client is not authorized to describe the configs of data-key topic "
                            + topic
                            + ": grant its principal DescribeConfigs on the topic",
                    cause);
        }
        return new DataKeyException(
                "describing the configs of data-key topic " + topic + " failed: " + cause,
                true,
                cause);
    }
}
