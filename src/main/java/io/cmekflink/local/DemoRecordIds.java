package io.cmekflink.local;

import io.cmekflink.crypto.RecordId;
import io.cmekflink.crypto.RecordOpener;
import io.cmekflink.deadletter.DeadLetter;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The ids of the records the demo sent, and how often each came back: an encrypted record names its
 * id in its envelope, a dead letter in its record id fields. The summary passes only when every id
 * comes back exactly once across the encrypted and the dead-letter topic, across restarts too.
 */
final class DemoRecordIds {

    /** Counts by record id: extra copies of ids read more than once, and ids never read. */
    record Count(long duplicates, long missing, long unknown) {}

    private final Set<RecordId> sent = new HashSet<>();

    void add(String topic, int partition, long offset) {
        sent.add(new RecordId(topic, partition, offset));
    }

    /**
     * Counts the ids of the records read back with {@code read_committed}. An encrypted record that
     * does not decode has no id; the decrypt check counts it as a mismatch.
     */
    Count count(
            RecordOpener opener,
            List<ConsumerRecord<byte[], byte[]>> encrypted,
            List<ConsumerRecord<byte[], byte[]>> deadLetters) {
        Map<RecordId, Long> seen = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : encrypted) {
            try {
                RecordId id = RecordOpener.envelopeOf(opener.decode(r.value())).recordId();
                seen.merge(id, 1L, Long::sum);
            } catch (Exception e) {
                // Left to the decrypt check.
            }
        }
        for (ConsumerRecord<byte[], byte[]> r : deadLetters) {
            seen.merge(idOf(r), 1L, Long::sum);
        }
        long duplicates = 0;
        long unknown = 0;
        for (Map.Entry<RecordId, Long> e : seen.entrySet()) {
            duplicates += e.getValue() - 1;
            if (!sent.contains(e.getKey())) {
                unknown += e.getValue();
            }
        }
        long missing = sent.stream().filter(id -> !seen.containsKey(id)).count();
        return new Count(duplicates, missing, unknown);
    }

    private static RecordId idOf(ConsumerRecord<byte[], byte[]> deadLetter) {
        DeadLetter letter;
        try {
            letter = DeadLetter.fromBytes(deadLetter.value());
        } catch (java.io.IOException e) {
            throw new IllegalStateException(
                    "dead letter at offset "
                            + deadLetter.offset()
                            + " of "
                            + deadLetter.topic()
                            + " does not decode",
                    e);
        }
        return letter.recordIdTopic() != null
                ? new RecordId(
                        letter.recordIdTopic(), letter.recordIdPartition(), letter.recordIdOffset())
                : new RecordId(
                        letter.sourceTopic(), letter.sourcePartition(), letter.sourceOffset());
    }
}
