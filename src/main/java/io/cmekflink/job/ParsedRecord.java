package io.cmekflink.job;

/**
 * An input record that decoded and carries an org id. A Flink POJO: it crosses the network between
 * the parse and resolve steps, and waits in keyed state while its org has no link.
 *
 * <p>The value travels as Avro binary under writer schema {@code schemaIndex}, because shipping
 * those bytes and decoding them again after the shuffle costs less than serialising a decoded
 * record.
 */
public class ParsedRecord {
    public String orgId;
    public String topic;
    public int partition;
    public long offset;
    public long timestamp;
    public byte[] key;
    public String[] headerKeys;
    public byte[][] headerValues;

    /** Index of the writer schema in the job's list of writer schemas. */
    public int schemaIndex;

    /**
     * CRC-64-AVRO fingerprint of that writer schema's parsing canonical form, which the encrypt
     * step checks before it decodes {@link #avro}.
     */
    public long schemaFingerprint;

    /**
     * Avro binary of the record under its writer schema; for an already encrypted record, the
     * encrypted value as read.
     */
    public byte[] avro;

    /** True when the input was already encrypted: it passes through unchanged. */
    public boolean alreadyEncrypted;

    /**
     * The input value as read, kept only when dead letters may seal it and it differs from {@link
     * #avro} (JSON and Confluent-framed input), so that a replay feeds back the same bytes.
     */
    public byte[] original;

    /**
     * The record id: the source position at first encryption. It equals the source position unless
     * a replayed record carries its original id in the {@code cmek-record-id} header.
     */
    public String recordIdTopic;

    public int recordIdPartition;
    public long recordIdOffset;

    /**
     * True when {@link #avro} and {@link #original} are sealed under the platform state key,
     * because the record may wait in state.
     */
    public boolean sealed;

    /** When the record entered the job, in epoch milliseconds, for the link wait. */
    public long arrivedAt;

    /**
     * The salt of the record's routing key ({@link HotOrgs#routingKey}): 0 unless its org is hot.
     * Stored in the record because Flink computes the key again where the record arrives, so the
     * key must be a function of the record alone. Savepoints taken before this field existed
     * restore with salt 0 (Flink's POJO serializer migrates added fields), which matches the key
     * their records were stored under.
     */
    public int salt;

    public ParsedRecord() {}

    /**
     * Returns a shallow copy. The arrays are shared, so replace them rather than write into them.
     */
    public ParsedRecord copy() {
        ParsedRecord c = new ParsedRecord();
        c.orgId = orgId;
        c.topic = topic;
        c.partition = partition;
        c.offset = offset;
        c.timestamp = timestamp;
        c.key = key;
        c.headerKeys = headerKeys;
        c.headerValues = headerValues;
        c.schemaIndex = schemaIndex;
        c.schemaFingerprint = schemaFingerprint;
        c.avro = avro;
        c.alreadyEncrypted = alreadyEncrypted;
        c.original = original;
        c.recordIdTopic = recordIdTopic;
        c.recordIdPartition = recordIdPartition;
        c.recordIdOffset = recordIdOffset;
        c.sealed = sealed;
        c.arrivedAt = arrivedAt;
        c.salt = salt;
        return c;
    }

    @Override
    public String toString() {
        return "ParsedRecord[org="
                + orgId
                + (salt == 0 ? "" : " salt=" + salt)
                + " "
                + topic
                + "-"
                + partition
                + "@"
                + offset
                + "]";
    }
}
