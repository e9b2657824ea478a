package io.cmekflink.deadletter;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;

/**
 * One dead letter, as written to the dead-letter topic in Avro single-object encoding with the
 * schema {@code schemas/dead-letter.avsc}.
 *
 * <p>The message names ids, paths and types, never a field value, and the payload follows {@link
 * PayloadKind}: a dead letter is never a plaintext copy of the marked fields.
 */
public record DeadLetter(
        Stage stage,
        ErrorCode errorCode,
        boolean retriable,
        String message,
        String orgId,
        String keyArn,
        String awsErrorCode,
        String awsRequestId,
        String sourceTopic,
        int sourcePartition,
        long sourceOffset,
        long sourceTimestamp,
        String recordIdTopic,
        int recordIdPartition,
        long recordIdOffset,
        long failedAt,
        int attempts,
        PayloadKind payloadKind,
        byte[] payload,
        Long retainUntil) {

    /** The Kafka header that marks a dead-letter value, and its value. */
    public static final String FORMAT_HEADER = "cmek-format";

    public static final String FORMAT = "cmek-flink/dead-letter-v1";

    public static final Schema SCHEMA = loadSchema();

    private static final BinaryMessageEncoder<GenericRecord> ENCODER =
            new BinaryMessageEncoder<>(GenericData.get(), SCHEMA);
    private static final BinaryMessageDecoder<GenericRecord> DECODER =
            new BinaryMessageDecoder<>(GenericData.get(), SCHEMA);
    private static final Schema RECORD_ID_SCHEMA =
            SCHEMA.getField("record_id").schema().getTypes().get(1);

    public DeadLetter {
        Objects.requireNonNull(stage, "stage");
        Objects.requireNonNull(errorCode, "errorCode");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(sourceTopic, "sourceTopic");
        Objects.requireNonNull(payloadKind, "payloadKind");
        if ((payload == null) != (payloadKind == PayloadKind.DROPPED)) {
            throw new IllegalArgumentException(
                    "a payload is required exactly when payloadKind is not DROPPED");
        }
    }

    /** Starts a dead letter for the record at the given source position. */
    public static Builder builder(
            Stage stage, ErrorCode code, String topic, int partition, long offset, long timestamp) {
        return new Builder(stage, code, topic, partition, offset, timestamp);
    }

    /** True when the payload can be fed back into the stage's input once the cause is fixed. */
    public boolean replayable() {
        return payloadKind != PayloadKind.DROPPED;
    }

    /** Encodes this dead letter in Avro single-object encoding. */
    public byte[] toBytes() {
        GenericRecord record = new GenericData.Record(SCHEMA);
        record.put("stage", enumSymbol("stage", stage.name()));
        record.put("error_code", enumSymbol("error_code", errorCode.name()));
        record.put("retriable", retriable);
        record.put("message", message);
        record.put("org_id", orgId);
        record.put("key_arn", keyArn);
        record.put("aws_error_code", awsErrorCode);
        record.put("aws_request_id", awsRequestId);
        record.put("source_topic", sourceTopic);
        record.put("source_partition", sourcePartition);
        record.put("source_offset", sourceOffset);
        record.put("source_timestamp", sourceTimestamp);
        if (recordIdTopic != null) {
            GenericRecord id = new GenericData.Record(RECORD_ID_SCHEMA);
            id.put("topic", recordIdTopic);
            id.put("partition", recordIdPartition);
            id.put("offset", recordIdOffset);
            record.put("record_id", id);
        }
        record.put("failed_at", failedAt);
        record.put("attempts", attempts);
        record.put("payload_kind", enumSymbol("payload_kind", payloadKind.name()));
        record.put("payload", payload == null ? null : ByteBuffer.wrap(payload));
        record.put("retain_until", retainUntil);
        try {
            return ENCODER.encode(record).array();
        } catch (IOException e) {
            throw new UncheckedIOException("encoding a dead letter failed", e);
        }
    }

    /**
     * Decodes a dead letter written by {@link #toBytes()}.
     *
     * @throws IOException when the bytes are not a dead letter of a known schema
     */
    public static DeadLetter fromBytes(byte[] bytes) throws IOException {
        GenericRecord r = DECODER.decode(bytes);
        GenericRecord id = (GenericRecord) r.get("record_id");
        ByteBuffer payload = (ByteBuffer) r.get("payload");
        byte[] payloadBytes = null;
        if (payload != null) {
            payloadBytes = new byte[payload.remaining()];
            payload.duplicate().get(payloadBytes);
        }
        return new DeadLetter(
                Stage.valueOf(r.get("stage").toString()),
                ErrorCode.valueOf(r.get("error_code").toString()),
                (Boolean) r.get("retriable"),
                r.get("message").toString(),
                stringOrNull(r.get("org_id")),
                stringOrNull(r.get("key_arn")),
                stringOrNull(r.get("aws_error_code")),
                stringOrNull(r.get("aws_request_id")),
                r.get("source_topic").toString(),
                (Integer) r.get("source_partition"),
                (Long) r.get("source_offset"),
                (Long) r.get("source_timestamp"),
                id == null ? null : id.get("topic").toString(),
                id == null ? -1 : (Integer) id.get("partition"),
                id == null ? -1 : (Long) id.get("offset"),
                (Long) r.get("failed_at"),
                (Integer) r.get("attempts"),
                PayloadKind.valueOf(r.get("payload_kind").toString()),
                payloadBytes,
                (Long) r.get("retain_until"));
    }

    private static Schema loadSchema() {
        try (InputStream in = DeadLetter.class.getResourceAsStream("/schemas/dead-letter.avsc")) {
            if (in == null) {
                throw new IllegalStateException("schemas/dead-letter.avsc is not on the classpath");
            }
            return new Schema.Parser().parse(in);
        } catch (IOException e) {
            throw new UncheckedIOException("reading schemas/dead-letter.avsc failed", e);
        }
    }

    private static GenericData.EnumSymbol enumSymbol(String field, String symbol) {
        return new GenericData.EnumSymbol(SCHEMA.getField(field).schema(), symbol);
    }

    private static String stringOrNull(Object value) {
        return value == null ? null : value.toString();
    }

    @Override
    public String toString() {
        return "DeadLetter["
                + stage
                + " "
                + errorCode
                + " org="
                + orgId
                + " source="
                + sourceTopic
                + "-"
                + sourcePartition
                + "@"
                + sourceOffset
                + " payload="
                + payloadKind
                + "]";
    }

    /** Builds a {@link DeadLetter}; the retriable flag defaults to the error code's. */
    public static final class Builder {
        private final Stage stage;
        private final ErrorCode code;
        private final String topic;
        private final int partition;
        private final long offset;
        private final long timestamp;
        private boolean retriable;
        private String message = "";
        private String orgId;
        private String keyArn;
        private String awsErrorCode;
        private String awsRequestId;
        private String recordIdTopic;
        private int recordIdPartition = -1;
        private long recordIdOffset = -1;
        private long failedAt = System.currentTimeMillis();
        private int attempts;
        private PayloadKind payloadKind = PayloadKind.DROPPED;
        private byte[] payload;
        private Long retainUntil;

        private Builder(
                Stage stage,
                ErrorCode code,
                String topic,
                int partition,
                long offset,
                long timestamp) {
            this.stage = stage;
            this.code = code;
            this.topic = topic;
            this.partition = partition;
            this.offset = offset;
            this.timestamp = timestamp;
            this.retriable = code.retriable();
        }

        public Builder message(String message) {
            this.message = message;
            return this;
        }

        public Builder retriable(boolean retriable) {
            this.retriable = retriable;
            return this;
        }

        public Builder orgId(String orgId) {
            this.orgId = orgId;
            return this;
        }

        public Builder keyArn(String keyArn) {
            this.keyArn = keyArn;
            return this;
        }

        public Builder awsError(String errorCode, String requestId) {
            this.awsErrorCode = errorCode;
            this.awsRequestId = requestId;
            return this;
        }

        public Builder recordId(String topic, int partition, long offset) {
            this.recordIdTopic = topic;
            this.recordIdPartition = partition;
            this.recordIdOffset = offset;
            return this;
        }

        public Builder failedAt(long failedAt) {
            this.failedAt = failedAt;
            return this;
        }

        public Builder attempts(int attempts) {
            this.attempts = attempts;
            return this;
        }

        public Builder payload(PayloadKind kind, byte[] payload, Long retainUntil) {
            this.payloadKind = kind;
            this.payload = payload;
            this.retainUntil = retainUntil;
            return this;
        }

        public DeadLetter build() {
            return new DeadLetter(
                    stage,
                    code,
                    retriable,
                    message,
                    orgId,
                    keyArn,
                    awsErrorCode,
                    awsRequestId,
                    topic,
                    partition,
                    offset,
                    timestamp,
                    recordIdTopic,
                    recordIdPartition,
                    recordIdOffset,
                    failedAt,
                    attempts,
                    payloadKind,
                    payload,
                    retainUntil);
        }
    }
}
