package io.cmekflink.local.bench;

import io.cmekflink.schema.EnvelopeSchema;
import io.cmekflink.schema.SingleObjectEncoding;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.record.AbstractRecords;
import org.apache.kafka.common.record.CompressionRatioEstimator;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.MemoryRecordsBuilder;
import org.apache.kafka.common.record.RecordBatch;
import org.apache.kafka.common.record.TimestampType;

/**
 * Measures bytes per record as the broker stores them. Records are packed into record batches
 * partition by partition, in offset order, the way the Kafka producer (kafka-clients 4.2) packs
 * them: a batch takes records while {@link MemoryRecordsBuilder#hasRoomFor} allows within {@code
 * batch.size} (the job's sink default of 262,144 bytes unless set), with the producer's running
 * estimate of the compression ratio ({@link CompressionRatioEstimator}). That is what a producer at
 * full throughput writes; below it, {@code linger.ms} may close batches early and make them
 * compress worse. The size includes Kafka's batch and record headers, so it is what a topic's
 * retention costs. The job's own output topic is measured on the broker instead ({@link
 * #logBytes}), as a cross-check.
 */
final class SizeMeter {

    /** The {@code batch.size} of the job's sinks unless the job file sets one. */
    static final int DEFAULT_BATCH_SIZE = io.cmekflink.job.Jobs.SINK_BATCH_BYTES;

    private final BenchSetup setup;
    private int measurements;

    SizeMeter(BenchSetup setup) {
        this.setup = setup;
    }

    /** Bytes per record of the sample under {@code compression} (none, lz4, zstd). */
    double bytesPerRecord(List<ProducerRecord<byte[], byte[]>> sample, String compression) {
        return bytesPerRecord(sample, compression, DEFAULT_BATCH_SIZE);
    }

    /** Bytes per record of the sample under {@code compression} and {@code batchSize}. */
    double bytesPerRecord(
            List<ProducerRecord<byte[], byte[]>> sample, String compression, int batchSize) {
        CompressionType type = CompressionType.forName(compression);
        Compression codec = Compression.of(type).build();
        // The estimator keeps one ratio per topic name; a name per measurement starts it afresh.
        String estimatorKey = "bench-size-" + (++measurements);
        Map<Integer, List<ProducerRecord<byte[], byte[]>>> byPartition = new TreeMap<>();
        for (ProducerRecord<byte[], byte[]> r : sample) {
            byPartition.computeIfAbsent(r.partition(), p -> new ArrayList<>()).add(r);
        }
        long bytes = 0;
        for (List<ProducerRecord<byte[], byte[]>> records : byPartition.values()) {
            MemoryRecordsBuilder batch = null;
            for (ProducerRecord<byte[], byte[]> r : records) {
                Header[] headers = r.headers().toArray();
                long timestamp = r.timestamp() == null ? 0 : r.timestamp();
                if (batch == null || !batch.hasRoomFor(timestamp, r.key(), r.value(), headers)) {
                    bytes += close(batch, estimatorKey, type);
                    int size =
                            Math.max(
                                    batchSize,
                                    AbstractRecords.estimateSizeInBytesUpperBound(
                                            RecordBatch.CURRENT_MAGIC_VALUE,
                                            type,
                                            r.key(),
                                            r.value(),
                                            headers));
                    batch =
                            MemoryRecords.builder(
                                    ByteBuffer.allocate(size),
                                    RecordBatch.CURRENT_MAGIC_VALUE,
                                    codec,
                                    TimestampType.CREATE_TIME,
                                    0L);
                    batch.setEstimatedCompressionRatio(
                            CompressionRatioEstimator.estimation(estimatorKey, type));
                }
                batch.append(timestamp, r.key(), r.value(), headers);
            }
            bytes += close(batch, estimatorKey, type);
        }
        return bytes / (double) sample.size();
    }

    private static long close(
            MemoryRecordsBuilder batch, String estimatorKey, CompressionType type) {
        if (batch == null) {
            return 0;
        }
        batch.close();
        CompressionRatioEstimator.updateEstimation(
                estimatorKey, type, (float) batch.compressionRatio());
        return batch.build().sizeInBytes();
    }

