package io.cmekflink.job;

import io.cmekflink.deadletter.DeadLetter;
import io.cmekflink.deadletter.ErrorCode;
import io.cmekflink.deadletter.Stage;
import org.apache.flink.util.OutputTag;

/** Builds the sink records of dead letters. */
final class DeadLetters {

    /** The side output that carries dead letters to the dead-letter sink. */
    static final OutputTag<OutputRecord> TAG =
            new OutputTag<>(
                    "dead-letters",
                    org.apache.flink.api.common.typeinfo.TypeInformation.of(OutputRecord.class));

    private DeadLetters() {}

    /** Starts a dead letter for a parsed record; the payload is dropped unless set. */
    static DeadLetter.Builder of(Stage stage, ErrorCode code, ParsedRecord record) {
        return DeadLetter.builder(
                        stage,
                        code,
                        record.topic,
                        record.partition,
                        record.offset,
                        record.timestamp)
                .orgId(record.orgId)
                .recordId(record.recordIdTopic, record.recordIdPartition, record.recordIdOffset);
    }

    /** Starts a dead letter for a record that did not parse. */
    static DeadLetter.Builder of(Stage stage, ErrorCode code, SourceRecord record) {
        return DeadLetter.builder(
                stage, code, record.topic, record.partition, record.offset, record.timestamp);
    }

    static OutputRecord output(
            DeadLetter letter, byte[] key, String[] headerKeys, byte[][] headerValues) {
        OutputRecord out = new OutputRecord();
        out.deadLetter = true;
        out.key = key;
        out.value = letter.toBytes();
        out.format = DeadLetter.FORMAT;
        out.headerKeys = headerKeys;
        out.headerValues = headerValues;
        out.timestamp = letter.sourceTimestamp();
        out.orgId = letter.orgId();
        out.errorCode = letter.errorCode().name();
        return out;
    }

    static OutputRecord output(DeadLetter letter, ParsedRecord record) {
        return output(letter, record.key, record.headerKeys, record.headerValues);
    }

    static OutputRecord output(DeadLetter letter, SourceRecord record) {
        return output(letter, record.key, record.headerKeys, record.headerValues);
    }
}
