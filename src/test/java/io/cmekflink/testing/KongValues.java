package io.cmekflink.testing;

import io.cmekflink.crypto.RecordId;
import io.cmekflink.local.demo.KongLogGenerator;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/** Input values of the tests: generated Kong log entries in Avro binary. */
public final class KongValues {

    private static final Schema SCHEMA = parse();

    private KongValues() {}

    /** The writer schema of the job definitions that {@link JobHarness} builds. */
    public static Schema schema() {
        return SCHEMA;
    }

    /** One generated Kong log entry of {@code org}, the same for the same seed. */
    public static byte[] entry(String org, long seed) {
        return avro(new KongLogGenerator(SCHEMA, List.of(org), seed).next().record());
    }

    /** Encodes a record as Avro binary under its own schema. */
    public static byte[] avro(GenericRecord record) {
        return JobHarness.avro(record);
    }

    /** The record id of a record as the job writes it: where the record landed in its topic. */
    public static RecordId idOf(RecordMetadata metadata) {
        return new RecordId(metadata.topic(), metadata.partition(), metadata.offset());
    }

    private static Schema parse() {
        try {
            return new Schema.Parser().parse(new File("schemas/kong-log-entry.avsc"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
