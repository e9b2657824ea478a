package io.cmekflink.local.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

class SizeMeterTest {

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
