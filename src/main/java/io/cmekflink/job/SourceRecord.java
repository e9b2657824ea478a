package io.cmekflink.job;

/**
 * One Kafka record as read from the records topic, before parsing: its value bytes and everything a
 * dead letter needs to point back at it. A Flink POJO.
 */
public class SourceRecord {
    public String topic;
    public int partition;
    public long offset;
    public long timestamp;
    public byte[] key;
    public byte[] value;

    /** Allowlisted headers only; the others were dropped when reading. */
    public String[] headerKeys;

    public byte[][] headerValues;

    /** The value of the {@code cmek-format} header, or {@code null} when absent. */
    public String format;

    /** The value of the {@code cmek-record-id} header of a replayed record, or {@code null}. */
    public String recordId;

    public SourceRecord() {}

    @Override
    public String toString() {
        return "SourceRecord[" + topic + "-" + partition + "@" + offset + "]";
    }
}
