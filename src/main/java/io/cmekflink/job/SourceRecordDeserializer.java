package io.cmekflink.job;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * Turns a Kafka record into a {@link SourceRecord} without looking at its value, so that no input,
 * however malformed, can fail the source. Keeps only allowlisted headers and notes the {@code
 * cmek-format} header.
 */
public final class SourceRecordDeserializer
        implements KafkaRecordDeserializationSchema<SourceRecord> {

    private static final long serialVersionUID = 1L;

    /** The Kafka header that names the format of a value written by cmek-flink. */
    public static final String FORMAT_HEADER = "cmek-format";

    /**
     * The Kafka header with which replay restores a record's id, as {@code topic/partition/offset}.
     */
    public static final String RECORD_ID_HEADER = "cmek-record-id";

    private final Set<String> headerAllowlist;

    public SourceRecordDeserializer(Set<String> headerAllowlist) {
        this.headerAllowlist = Set.copyOf(headerAllowlist);
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<SourceRecord> out) {
        SourceRecord r = new SourceRecord();
        r.topic = record.topic();
        r.partition = record.partition();
        r.offset = record.offset();
        r.timestamp = record.timestamp();
        r.key = record.key();
        r.value = record.value();
        List<String> keys = new ArrayList<>();
        List<byte[]> values = new ArrayList<>();
        for (Header header : record.headers()) {
            if (header.key().equals(FORMAT_HEADER) && header.value() != null) {
                r.format = new String(header.value(), StandardCharsets.UTF_8);
            } else if (header.key().equals(RECORD_ID_HEADER) && header.value() != null) {
                r.recordId = new String(header.value(), StandardCharsets.UTF_8);
            } else if (headerAllowlist.contains(header.key())) {
                keys.add(header.key());
                values.add(header.value());
            }
        }
        r.headerKeys = keys.toArray(new String[0]);
        r.headerValues = values.toArray(new byte[0][]);
        out.collect(r);
    }

    @Override
    public TypeInformation<SourceRecord> getProducedType() {
        return TypeInformation.of(SourceRecord.class);
    }
}
