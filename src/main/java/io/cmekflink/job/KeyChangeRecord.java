package io.cmekflink.job;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * One record of the key-change topic, undecoded, with its position: the resolve step decodes and
 * validates it, and counts its offset towards the catch-up of the replay. A Flink POJO.
 */
public class KeyChangeRecord {
    public int partition;
    public long offset;
    public byte[] value;

    public KeyChangeRecord() {}

    /** Reads key-change records without decoding them, so that garbage cannot fail the source. */
    public static final class Deserializer
            implements KafkaRecordDeserializationSchema<KeyChangeRecord> {

        private static final long serialVersionUID = 1L;

        @Override
        public void deserialize(
                ConsumerRecord<byte[], byte[]> record, Collector<KeyChangeRecord> out) {
            KeyChangeRecord r = new KeyChangeRecord();
            r.partition = record.partition();
            r.offset = record.offset();
            r.value = record.value();
            out.collect(r);
        }

        @Override
        public TypeInformation<KeyChangeRecord> getProducedType() {
            return TypeInformation.of(KeyChangeRecord.class);
        }
    }
}
