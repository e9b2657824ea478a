package io.cmekflink.local.bench;

import io.cmekflink.crypto.RecordId;
import io.cmekflink.crypto.RecordOpener;
import io.cmekflink.schema.DerivedSchema;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The table behind the encrypted-bytes and reference-bytes pass-throughs: the value that one
 * encrypt run wrote for each input record, found by the record's source partition and offset. The
 * pass-throughs write these exact bytes without running AES or KMS.
 *
 * <p>Tables are registered in this JVM under an id, because the Flink tasks of the local mini
 * cluster look them up after their functions were serialized. The values are read once and never
 * changed, so any thread may read a table.
 */
final class EncryptedValues {

    private static final Map<String, EncryptedValues> TABLES = new ConcurrentHashMap<>();
    private static final AtomicInteger IDS = new AtomicInteger();

    private final String id;
    private final String sourceTopic;
    private final byte[][][] byPartition;

    private EncryptedValues(String id, String sourceTopic, byte[][][] byPartition) {
        this.id = id;
        this.sourceTopic = sourceTopic;
        this.byPartition = byPartition;
    }

    /**
     * Reads the {@code records} committed records of an encrypt run's {@code outputTopic}, indexes
     * them by the record id in their envelopes, and registers the table.
     *
     * @param sourceTopic the input topic of that run, whose records are numbered {@code i} in
     *     partition {@code i % partitions} at offset {@code i / partitions}
     * @throws IllegalStateException when a record's id names another topic, partition or offset
     *     than the input holds, or an offset appears twice
     */
    static EncryptedValues load(
            String bootstrapServers,
            String outputTopic,
            String sourceTopic,
            int records,
            int partitions,
            DerivedSchema derived,
            Duration timeout) {
        RecordOpener opener = RecordOpener.create(derived);
        byte[][][] byPartition = new byte[partitions][][];
        for (int p = 0; p < partitions; p++) {
            byPartition[p] = new byte[(records - p + partitions - 1) / partitions][];
        }
        OutputTopic.read(
                bootstrapServers,
                outputTopic,
                records,
                0,
                timeout,
                r -> {
                    RecordId source;
                    try {
                        source = RecordOpener.envelopeOf(opener.decode(r.value())).recordId();
                    } catch (Exception e) {
                        throw new IllegalStateException(
                                outputTopic
                                        + " offset "
                                        + r.offset()
                                        + " is not an encrypted benchmark record: "
                                        + e.getMessage(),
                                e);
                    }
                    place(byPartition, source, sourceTopic, r.value());
                });
        return register(new EncryptedValues(nextId(), sourceTopic, byPartition));
    }

    private static String nextId() {
        return "encrypted-values-" + IDS.incrementAndGet();
    }

    private static EncryptedValues register(EncryptedValues table) {
        TABLES.put(table.id, table);
        return table;
    }

    private static void place(
            byte[][][] byPartition, RecordId source, String sourceTopic, byte[] value) {
        if (!source.topic().equals(sourceTopic)
                || source.partition() < 0
                || source.partition() >= byPartition.length
                || source.offset() < 0
                || source.offset() >= byPartition[source.partition()].length) {
            throw new IllegalStateException(
                    "record id " + source + " is outside the input topic " + sourceTopic);
        }
        byte[][] slots = byPartition[source.partition()];
        if (slots[(int) source.offset()] != null) {
            throw new IllegalStateException("record id " + source + " appears twice");
        }
        slots[(int) source.offset()] = value;
    }

    /** Returns a registered table, or fails when it was not loaded in this JVM. */
    static EncryptedValues of(String id) {
        EncryptedValues table = TABLES.get(id);
        if (table == null) {
            throw new IllegalStateException(
                    "no encrypted values " + id + ": the job runs outside this JVM");
        }
        return table;
    }

    String id() {
        return id;
    }

    /**
     * Returns this table's value for the input record at {@code partition} and {@code offset} of
     * the source topic.
     *
     * @throws IllegalStateException when the table contains no value for it
     */
    byte[] valueOf(String topic, int partition, long offset) {
        byte[] value = null;
        if (topic.equals(sourceTopic)
                && partition >= 0
                && partition < byPartition.length
                && offset >= 0
                && offset < byPartition[partition].length) {
            value = byPartition[partition][(int) offset];
        }
        if (value == null) {
            throw new IllegalStateException(
                    "no encrypted value for " + topic + "-" + partition + "@" + offset);
        }
        return value;
    }

    /** Drops the table, so that its values can be collected. */
    void remove() {
        TABLES.remove(id);
    }
}
