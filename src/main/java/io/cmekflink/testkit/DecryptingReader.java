package io.cmekflink.testkit;

import io.cmekflink.config.JobConfig;
import io.cmekflink.crypto.Decrypter;
import io.cmekflink.crypto.RecordOpenException;
import io.cmekflink.deadletter.DeadLetter;
import io.cmekflink.local.JobOutputDecrypter;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * Reads the encrypt job's encrypted topic and dead-letter topic and decrypts the encrypted records
 * with {@link Decrypter}, through the KMS emulator, as a reader of the encrypted data would. When
 * the job definition sets {@code encryption.data-key-topic}, the decrypter reads the data-key
 * entries that the records refer to from that topic.
 *
 * <p>Every call reads both topics again from their beginning, with {@code read_committed}, so it
 * sees what the job committed at its last checkpoint and nothing it may still abort. Thread safety:
 * one thread at a time.
 */
public final class DecryptingReader {

    private static final Duration POLL = Duration.ofMillis(100);

    private final String bootstrapServers;
    private final String encryptedTopic;
    private final String deadLettersTopic;
    private final JobConfig config;
    private final KmsClient kms;

    /**
     * @param config the encrypt job's definition, which gives the derived schemas, the data-key
     *     topic if any, and the Kafka settings to read that topic
     */
    DecryptingReader(
            String bootstrapServers,
            String encryptedTopic,
            String deadLettersTopic,
            JobConfig config,
            KmsClient kms) {
        this.bootstrapServers = bootstrapServers;
        this.encryptedTopic = encryptedTopic;
        this.deadLettersTopic = deadLettersTopic;
        this.config = config;
        this.kms = kms;
    }

    /**
     * Polls both output topics until together they hold at least {@code count} records, and returns
     * all of them. The job writes every input record to exactly one of the two topics, so after
     * sending {@code n} records, {@code awaitOutput(n, timeout)} returns each of them once. Records
     * that arrive after the count was reached are not waited for.
     *
     * @throws AssertionError when fewer than {@code count} records are committed within {@code
     *     timeout}, or when an encrypted record does not decrypt or a dead letter does not decode;
     *     the message names the topic, partition and offset
     */
    public JobOutput awaitOutput(int count, Duration timeout) {
        if (count < 0) {
            throw new IllegalArgumentException("count must be 0 or more, got " + count);
        }
        List<ConsumerRecord<byte[], byte[]>> encrypted = new ArrayList<>();
        List<ConsumerRecord<byte[], byte[]>> deadLetters = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> encryptedConsumer = consumer(encryptedTopic, timeout);
                KafkaConsumer<byte[], byte[]> deadLetterConsumer =
                        consumer(deadLettersTopic, timeout)) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (encrypted.size() + deadLetters.size() < count) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError(
                            "timed out after "
                                    + timeout
                                    + " waiting for "
                                    + count
                                    + " records from the encrypt job: "
                                    + encrypted.size()
                                    + " committed on "
                                    + encryptedTopic
                                    + " and "
                                    + deadLetters.size()
                                    + " on "
                                    + deadLettersTopic);
                }
                encryptedConsumer.poll(POLL).forEach(encrypted::add);
                deadLetterConsumer.poll(POLL).forEach(deadLetters::add);
            }
        }
        // A new decrypter per call, so that every read unwraps its EDEKs through KMS again
        // and a key disabled since the last read shows.
        try (JobOutputDecrypter decrypter = JobOutputDecrypter.open(config, kms)) {
            return decode(sorted(encrypted), sorted(deadLetters), decrypter.decrypter());
        }
    }

    private JobOutput decode(
            List<ConsumerRecord<byte[], byte[]>> encrypted,
            List<ConsumerRecord<byte[], byte[]>> deadLetters,
            Decrypter decrypter) {
        List<GenericRecord> records = new ArrayList<>();
        List<byte[]> values = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : encrypted) {
            try {
                records.add(decrypter.decrypt(r.value()));
            } catch (RecordOpenException | RuntimeException e) {
                throw new AssertionError(
                        "encrypted record at " + position(r) + " does not decrypt: " + e, e);
            }
            values.add(r.value());
        }
        List<DeadLetter> letters = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : deadLetters) {
            try {
                letters.add(DeadLetter.fromBytes(r.value()));
            } catch (IOException | RuntimeException e) {
                throw new AssertionError(
                        "record at " + position(r) + " is not a dead letter: " + e, e);
            }
        }
        return new JobOutput(records, values, letters);
    }

    private KafkaConsumer<byte[], byte[]> consumer(String topic, Duration timeout) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(
                        props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        try {
            List<TopicPartition> partitions =
                    consumer.partitionsFor(topic, timeout).stream()
                            .map(p -> new TopicPartition(topic, p.partition()))
                            .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            return consumer;
        } catch (RuntimeException e) {
            consumer.close();
            throw e;
        }
    }

    private static List<ConsumerRecord<byte[], byte[]>> sorted(
            List<ConsumerRecord<byte[], byte[]>> records) {
        List<ConsumerRecord<byte[], byte[]>> copy = new ArrayList<>(records);
        copy.sort(
                Comparator.comparingInt((ConsumerRecord<byte[], byte[]> r) -> r.partition())
                        .thenComparingLong(ConsumerRecord::offset));
        return copy;
    }

    private static String position(ConsumerRecord<byte[], byte[]> r) {
        return r.topic() + "-" + r.partition() + "@" + r.offset();
    }
}
