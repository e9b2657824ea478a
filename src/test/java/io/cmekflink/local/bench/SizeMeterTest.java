package io.cmekflink.local.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.cmekflink.crypto.Envelope;
import io.cmekflink.crypto.RecordId;
import io.cmekflink.schema.EnvelopeSchema;
import io.cmekflink.schema.SingleObjectEncoding;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

class SizeMeterTest {

    /**
     * A derived schema with one opaque field and the envelope, like the schemas the encrypt job
     * derives.
     */
    private static final Schema DERIVED =
            SchemaBuilder.record("Sealed")
                    .namespace("test")
                    .fields()
                    .requiredBytes("payload")
                    .name(EnvelopeSchema.FIELD_NAME)
                    .type(EnvelopeSchema.SCHEMA)
                    .noDefault()
                    .endRecord();

    private static final String KEY_ARN =
            "arn:aws:kms:eu-west-1:200000000000:key/0b6d4a36-9a3b-4a1c-8d8e-2f1c3b5a7e90";

    private final SizeMeter meter = new SizeMeter(null);

    @Test
    void uncompressedBatchHoldsRecordsAndHeaders() {
        // 100 records of 1,000 bytes without key: 16 fit in a 16 KiB batch, so 7 batches.
        double perRecord = meter.bytesPerRecord(records(100, 1000, false), "none");

        // Each record adds its value, 10 bytes of record header and varints; each batch 61.
        assertThat(perRecord).isBetween(1000.0 + 7, 1000.0 + 7 + 10 + 61.0 * 7 / 100 + 1);
    }

    @Test
    void lz4ShrinksRepetitiveValues() {
        List<ProducerRecord<byte[], byte[]>> text = records(2000, 1000, false);

        assertThat(meter.bytesPerRecord(text, "lz4")).isLessThan(200.0);
        assertThat(meter.bytesPerRecord(text, "zstd")).isLessThan(200.0);
    }

    @Test
    void randomValuesDoNotCompress() {
        List<ProducerRecord<byte[], byte[]>> random = records(500, 1000, true);

        assertThat(meter.bytesPerRecord(random, "lz4")).isGreaterThan(1000.0);
    }

    @Test
    void largerBatchesCompressRepeatsAcrossRecords() {
        // Every record repeats one random 184-byte block, as records of one org repeat its EDEK.
        byte[] block = new byte[184];
        new Random(3).nextBytes(block);
        Random random = new Random(4);
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            byte[] value = new byte[1000];
            random.nextBytes(value);
            System.arraycopy(block, 0, value, 0, block.length);
            records.add(new ProducerRecord<>("t", 0, null, null, value));
        }

        double small = meter.bytesPerRecord(records, "lz4", 16_384);
        double large = meter.bytesPerRecord(records, "lz4", 524_288);

        assertThat(small - large).isGreaterThan(0.0);
    }

    @Test
    void envelopeOfEitherFormatVersionStripped() throws Exception {
        List<ConsumerRecord<byte[], byte[]>> full = sample(3, false);
        List<ConsumerRecord<byte[], byte[]>> referenced = sample(3, true);

        List<ProducerRecord<byte[], byte[]>> fullStripped =
                SizeMeter.withoutEnvelope(full, DERIVED);
        List<ProducerRecord<byte[], byte[]>> referencedStripped =
                SizeMeter.withoutEnvelope(referenced, DERIVED);

        // Without the envelope, only the payload's Avro encoding is left: a length and the bytes.
        for (int i = 0; i < 3; i++) {
            assertThat(fullStripped.get(i).value()).isEqualTo(payloadEncoding(i));
            assertThat(referencedStripped.get(i).value()).isEqualTo(payloadEncoding(i));
        }
        assertThat(SizeMeter.formatVersions(full, DERIVED)).containsExactly(1);
        assertThat(SizeMeter.formatVersions(referenced, DERIVED)).containsExactly(2);
        List<ConsumerRecord<byte[], byte[]>> mixed = new ArrayList<>(full);
        mixed.addAll(referenced);
        assertThat(SizeMeter.formatVersions(mixed, DERIVED)).containsExactly(1, 2);
    }

    @Test
    void referenceEnvelopeAddsLessMetadata() throws Exception {
        List<ConsumerRecord<byte[], byte[]>> full = sample(200, false);
        List<ConsumerRecord<byte[], byte[]>> referenced = sample(200, true);

        double fullMetadata =
                meter.bytesPerRecord(SizeMeter.asProducerRecords(full), "none")
                        - meter.bytesPerRecord(SizeMeter.withoutEnvelope(full, DERIVED), "none");
        double referenceMetadata =
                meter.bytesPerRecord(SizeMeter.asProducerRecords(referenced), "none")
                        - meter.bytesPerRecord(
                                SizeMeter.withoutEnvelope(referenced, DERIVED), "none");

        // Format version 2 drops the 184-byte EDEK and the key ARN for a 16-byte reference.
        assertThat(referenceMetadata).isPositive();
        assertThat(fullMetadata - referenceMetadata).isGreaterThan(184.0 - 16);
    }

    /** Encrypted records with envelopes of format version 2 if {@code reference}, else 1. */
    private static List<ConsumerRecord<byte[], byte[]>> sample(int count, boolean reference)
            throws Exception {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            records.add(encrypted(i, reference ? referenceEnvelope(i) : fullEnvelope(i)));
        }
        return records;
    }

    private static Envelope fullEnvelope(int i) {
        return new Envelope(
                KEY_ARN, bytes(184, 7), "org-" + i, bytes(12, i), bytes(16, i), id(i), 42L);
    }

    private static Envelope referenceEnvelope(int i) {
        return Envelope.withReference(
                bytes(16, 7), "org-" + i, bytes(12, i), bytes(16, i), id(i), 42L);
    }

    private static RecordId id(int i) {
        return new RecordId("records", i % 2, i / 2);
    }

    /** A record in single-object encoding with a 100-byte random payload and {@code envelope}. */
    private static ConsumerRecord<byte[], byte[]> encrypted(int i, Envelope envelope)
            throws Exception {
        GenericData.Record record = new GenericData.Record(DERIVED);
        record.put("payload", ByteBuffer.wrap(bytes(100, 1000 + i)));
        record.put(EnvelopeSchema.FIELD_NAME, envelope.toRecord());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[SingleObjectEncoding.HEADER_BYTES]);
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(DERIVED).write(record, encoder);
        encoder.flush();
        return new ConsumerRecord<>("out", i % 2, i / 2, null, out.toByteArray());
    }

    private static byte[] payloadEncoding(int i) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        encoder.writeBytes(bytes(100, 1000 + i));
        encoder.flush();
        return out.toByteArray();
    }

    private static byte[] bytes(int length, long seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static List<ProducerRecord<byte[], byte[]>> records(
            int count, int size, boolean random) {
        Random rng = new Random(1);
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] value = new byte[size];
            if (random) {
                rng.nextBytes(value);
            } else {
                byte[] text =
                        ("{\"status\":200,\"route\":\"/v1/orders\",\"n\":" + i + "}")
                                .repeat(size)
                                .getBytes(StandardCharsets.UTF_8);
                System.arraycopy(text, 0, value, 0, size);
            }
            records.add(new ProducerRecord<>("t", i % 2, null, null, value));
        }
        return records;
    }
}