    /** Returns the size of a topic's log on the broker, all partitions, in bytes. */
    long logBytes(String topic) throws Exception {
        try (Admin admin = Admin.create(setup.kafka().clientProperties())) {
            int broker = admin.describeCluster().nodes().get().iterator().next().id();
            Map<String, LogDirDescription> dirs =
                    admin.describeLogDirs(List.of(broker))
                            .descriptions()
                            .get(broker)
                            .get(30, TimeUnit.SECONDS);
            long total = 0;
            for (LogDirDescription dir : dirs.values()) {
                for (Map.Entry<TopicPartition, ReplicaInfo> e : dir.replicaInfos().entrySet()) {
                    if (e.getKey().topic().equals(topic)) {
                        total += e.getValue().size();
                    }
                }
            }
            return total;
        }
    }

    /** Producer records of a read sample, with their key, value, headers and partition. */
    static List<ProducerRecord<byte[], byte[]>> asProducerRecords(
            List<ConsumerRecord<byte[], byte[]>> sample) {
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(sample.size());
        for (ConsumerRecord<byte[], byte[]> r : sample) {
            records.add(
                    new ProducerRecord<>(
                            r.topic(), r.partition(), null, r.key(), r.value(), r.headers()));
        }
        return records;
    }

    /**
     * Returns the encrypted records without what encryption adds: each value is the derived record
     * without its envelope field, in plain Avro binary (no single-object header), and the {@code
     * cmek-format} header is gone. The marked fields keep their ciphertext, which is random bytes
     * of the length of the plaintext's encoding. So the difference in size between the encrypted
     * records and these is the envelope and framing, compressed as the batch allows. Both envelope
     * format versions have the same Avro schema, so records of either, or of both, are stripped
     * alike.
     */
    static List<ProducerRecord<byte[], byte[]>> withoutEnvelope(
            List<ConsumerRecord<byte[], byte[]>> encrypted, Schema derivedSchema) {
        Schema stripped = withoutEnvelopeField(derivedSchema);
        GenericDatumReader<GenericRecord> reader = new GenericDatumReader<>(derivedSchema);
        GenericDatumWriter<GenericRecord> writer = new GenericDatumWriter<>(stripped);
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(encrypted.size());
        for (ConsumerRecord<byte[], byte[]> r : encrypted) {
            byte[] value = r.value();
            try {
                GenericRecord derived = decode(reader, value);
                GenericData.Record out = new GenericData.Record(stripped);
                for (Schema.Field f : stripped.getFields()) {
                    out.put(f.name(), derived.get(f.name()));
                }
                ByteArrayOutputStream bytes = new ByteArrayOutputStream(value.length);
                BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(bytes, null);
                writer.write(out, encoder);
                encoder.flush();
                records.add(
                        new ProducerRecord<>(
                                r.topic(), r.partition(), null, r.key(), bytes.toByteArray()));
            } catch (IOException e) {
                throw new UncheckedIOException(
                        "encrypted record at offset " + r.offset() + " does not decode", e);
            }
        }
        return records;
    }

    /**
     * Returns the envelope format versions that the encrypted records carry: 1 for the key ARN and
     * EDEK, 2 for a data-key reference.
     */
    static SortedSet<Integer> formatVersions(
            List<ConsumerRecord<byte[], byte[]>> encrypted, Schema derivedSchema) {
        GenericDatumReader<GenericRecord> reader = new GenericDatumReader<>(derivedSchema);
        SortedSet<Integer> versions = new TreeSet<>();
        for (ConsumerRecord<byte[], byte[]> r : encrypted) {
            try {
                GenericRecord envelope =
                        (GenericRecord) decode(reader, r.value()).get(EnvelopeSchema.FIELD_NAME);
                versions.add((Integer) envelope.get(EnvelopeSchema.FORMAT_VERSION_FIELD));
            } catch (IOException e) {
                throw new UncheckedIOException(
                        "encrypted record at offset " + r.offset() + " does not decode", e);
            }
        }
        return versions;
    }

    /** Decodes a derived record in single-object encoding. */
    private static GenericRecord decode(GenericDatumReader<GenericRecord> reader, byte[] value)
            throws IOException {
        return reader.read(
                null,
                DecoderFactory.get()
                        .binaryDecoder(
                                value,
                                SingleObjectEncoding.HEADER_BYTES,
                                value.length - SingleObjectEncoding.HEADER_BYTES,
                                null));
    }

    private static Schema withoutEnvelopeField(Schema derived) {
        List<Schema.Field> fields = new ArrayList<>();
        for (Schema.Field f : derived.getFields()) {
            if (!f.name().equals(EnvelopeSchema.FIELD_NAME)) {
                fields.add(new Schema.Field(f, f.schema()));
            }
        }
        return Schema.createRecord(
                derived.getName() + "WithoutEnvelope", null, derived.getNamespace(), false, fields);
    }
}
