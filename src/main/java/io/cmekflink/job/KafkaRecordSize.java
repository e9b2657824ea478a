package io.cmekflink.job;

import java.nio.charset.StandardCharsets;

/**
 * Upper bound of the bytes that one output record takes on the broker, so that the encrypt step can
 * dead-letter a record that the output topic would reject instead of failing the sink.
 *
 * <p>The broker compares the size of a whole record batch with the topic's {@code
 * max.message.bytes}, and the producer compares its own uncompressed estimate with {@code
 * max.request.size}. A batch of one record in message format v2 (the only format of Kafka 4) is the
 * 61-byte batch header plus the record. The record is a varint length, an attributes byte, a
 * varlong timestamp delta and a varint offset delta, then the key and the value with varint
 * lengths, then a varint header count and each header's key and value with varint lengths. Each
 * varint is counted at its maximum of 5 bytes and the varlong at 10.
 *
 * <p>Compression can make a batch of ciphertext larger than its input. Kafka's lz4 codec writes
 * blocks of 64 KiB with a 4-byte header each, and zstd and gzip add less per byte, so {@link
 * #compressionAllowance} adds 4 bytes per started 16 KiB plus 64 bytes. NOTE: this allowance is an
 * estimate from those codecs' framing; snappy's worst case for incompressible input is larger.
 */
final class KafkaRecordSize {

    /** {@code DefaultRecordBatch.RECORD_BATCH_OVERHEAD} of kafka-clients 4.2.0. */
    static final int BATCH_HEADER_BYTES = 61;

    private static final int MAX_VARINT_BYTES = 5;
    private static final int MAX_VARLONG_BYTES = 10;

    /** Length, attributes, timestamp delta, offset delta, key and value lengths, header count. */
    private static final int RECORD_FRAMING_BYTES =
            MAX_VARINT_BYTES + 1 + MAX_VARLONG_BYTES + MAX_VARINT_BYTES + 3 * MAX_VARINT_BYTES;

    private KafkaRecordSize() {}

    /** Returns the upper bound, in bytes, of a batch that holds only {@code record}. */
    static long upperBound(OutputRecord record) {
        long bytes = BATCH_HEADER_BYTES + RECORD_FRAMING_BYTES;
        bytes += length(record.key) + length(record.value);
        if (record.headerKeys != null) {
            for (int i = 0; i < record.headerKeys.length; i++) {
                bytes += header(record.headerKeys[i], record.headerValues[i]);
            }
        }
        if (record.format != null) {
            bytes +=
                    header(
                            SourceRecordDeserializer.FORMAT_HEADER,
                            record.format.getBytes(StandardCharsets.UTF_8));
        }
        return bytes + compressionAllowance(bytes);
    }

    /** Returns the bytes that compression framing may add to a batch of {@code bytes}. */
    static long compressionAllowance(long bytes) {
        long blocks = (bytes + (16 << 10) - 1) / (16 << 10);
        return 4 * blocks + 64;
    }

    private static long header(String key, byte[] value) {
        return 2 * MAX_VARINT_BYTES + key.getBytes(StandardCharsets.UTF_8).length + length(value);
    }

    private static int length(byte[] bytes) {
        return bytes == null ? 0 : bytes.length;
    }
}
