package io.cmekflink.job;

import java.nio.charset.StandardCharsets;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

/** Writes {@link OutputRecord}s to one topic with their key, headers and format header. */
public final class OutputRecordSerializer implements KafkaRecordSerializationSchema<OutputRecord> {

    private static final long serialVersionUID = 1L;

    private final String topic;

    public OutputRecordSerializer(String topic) {
        this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(
            OutputRecord record, KafkaSinkContext context, Long timestamp) {
        RecordHeaders headers = new RecordHeaders();
        if (record.headerKeys != null) {
            for (int i = 0; i < record.headerKeys.length; i++) {
                headers.add(record.headerKeys[i], record.headerValues[i]);
            }
        }
        if (record.format != null) {
            headers.add(
                    SourceRecordDeserializer.FORMAT_HEADER,
                    record.format.getBytes(StandardCharsets.UTF_8));
        }
        Long ts = record.timestamp > 0 ? record.timestamp : timestamp;
        return new ProducerRecord<>(topic, null, ts, record.key, record.value, headers);
    }
}
