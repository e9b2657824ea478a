package io.cmekflink.local;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * A one-node Kafka KRaft cluster (combined broker and controller) inside this JVM, on loopback, for
 * tests, the sandbox and the demo. Its data lives in a temporary directory that is deleted on
 * {@link #close()}.
 */
public final class EmbeddedKafka implements AutoCloseable {

    private static final String CLIENT_LISTENER = "CLIENT";

    private final KafkaClusterTestKit cluster;
    private final String bootstrapServers;

    private EmbeddedKafka(KafkaClusterTestKit cluster, String bootstrapServers) {
        this.cluster = cluster;
        this.bootstrapServers = bootstrapServers;
    }

    /**
     * Formats and starts a broker on an ephemeral port ({@code port} 0) or a given port, and waits
     * until it accepts clients.
     */
    public static EmbeddedKafka start(int port) throws Exception {
        TestKitNodes nodes =
                new TestKitNodes.Builder()
                        .setCombined(true)
                        .setNumBrokerNodes(1)
                        .setNumControllerNodes(1)
                        .build();
        // The test kit binds its own listeners to pre-bound ephemeral ports. A third listener
        // that it does not know binds where it is told, which gives clients a fixed address.
        KafkaClusterTestKit cluster =
                new KafkaClusterTestKit.Builder(nodes)
                        .setConfigProp(
                                "listeners",
                                "EXTERNAL://localhost:0,CONTROLLER://localhost:0,"
                                        + CLIENT_LISTENER
                                        + "://127.0.0.1:"
                                        + port)
                        .setConfigProp(
                                "listener.security.protocol.map",
                                "EXTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT,"
                                        + CLIENT_LISTENER
                                        + ":PLAINTEXT")
                        .setConfigProp("offsets.topic.replication.factor", "1")
                        .setConfigProp("offsets.topic.num.partitions", "1")
                        .setConfigProp("transaction.state.log.replication.factor", "1")
                        .setConfigProp("transaction.state.log.min.isr", "1")
                        .setConfigProp("transaction.state.log.num.partitions", "1")
                        .setConfigProp("group.initial.rebalance.delay.ms", "0")
                        .setConfigProp("auto.create.topics.enable", "false")
                        .build();
        PrintStream stdout = System.out;
        try {
            // Formatting prints the bootstrap metadata to stdout, whose last line is reserved
            // for the JSON summary of the local commands.
            System.setOut(new PrintStream(OutputStream.nullOutputStream()));
            cluster.format();
            cluster.startup();
            cluster.waitForReadyBrokers();
        } catch (Exception e) {
            cluster.close();
            throw e;
        } finally {
            System.setOut(stdout);
        }
        int boundPort =
                cluster.brokers()
                        .values()
                        .iterator()
                        .next()
                        .boundPort(new ListenerName(CLIENT_LISTENER));
        return new EmbeddedKafka(cluster, "127.0.0.1:" + boundPort);
    }

    /** The bootstrap address, such as {@code 127.0.0.1:40123}. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** Properties with the bootstrap address, for any Kafka client. */
    public Properties clientProperties() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        return props;
    }

    /** Creates topics with the given partitions, ignoring topics that already exist. */
    public void createTopics(int partitions, Collection<String> topics) throws Exception {
        createTopics(partitions, Map.of(), topics);
    }

    /** Creates compacted topics, as the key-change topic must be. */
    public void createCompactedTopics(int partitions, Collection<String> topics) throws Exception {
        createTopics(
                partitions,
                Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT),
                topics);
    }

    private void createTopics(
            int partitions, Map<String, String> configs, Collection<String> topics)
            throws Exception {
        try (Admin admin = Admin.create(clientProperties())) {
            List<NewTopic> newTopics =
                    topics.stream()
                            .map(t -> new NewTopic(t, partitions, (short) 1).configs(configs))
                            .toList();
            try {
                admin.createTopics(newTopics).all().get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
            // A topic may be created before every part of the broker lists it; wait until
            // listing shows it, so that a job started next finds it.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!admin.listTopics().names().get(30, TimeUnit.SECONDS).containsAll(topics)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("topics " + topics + " not listed within 30 s");
                }
                Thread.sleep(20);
            }
        }
    }

    /** Sets one config of an existing topic, such as {@code message.timestamp.type}. */
    public void setTopicConfig(String topic, String key, String value) throws Exception {
        try (Admin admin = Admin.create(clientProperties())) {
            admin.incrementalAlterConfigs(
                            Map.of(
                                    new org.apache.kafka.common.config.ConfigResource(
                                            org.apache.kafka.common.config.ConfigResource.Type
                                                    .TOPIC,
                                            topic),
                                    List.of(
                                            new org.apache.kafka.clients.admin.AlterConfigOp(
                                                    new org.apache.kafka.clients.admin.ConfigEntry(
                                                            key, value),
                                                    org.apache.kafka.clients.admin.AlterConfigOp
                                                            .OpType.SET))))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() throws Exception {
        cluster.close();
    }
}
