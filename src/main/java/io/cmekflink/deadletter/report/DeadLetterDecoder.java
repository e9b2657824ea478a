package io.cmekflink.deadletter.report;

import io.cmekflink.deadletter.DeadLetter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.MissingSchemaException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * Decodes the records of a dead-letter topic. A record is a dead letter when its value decodes as
 * {@link DeadLetter}; the {@code cmek-format} header may be absent, but a header that names another
 * format makes the record unreadable.
 */
final class DeadLetterDecoder {

    /** Either a dead letter or the reason why the record is not one. */
    record Result(DeadLetter letter, UnreadableReason reason) {}

    private DeadLetterDecoder() {}

    static Result decode(ConsumerRecord<byte[], byte[]> record) {
        if (record.value() == null) {
            return new Result(null, UnreadableReason.NULL_VALUE);
        }
        Header format = record.headers().lastHeader(DeadLetter.FORMAT_HEADER);
        if (format != null && !isDeadLetterFormat(format.value())) {
            return new Result(null, UnreadableReason.OTHER_FORMAT);
        }
        try {
            return new Result(DeadLetter.fromBytes(record.value()), null);
        } catch (BadHeaderException e) {
            return new Result(null, UnreadableReason.NOT_SINGLE_OBJECT);
        } catch (MissingSchemaException e) {
            return new Result(null, UnreadableReason.UNKNOWN_SCHEMA);
        } catch (IOException | RuntimeException e) {
            // Any bytes can sit on the topic: a decoding failure of any kind makes the record
            // unreadable and must not end the report. The exception's message is dropped, since
            // it can quote bytes of the value.
            return new Result(null, UnreadableReason.INVALID_AVRO);
        }
    }

    private static boolean isDeadLetterFormat(byte[] value) {
        return value != null && DeadLetter.FORMAT.equals(new String(value, StandardCharsets.UTF_8));
    }
}
