package io.cmekflink.local;

import io.cmekflink.local.kms.KmsEmulator;
import java.util.List;

/**
 * A Kafka broker and the KMS emulator on loopback, with the topics of the local job files: what the
 * sandbox command, the demo and the integration tests run against.
 */
public final class Sandbox implements AutoCloseable {

    public static final String RECORDS_TOPIC = "api-logs";
    public static final String KEY_CHANGES_TOPIC = "key-changes";
    public static final String ENCRYPTED_TOPIC = "api-logs-encrypted";
    public static final String DEAD_LETTERS_TOPIC = "api-logs-dead-letters";

    /** The AWS region of the sandbox's keys and of the local job files. */
    public static final String REGION = "eu-west-1";

    private final EmbeddedKafka kafka;
    private final KmsEmulator kms;

    private Sandbox(EmbeddedKafka kafka, KmsEmulator kms) {
        this.kafka = kafka;
        this.kms = kms;
    }

    /**
     * Starts the broker and the emulator (port 0 picks a free port) and creates the topics: the
     * records topic with {@code recordPartitions} partitions, the compacted key-change topic, and
     * the encrypted and dead-letter topics.
     */
    public static Sandbox start(int kafkaPort, int kmsPort, int recordPartitions) throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.start(kafkaPort);
        KmsEmulator kms;
        try {
            kms = KmsEmulator.start(kmsPort);
        } catch (RuntimeException e) {
            kafka.close();
            throw e;
        }
        Sandbox sandbox = new Sandbox(kafka, kms);
        try {
            kafka.createTopics(recordPartitions, List.of(RECORDS_TOPIC));
            kafka.createCompactedTopics(1, List.of(KEY_CHANGES_TOPIC));
            kafka.createTopics(recordPartitions, List.of(ENCRYPTED_TOPIC, DEAD_LETTERS_TOPIC));
        } catch (Exception e) {
            sandbox.close();
            throw e;
        }
        return sandbox;
    }

    /**
     * Creates a compacted data-key topic with one partition, because a job definition that sets
     * {@code encryption.data-key-topic} to it does not start without it. A topic that exists
     * already is left as it is, and the job then checks its cleanup policy.
     */
    public void createDataKeyTopic(String topic) throws Exception {
        kafka.createCompactedTopics(1, List.of(topic));
    }

    /** Returns whether {@code topic} is one of the topics that {@link #start} creates. */
    public static boolean isSandboxTopic(String topic) {
        return List.of(RECORDS_TOPIC, KEY_CHANGES_TOPIC, ENCRYPTED_TOPIC, DEAD_LETTERS_TOPIC)
                .contains(topic);
    }

    public EmbeddedKafka kafka() {
        return kafka;
    }

    public KmsEmulator kms() {
        return kms;
    }

    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    @Override
    public void close() throws Exception {
        try {
            kms.close();
        } finally {
            kafka.close();
        }
    }
}
