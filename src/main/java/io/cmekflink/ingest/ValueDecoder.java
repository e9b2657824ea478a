package io.cmekflink.ingest;

import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;

/**
 * Turns a Kafka record value into a record of a configured writer schema.
 *
 * <p>An implementation may reuse scratch state between calls, so one instance serves one thread at
 * a time, such as one per Flink subtask. Create one per thread instead of sharing it.
 */
public interface ValueDecoder {

    /**
     * Decodes one record value.
     *
     * @param value the Kafka record value; null (a tombstone) is rejected
     * @return a new record that the caller owns; the decoder does not reuse it
     * @throws IngestException when the value is not a record of a writer schema
     */
    GenericRecord decode(byte[] value) throws IngestException;

    /** Returns the writer schemas that decoded records can have, in configuration order. */
    List<Schema> writerSchemas();

    /** Returns the format this decoder reads. */
    ValueFormat format();
}
