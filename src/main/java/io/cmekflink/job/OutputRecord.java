package io.cmekflink.job;

/**
 * A record ready for a sink: the encrypted topic or the dead-letter topic. A Flink POJO.
 *
 * <p>The value is already encoded: an encrypted record in Avro single-object encoding, or a dead
 * letter. {@code format} becomes the {@code cmek-format} header.
 */
public class OutputRecord {
    public boolean deadLetter;
    public byte[] key;
    public byte[] value;
    public String format;
    public String[] headerKeys;
    public byte[][] headerValues;
    public long timestamp;

    /** The org and error code of a dead letter, for metrics and logs; not written. */
    public String orgId;

    public String errorCode;

    public OutputRecord() {}

    @Override
    public String toString() {
        return (deadLetter ? "OutputRecord[dead letter " + errorCode : "OutputRecord[encrypted")
                + " org="
                + orgId
                + " "
                + (value == null ? 0 : value.length)
                + " bytes]";
    }
}
