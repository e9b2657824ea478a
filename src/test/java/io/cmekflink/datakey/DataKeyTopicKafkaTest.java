package io.cmekflink.datakey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cmekflink.config.ConfigException;
import io.cmekflink.local.EmbeddedKafka;
import io.cmekflink.local.Topics;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Publishes and looks up data-key entries on a broker in this JVM. Each test has its own topic, so
 * offsets start at 0.
 */
class DataKeyTopicKafkaTest {

    private static final String ARN =
            "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    private static final Duration LOOKUP_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration SHORT_TIMEOUT = Duration.ofMillis(500);
    private static final String TOPIC_FIX =
            "set encryption.data-key-topic to the topic the encrypt job wrote";
    private static final AtomicInteger TOPICS = new AtomicInteger();

    private static EmbeddedKafka kafka;
    private static Admin admin;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start(0);
        admin = Admin.create(kafka.clientProperties());
    }

    @AfterAll
    static void stop() throws Exception {
        admin.close();
        kafka.close();
    }

    private static String newCompactedTopic(int partitions) throws Exception {
        String topic = "data-keys-" + TOPICS.incrementAndGet();
        kafka.createCompactedTopics(partitions, List.of(topic));
        return topic;
    }

    private static Map<String, String> settings() {
        return Map.of("bootstrap.servers", kafka.bootstrapServers());
    }

    private static DataKeyEntry entry(String orgId, int edekByte) {
        byte[] edek = new byte[184];
        Arrays.fill(edek, (byte) edekByte);
        return new DataKeyEntry(orgId, ARN, edek, 1_740_823_200_000L + edekByte);
    }

    private static <T> T await(CompletableFuture<T> future) throws Exception {
        return future.get(30, TimeUnit.SECONDS);
    }

    /** Waits for {@code future} to fail and returns its {@link DataKeyException}. */
    private static DataKeyException failure(CompletableFuture<?> future) throws Exception {
        try {
            future.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(DataKeyException.class);
            return (DataKeyException) e.getCause();
        }
        throw new AssertionError("the future completed normally: " + future.join());
    }

    private static DataKeyReference publish(String topic, DataKeyEntry entry) throws Exception {
        try (DataKeyPublisher publisher = new DataKeyPublisher(settings(), topic)) {
            return await(publisher.publish(entry));
        }
    }

    private static DataKeyException lookupFailure(
            String topic, DataKeyReference reference, Duration timeout) throws Exception {
        try (DataKeyLookup lookup = new DataKeyLookup(settings(), topic, timeout)) {
            return failure(lookup.find(reference));
        }
    }

    private static RecordMetadata produce(String topic, byte[] key, byte[] value) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            return producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
        }
    }

    /**
     * Writes an entry to partition 0 in a transaction that is aborted. In an empty topic, the entry
     * and the abort marker occupy offsets 0 and 1, which read_committed consumers skip.
     */
    private static byte[] produceAborted(String topic) {
        Properties props = kafka.clientProperties();
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, topic + "-aborted");
        byte[] key = DataKeyEntry.newEntryKey();
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, 0, key, entry("acme", 1).encode()));
            producer.flush();
            producer.abortTransaction();
        }
        return key;
    }

    private static ConsumerRecord<byte[], byte[]> recordAt(
            String topic, DataKeyReference reference) {
        return Topics.readAll(kafka.bootstrapServers(), topic, true, Duration.ofSeconds(20))
                .stream()
                .filter(r -> r.partition() == reference.partition())
                .filter(r -> r.offset() == reference.offset())
                .findFirst()
                .orElseThrow();
    }

    @Test
    void publishedEntriesAreFound() throws Exception {
        String topic = newCompactedTopic(2);
        List<DataKeyEntry> entries =
                List.of(entry("acme", 1), entry("acme", 2), entry("zenith", 3));
        List<DataKeyReference> references;
        try (DataKeyPublisher publisher = new DataKeyPublisher(settings(), topic)) {
            List<CompletableFuture<DataKeyReference>> published =
                    entries.stream().map(publisher::publish).toList();
            references = published.stream().map(CompletableFuture::join).toList();
        }

        List<DataKeyEntry> found;
        try (DataKeyLookup lookup = new DataKeyLookup(settings(), topic, LOOKUP_TIMEOUT)) {
            // Requested together, the lookups run one after the other on the lookup thread.
            List<CompletableFuture<DataKeyEntry>> lookups =
                    references.stream().map(lookup::find).toList();
            found = lookups.stream().map(CompletableFuture::join).toList();
        }

        assertThat(found).containsExactlyElementsOf(entries);
        assertThat(references).doesNotHaveDuplicates();
        for (DataKeyReference reference : references) {
            ConsumerRecord<byte[], byte[]> record = recordAt(topic, reference);
            assertThat(record.key()).hasSize(16);
            assertThat(reference.matchesKey(record.key())).isTrue();
            assertThat(record.headers().toArray()).isEmpty();
        }
    }

    @Test
    void publisherIgnoresTransactionalId() throws Exception {
        String topic = newCompactedTopic(1);
        Map<String, String> settings = new HashMap<>(settings());
        settings.put("transactional.id", "records-producer");

        DataKeyReference reference;
        try (DataKeyPublisher publisher = new DataKeyPublisher(settings, topic)) {
            reference = await(publisher.publish(entry("acme", 1)));
        }

        try (DataKeyLookup lookup = new DataKeyLookup(settings, topic, LOOKUP_TIMEOUT)) {
            assertThat(await(lookup.find(reference))).isEqualTo(entry("acme", 1));
        }
        assertThat(reference.offset()).isZero();
    }

    @Test
    void publishToMissingTopicIsRetriable() throws Exception {
        Map<String, String> settings = new HashMap<>(settings());
        settings.put("max.block.ms", "500");

        DataKeyException e;
        try (DataKeyPublisher publisher = new DataKeyPublisher(settings, "no-such-topic")) {
            e = failure(publisher.publish(entry("acme", 1)));
        }

        assertThat(e.retriable()).isTrue();
        assertThat(e.getMessage())
                .isEqualTo(
                        "publishing the data-key entry of org acme to topic no-such-topic failed:"
                            + " io.cmekflink.config.ConfigException: data-key topic no-such-topic"
                            + " does not exist: create it with cleanup.policy=compact. Check that"
                            + " the topic exists with cleanup.policy=compact and that the brokers"
                            + " are reachable");
        // The publisher checked before it sent, so the broker did not create the topic.
        assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS))
                .doesNotContain("no-such-topic");
    }

    @Test
    void publishToDeletePolicyTopicIsRetriable() throws Exception {
        String topic = "data-keys-deleting-" + TOPICS.incrementAndGet();
        kafka.createTopics(1, List.of(topic));

        DataKeyException e;
        try (DataKeyPublisher publisher = new DataKeyPublisher(settings(), topic)) {
            e = failure(publisher.publish(entry("acme", 1)));
        }

        assertThat(e.retriable()).isTrue();
        assertThat(e.getMessage()).contains("has cleanup.policy=delete, expected compact");
        assertThat(
                        admin.listOffsets(
                                        Map.of(
                                                new TopicPartition(topic, 0),
                                                org.apache.kafka.clients.admin.OffsetSpec.latest()))
                                .all()
                                .get(30, TimeUnit.SECONDS)
                                .get(new TopicPartition(topic, 0))
                                .offset())
                .as("entries written")
                .isZero();
    }

    @Test
    void publishAfterCloseIsRetriable() throws Exception {
        String topic = newCompactedTopic(1);
        DataKeyPublisher publisher = new DataKeyPublisher(settings(), topic);
        publisher.close();

        DataKeyException e = failure(publisher.publish(entry("acme", 1)));

        assertThat(e.retriable()).isTrue();
        assertThat(e.getMessage())
                .startsWith(
                        "publishing the data-key entry of org acme to topic " + topic + " failed: ")
                .contains("AdminClient is closing");
    }

    @Test
    void entryInAddedPartitionIsFound() throws Exception {
        String topic = newCompactedTopic(1);
        try (DataKeyLookup lookup = new DataKeyLookup(settings(), topic, LOOKUP_TIMEOUT)) {
            DataKeyReference first = publish(topic, entry("acme", 1));
            // The lookup's consumer now caches metadata with one partition, for minutes.
            assertThat(await(lookup.find(first)).orgId()).isEqualTo("acme");
            admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(4)))
                    .all()
                    .get(30, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (admin.describeTopics(List.of(topic))
                            .allTopicNames()
                            .get(30, TimeUnit.SECONDS)
                            .get(topic)
                            .partitions()
                            .size()
                    < 4) {
                assertThat(System.nanoTime()).as("partitions listed in time").isLessThan(deadline);
                Thread.sleep(20);
            }

            DataKeyReference added = null;
            try (DataKeyPublisher publisher = new DataKeyPublisher(settings(), topic)) {
                for (int i = 2; i < 60 && added == null; i++) {
                    DataKeyReference reference = await(publisher.publish(entry("acme", i)));
                    if (reference.partition() > 0) {
                        added = reference;
                    }
                }
            }

            assertThat(added).as("an entry in an added partition").isNotNull();
            assertThat(await(lookup.find(added)).orgId()).isEqualTo("acme");
        }
    }

    @Test
    void tombstoneIsNotRetriable() throws Exception {
        String topic = newCompactedTopic(1);
        DataKeyReference published = publish(topic, entry("acme", 1));
        byte[] key = recordAt(topic, published).key();
        RecordMetadata tombstone = produce(topic, key, null);
        DataKeyReference reference =
                DataKeyReference.of(tombstone.partition(), tombstone.offset(), key);

        DataKeyException e = lookupFailure(topic, reference, LOOKUP_TIMEOUT);

        assertThat(e.retriable()).isFalse();
        assertThat(e.getMessage())
                .isEqualTo(
                        "the data-key entry at topic "
                                + topic
                                + " partition 0 offset 1 was deleted (tombstone), so records that"
                                + " reference it cannot be decrypted");
    }

    @Test
    void checkBytesMismatchIsNotRetriable() throws Exception {
        String topic = newCompactedTopic(1);
        DataKeyReference published = publish(topic, entry("acme", 1));
        byte[] otherKey = recordAt(topic, published).key();
        otherKey[0] ^= 0x01;
        DataKeyReference forged =
                DataKeyReference.of(published.partition(), published.offset(), otherKey);

        DataKeyException e = lookupFailure(topic, forged, LOOKUP_TIMEOUT);

        assertThat(e.retriable()).isFalse();
        assertThat(e.getMessage())
                .isEqualTo(
                        "the reference's check bytes do not match the entry at topic "
                                + topic
                                + " partition 0 offset 0: was the topic deleted and created"
                                + " again? If not, "
                                + TOPIC_FIX);
    }

    @Test
    void invalidEntryIsNotRetriable() throws Exception {
        String topic = newCompactedTopic(1);
        byte[] key = DataKeyEntry.newEntryKey();
        RecordMetadata garbage = produce(topic, key, new byte[] {1, 2, 3});

        DataKeyException e =
                lookupFailure(
                        topic,
                        DataKeyReference.of(garbage.partition(), garbage.offset(), key),
                        LOOKUP_TIMEOUT);

        assertThat(e.retriable()).isFalse();
        assertThat(e.getMessage())
                .isEqualTo(
                        "the record at topic "
                                + topic
                                + " partition 0 offset 0 is not a valid data-key entry: invalid"
                                + " data-key entry: the value of 3 bytes does not start with the"
                                + " single-object marker C3 01 and an 8-byte schema fingerprint");
    }

    @Test
    void skippedOffsetIsNotRetriable() throws Exception {
        String topic = newCompactedTopic(1);
        byte[] abortedKey = produceAborted(topic);
        DataKeyReference next = publish(topic, entry("acme", 2));

        DataKeyException e =
                lookupFailure(topic, DataKeyReference.of(0, 0, abortedKey), LOOKUP_TIMEOUT);

        assertThat(next.offset()).isEqualTo(2);
        assertThat(e.retriable()).isFalse();
        assertThat(e.getMessage())
                .isEqualTo(
                        "no data-key entry at topic "
                                + topic
                                + " partition 0 offset 0: the next record is at offset 2, so the"
                                + " entry was deleted (tombstone) or compacted away, and records"
                                + " that reference it cannot be decrypted");
    }

    @Test
    void skippedOffsetAtEndIsNotRetriable() throws Exception {
        String topic = newCompactedTopic(1);
        byte[] abortedKey = produceAborted(topic);

        DataKeyException e =
                lookupFailure(topic, DataKeyReference.of(0, 0, abortedKey), LOOKUP_TIMEOUT);

        assertThat(e.retriable()).isFalse();
        assertThat(e.getMessage())
                .isEqualTo(
                        "no data-key entry at topic "
                                + topic
                                + " partition 0 offset 0: the partition continues at offset 2, so"
                                + " the entry was deleted (tombstone) or compacted away, and"
                                + " records that reference it cannot be decrypted");
    }

    @Test
    void deletedRecordsAreNotRetriable() throws Exception {
        // Kafka deletes records only from topics whose cleanup.policy includes delete.
        String topic = "data-keys-deleted-" + TOPICS.incrementAndGet();
        kafka.createTopics(1, List.of(topic));
        // The publisher rejects such a topic, so the entries are produced directly.
        byte[] key = DataKeyEntry.newEntryKey();
        RecordMetadata written = produce(topic, key, entry("acme", 1).encode());
        DataKeyReference first = DataKeyReference.of(written.partition(), written.offset(), key);
        produce(topic, DataKeyEntry.newEntryKey(), entry("acme", 2).encode());
        admin.deleteRecords(Map.of(new TopicPartition(topic, 0), RecordsToDelete.beforeOffset(1)))
                .all()
                .get(30, TimeUnit.SECONDS);

        DataKeyException e = lookupFailure(topic, first, LOOKUP_TIMEOUT);

        assertThat(e.retriable()).isFalse();
        assertThat(e.getMessage())
                .isEqualTo(
                        "no data-key entry at topic "
                                + topic
                                + " partition 0 offset 0: the partition now starts at offset 1,"
                                + " so retention or a delete-records request removed the entry,"
                                + " and records that reference it cannot be decrypted. The"
                                + " data-key topic must have cleanup.policy=compact");
    }

    @Test
    void offsetAtEndIsRetriableAfterTimeout() throws Exception {
        String topic = newCompactedTopic(1);
        publish(topic, entry("acme", 1));
        DataKeyReference atEnd = DataKeyReference.of(0, 1, DataKeyEntry.newEntryKey());

        long start = System.nanoTime();
        DataKeyException e = lookupFailure(topic, atEnd, SHORT_TIMEOUT);
        long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        assertThat(e.retriable()).isTrue();
        assertThat(elapsedMillis).isGreaterThanOrEqualTo(SHORT_TIMEOUT.toMillis());
        assertThat(e.getMessage())
                .isEqualTo(
                        "no data-key entry at topic "
                                + topic
                                + " partition 0 offset 1: the offset is at or beyond the"
                                + " partition's end offset 1. The entry is not readable yet, or"
                                + " the topic was deleted and created again. If the error"
                                + " persists, "
                                + TOPIC_FIX);
    }

    @Test
    void offsetBeyondEndIsRetriable() throws Exception {
        String topic = newCompactedTopic(1);
        publish(topic, entry("acme", 1));
        DataKeyReference beyondEnd = DataKeyReference.of(0, 1000, DataKeyEntry.newEntryKey());

        DataKeyException e = lookupFailure(topic, beyondEnd, SHORT_TIMEOUT);

        assertThat(e.retriable()).isTrue();
        assertThat(e.getMessage())
                .isEqualTo(
                        "no data-key entry at topic "
                                + topic
                                + " partition 0 offset 1000: the offset is at or beyond the"
                                + " partition's end offset 1. The entry is not readable yet, or"
                                + " the topic was deleted and created again. If the error"
                                + " persists, "
                                + TOPIC_FIX);
    }

    @Test
    void missingPartitionIsNotRetriable() throws Exception {
        String topic = newCompactedTopic(2);
        DataKeyReference reference = DataKeyReference.of(5, 0, DataKeyEntry.newEntryKey());

        DataKeyException e = lookupFailure(topic, reference, LOOKUP_TIMEOUT);

        assertThat(e.retriable()).isFalse();
        assertThat(e.getMessage())
                .isEqualTo(
                        "data-key topic "
                                + topic
                                + " has 2 partitions, so partition 5 of data-key reference"
                                + " partition 5 offset 0 does not exist: "
                                + TOPIC_FIX);
    }

    @Test
    void missingTopicIsNotRetriable() throws Exception {
        DataKeyReference reference = DataKeyReference.of(0, 7, DataKeyEntry.newEntryKey());

        DataKeyException e = lookupFailure("no-such-topic", reference, LOOKUP_TIMEOUT);

        assertThat(e.retriable()).isFalse();
        assertThat(e.getMessage())
                .isEqualTo(
                        "data-key topic no-such-topic does not exist, so data-key reference"
                                + " partition 0 offset 7 cannot be looked up: "
                                + TOPIC_FIX);
    }

    @Test
    void closeEndsLookupInProgress() throws Exception {
        String topic = newCompactedTopic(1);
        DataKeyReference atEnd = DataKeyReference.of(0, 0, DataKeyEntry.newEntryKey());
        DataKeyLookup lookup = new DataKeyLookup(settings(), topic, Duration.ofSeconds(60));
        CompletableFuture<DataKeyEntry> inProgress = lookup.find(atEnd);
        CompletableFuture<DataKeyEntry> queued = lookup.find(atEnd);

        assertThat(inProgress).isNotDone();
        long start = System.nanoTime();
        lookup.close();
        long closeMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        DataKeyException afterClose = failure(lookup.find(atEnd));

        assertThat(closeMillis).isLessThan(DataKeyLookup.CLOSE_TIMEOUT.toMillis());
        String closed =
                "the data-key lookup of topic "
                        + topic
                        + " was closed before it found data-key reference partition 0 offset 0";
        for (DataKeyException e : List.of(failure(inProgress), failure(queued), afterClose)) {
            assertThat(e.retriable()).isTrue();
            assertThat(e.getMessage()).isEqualTo(closed);
        }
    }

    @Test
    void verifyAcceptsCompactedTopic() throws Exception {
        String topic = newCompactedTopic(1);

        assertThatCode(() -> DataKeyTopic.verify(admin, topic, LOOKUP_TIMEOUT))
                .doesNotThrowAnyException();
    }

    @Test
    void verifyRejectsDeletePolicy() throws Exception {
        String topic = "data-keys-delete-" + TOPICS.incrementAndGet();
        kafka.createTopics(1, List.of(topic));

        assertThatThrownBy(() -> DataKeyTopic.verify(admin, topic, LOOKUP_TIMEOUT))
                .isInstanceOf(ConfigException.class)
                .hasMessage(
                        "data-key topic "
                                + topic
                                + " has cleanup.policy=delete, expected compact: the delete policy"
                                + " removes entries once they pass the topic's retention, and"
                                + " records that reference a removed entry cannot be decrypted."
                                + " Set cleanup.policy=compact on the topic");
    }

    @Test
    void verifyRejectsCompactAndDeletePolicy() throws Exception {
        String topic = newCompactedTopic(1);
        kafka.setTopicConfig(topic, "cleanup.policy", "compact,delete");

        assertThatThrownBy(() -> DataKeyTopic.verify(admin, topic, LOOKUP_TIMEOUT))
                .isInstanceOf(ConfigException.class)
                .hasMessage(
                        "data-key topic "
                                + topic
                                + " has cleanup.policy=compact,delete, expected compact: the"
                                + " delete policy removes entries once they pass the topic's"
                                + " retention, and records that reference a removed entry cannot"
                                + " be decrypted. Set cleanup.policy=compact on the topic");
    }

    @Test
    void verifyRejectsMissingTopic() {
        assertThatThrownBy(() -> DataKeyTopic.verify(admin, "no-such-topic", LOOKUP_TIMEOUT))
                .isInstanceOf(ConfigException.class)
                .hasMessage(
                        "data-key topic no-such-topic does not exist: create it with"
                                + " cleanup.policy=compact");
    }
}
