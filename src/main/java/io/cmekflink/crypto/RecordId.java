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
}
