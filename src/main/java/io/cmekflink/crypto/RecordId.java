package io.cmekflink.crypto;

import java.util.Objects;

/**
 * The source position of a record when it was first encrypted. It stays in the envelope when the
 * record is replayed or its EDEK is re-wrapped, and the associated data binds the ciphertext to it.
 *
 * @param topic the Kafka topic, not empty
 * @param partition the partition, from 0
 * @param offset the offset within the partition, from 0
 */
public record RecordId(String topic, int partition, long offset) {

    public RecordId {
        Objects.requireNonNull(topic, "topic");
        if (topic.isEmpty()) {
            throw new IllegalArgumentException("record id topic must not be empty");
        }
        if (partition < 0) {
            throw new IllegalArgumentException(
                    "record id partition must be >= 0, got " + partition);
        }
        if (offset < 0) {
            throw new IllegalArgumentException("record id offset must be >= 0, got " + offset);
        }
    }

    /** Returns the id as {@code topic/partition/offset}. */
    @Override
    public String toString() {
        return topic + "/" + partition + "/" + offset;
    }

    /**
     * Parses the form {@link #toString()} writes, {@code topic/partition/offset}.
     *
     * @throws IllegalArgumentException naming the text when it has another form
     */
    public static RecordId parse(String text) {
        int second = text.lastIndexOf('/');
        int first = second <= 0 ? -1 : text.lastIndexOf('/', second - 1);
        if (first <= 0) {
            throw new IllegalArgumentException(
                    "invalid record id '" + text + "': expected topic/partition/offset");
        }
        try {
            return new RecordId(
                    text.substring(0, first),
                    Integer.parseInt(text.substring(first + 1, second)),
                    Long.parseLong(text.substring(second + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "invalid record id '" + text + "': expected topic/partition/offset");
        }
    }
}
