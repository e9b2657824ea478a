package io.cmekflink.testing;

import io.cmekflink.crypto.RecordId;
import io.cmekflink.crypto.RecordOpenException;
import io.cmekflink.crypto.RecordOpener;
import io.cmekflink.deadletter.DeadLetter;
import io.cmekflink.deadletter.ErrorCode;
import io.cmekflink.local.EmbeddedKafka;
import io.cmekflink.local.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The committed output of an encrypt job, read with {@code read_committed}, with the source record
 * of each output record: the record id in an encrypted record's envelope, and the source topic,
 * partition and offset of a dead letter. Immutable.
 */
public final class Outcomes {

    private final List<ConsumerRecord<byte[], byte[]>> encryptedRecords;
    private final List<RecordId> encryptedIds;
    private final List<DeadLetter> deadLetters;

    private Outcomes(
            List<ConsumerRecord<byte[], byte[]>> encryptedRecords,
            List<RecordId> encryptedIds,
            List<DeadLetter> deadLetters) {
        this.encryptedRecords = List.copyOf(encryptedRecords);
        this.encryptedIds = List.copyOf(encryptedIds);
        this.deadLetters = List.copyOf(deadLetters);
    }

    /** Reads the committed records of the encrypted and dead-letter topics of {@code h}. */
    public static Outcomes read(
            EmbeddedKafka kafka, JobHarness h, RecordOpener opener, Duration timeout) {
        List<ConsumerRecord<byte[], byte[]>> encrypted =
                Topics.readAll(kafka.bootstrapServers(), h.encrypted(), true, timeout);
        List<RecordId> ids = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : encrypted) {
            try {
                ids.add(RecordOpener.envelopeOf(opener.decode(r.value())).recordId());
            } catch (RecordOpenException e) {
                throw new AssertionError(
                        "encrypted record at "
                                + r.topic()
                                + "/"
                                + r.partition()
                                + "/"
                                + r.offset()
                                + " has no readable envelope",
                        e);
            }
        }
        List<DeadLetter> letters = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r :
                Topics.readAll(kafka.bootstrapServers(), h.deadLetters(), true, timeout)) {
            try {
                letters.add(DeadLetter.fromBytes(r.value()));
            } catch (IOException e) {
                throw new UncheckedIOException(
                        "dead letter at " + r.topic() + "/" + r.partition() + "/" + r.offset(), e);
            }
        }
        return new Outcomes(encrypted, ids, letters);
    }

    /**
     * Polls both topics until they contain at least {@code total} committed records together, then
     * reads and returns them. One consumer counts the records as they arrive without decoding them,
     * so that waiting costs little of the CPU that the job under test needs.
     *
     * @throws AssertionError with the counts per topic when the timeout passes first
     */
    public static Outcomes awaitTotal(
            EmbeddedKafka kafka, JobHarness h, RecordOpener opener, int total, Duration timeout) {
        List<String> topics = List.of(h.encrypted(), h.deadLetters());
        Map<String, Integer> counts = new TreeMap<>();
        topics.forEach(t -> counts.put(t, 0));
        try (KafkaConsumer<byte[], byte[]> consumer = committedConsumer(kafka)) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : topics) {
                for (PartitionInfo p : consumer.partitionsFor(topic, timeout)) {
                    partitions.add(new TopicPartition(topic, p.partition()));
                }
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (counts.values().stream().mapToInt(Integer::intValue).sum() < total) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError(
                            "timed out after "
                                    + timeout
                                    + " waiting for "
                                    + total
                                    + " committed output records; counted "
                                    + counts);
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    counts.merge(r.topic(), 1, Integer::sum);
                }
            }
        }
        return read(kafka, h, opener, timeout);
    }

    private static KafkaConsumer<byte[], byte[]> committedConsumer(EmbeddedKafka kafka) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** Returns the encrypted records, in the order of their topic's partitions. */
    public List<ConsumerRecord<byte[], byte[]>> encryptedRecords() {
        return encryptedRecords;
    }

    /** The record id of each encrypted record, in the order of {@link #encryptedRecords()}. */
    public List<RecordId> encryptedIds() {
        return encryptedIds;
    }

    public List<DeadLetter> deadLetters() {
        return deadLetters;
    }

    /** Encrypted records plus dead letters. */
    public int total() {
        return encryptedIds.size() + deadLetters.size();
    }

    /** Returns how often each source record occurs across both topics, sorted by record id. */
    public Map<String, Integer> occurrences() {
        Map<String, Integer> counts = new TreeMap<>();
        for (RecordId id : encryptedIds) {
            counts.merge(id.toString(), 1, Integer::sum);
        }
        for (DeadLetter letter : deadLetters) {
            counts.merge(sourceOf(letter).toString(), 1, Integer::sum);
        }
        return counts;
    }

    /** The source records that occur more than once across both topics, with their counts. */
    public Map<String, Integer> duplicates() {
        Map<String, Integer> duplicates = new LinkedHashMap<>();
        occurrences()
                .forEach(
                        (id, count) -> {
                            if (count > 1) {
                                duplicates.put(id, count);
                            }
                        });
        return duplicates;
    }

    /** Returns the records of {@code sent} that occur in neither topic. */
    public Set<String> missing(Collection<RecordId> sent) {
        Set<String> missing = new TreeSet<>();
        Set<String> seen = occurrences().keySet();
        for (RecordId id : sent) {
            if (!seen.contains(id.toString())) {
                missing.add(id.toString());
            }
        }
        return missing;
    }

    /** Returns the output records whose source record is not in {@code sent}. */
    public Set<String> unexpected(Collection<RecordId> sent) {
        Set<String> known = new HashSet<>();
        for (RecordId id : sent) {
            known.add(id.toString());
        }
        Set<String> unexpected = new TreeSet<>(occurrences().keySet());
        unexpected.removeAll(known);
        return unexpected;
    }

    /** Returns the number of dead letters per error code. */
    public Map<ErrorCode, Integer> codes() {
        Map<ErrorCode, Integer> codes = new TreeMap<>();
        for (DeadLetter letter : deadLetters) {
            codes.merge(letter.errorCode(), 1, Integer::sum);
        }
        return codes;
    }

    /** Returns the source record of a dead letter: its source topic, partition and offset. */
    public static RecordId sourceOf(DeadLetter letter) {
        return new RecordId(letter.sourceTopic(), letter.sourcePartition(), letter.sourceOffset());
    }
}
