package io.cmekflink.testing;

import io.cmekflink.crypto.RecordId;
import io.cmekflink.local.demo.KongLogGenerator;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
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

    /** The Avro binary encoding of a record under its own schema. */
    public static byte[] avro(GenericRecord record) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
            new GenericDatumWriter<GenericRecord>(record.getSchema(), GenericData.get())
                    .write(record, encoder);
            encoder.flush();
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
