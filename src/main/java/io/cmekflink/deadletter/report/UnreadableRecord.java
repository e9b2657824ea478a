package io.cmekflink.deadletter.report;

import java.util.Comparator;

/** The position of a record that does not decode as a dead letter, and why. */
public record UnreadableRecord(int partition, long offset, UnreadableReason reason)
        implements Comparable<UnreadableRecord> {

    private static final Comparator<UnreadableRecord> ORDER =
            Comparator.comparingInt(UnreadableRecord::partition)
                    .thenComparingLong(UnreadableRecord::offset);

    @Override
    public int compareTo(UnreadableRecord other) {
        return ORDER.compare(this, other);
    }
}
