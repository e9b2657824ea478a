package io.cmekflink.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.AbstractRecords;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.RecordBatch;
import org.apache.kafka.common.record.SimpleRecord;
import org.junit.jupiter.api.Test;

class KafkaRecordSizeTest {

    @Test
    void upperBoundAddsFramingToContent() {
        OutputRecord record = record(new byte[10], new byte[1000]);

        // 61 batch header, 36 record framing, 10 key, 1000 value, then the header x-request-id
        // (10 + 12 + 4) and the format header cmek-format (10 + 11 + 13).
        long content = 61 + 36 + 10 + 1000 + 26 + 34;
        assertThat(KafkaRecordSize.upperBound(record))
                .isEqualTo(content + KafkaRecordSize.compressionAllowance(content));
    }

    @Test
    void compressionAllowanceGrowsPerBlock() {
        assertThat(KafkaRecordSize.compressionAllowance(1)).isEqualTo(68);
        assertThat(KafkaRecordSize.compressionAllowance(16 << 10)).isEqualTo(68);
        assertThat(KafkaRecordSize.compressionAllowance((16 << 10) + 1)).isEqualTo(72);
        assertThat(KafkaRecordSize.compressionAllowance(1 << 20)).isEqualTo(4 * 64 + 64);
    }

    /**
     * Random bytes do not compress, like ciphertext, so a compressed batch is larger than its
     * content. The bound must still cover batches without compression and with lz4, zstd and gzip.
     */
    @Test
    void upperBoundCoversRealBatches() {
        Random random = new Random(7);
        for (int size : List.of(0, 100, 20_000, 1 << 20)) {
            byte[] key = new byte[16];
            byte[] value = new byte[size];
            random.nextBytes(key);
            random.nextBytes(value);
            OutputRecord record = record(key, value);
            long bound = KafkaRecordSize.upperBound(record);

            for (Compression compression :
                    List.of(
                            Compression.NONE,
                            Compression.lz4().build(),
                            Compression.zstd().build(),
                            Compression.gzip().build())) {
                MemoryRecords batch =
                        MemoryRecords.withRecords(
                                compression,
                                new SimpleRecord(
                                        System.currentTimeMillis(), key, value, headers(record)));
                assertThat(batch.sizeInBytes())
                        .as("%s batch of a %d-byte value", compression.type(), size)
                        .isLessThanOrEqualTo((int) bound);
            }
            int producerEstimate =
                    AbstractRecords.estimateSizeInBytesUpperBound(
                            RecordBatch.CURRENT_MAGIC_VALUE,
                            CompressionType.LZ4,
                            key,
                            value,
                            headers(record));
            assertThat(producerEstimate)
                    .as("producer's estimate for a %d-byte value", size)
                    .isLessThanOrEqualTo((int) bound);
        }
    }

    private static OutputRecord record(byte[] key, byte[] value) {
        OutputRecord record = new OutputRecord();
        record.key = key;
        record.value = value;
        record.format = "cmek-flink/v1";
        record.headerKeys = new String[] {"x-request-id"};
        record.headerValues = new byte[][] {"r-42".getBytes(StandardCharsets.UTF_8)};
        return record;
    }

    private static Header[] headers(OutputRecord record) {
        return new Header[] {
            new RecordHeader(record.headerKeys[0], record.headerValues[0]),
            new RecordHeader(
                    SourceRecordDeserializer.FORMAT_HEADER,
                    record.format.getBytes(StandardCharsets.UTF_8))
        };
    }
}
