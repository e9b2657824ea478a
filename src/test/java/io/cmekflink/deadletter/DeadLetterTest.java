package io.cmekflink.deadletter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.junit.jupiter.api.Test;

class DeadLetterTest {

    @Test
    void schemaEnumMatchesErrorCodes() {
        Schema codes = DeadLetter.SCHEMA.getField("error_code").schema();
        assertThat(codes.getEnumSymbols())
                .containsExactlyElementsOf(
                        Arrays.stream(ErrorCode.values()).map(Enum::name).toList());
        assertThat(codes.getEnumDefault()).isEqualTo("UNKNOWN");
        assertThat(codes.getEnumSymbols()).hasSize(21);
        assertThat(DeadLetter.SCHEMA.getField("stage").schema().getEnumSymbols())
                .containsExactlyElementsOf(Arrays.stream(Stage.values()).map(Enum::name).toList());
    }

    @Test
    void olderReaderReadsNewCodeAsUnknown() throws Exception {
        // The schema before the data-key codes were appended.
        String json =
                DeadLetter.SCHEMA
                        .toString()
                        .replace(",\"DATA_KEY_NOT_FOUND\",\"DATA_KEY_UNAVAILABLE\"", "");
        Schema older = new Schema.Parser().parse(json);
        assertThat(older.getField("error_code").schema().getEnumSymbols()).hasSize(19);
        byte[] bytes =
                DeadLetter.builder(
                                Stage.DECRYPT, ErrorCode.DATA_KEY_NOT_FOUND, "records", 0, 1L, 2L)
                        .message("entry deleted")
                        .build()
                        .toBytes();

        BinaryMessageDecoder<GenericRecord> decoder =
                new BinaryMessageDecoder<>(GenericData.get(), older);
        decoder.addSchema(DeadLetter.SCHEMA);

        GenericRecord read = decoder.decode(bytes);

        assertThat(read.get("error_code").toString()).isEqualTo("UNKNOWN");
    }

    @Test
    void roundTripKeepsEveryField() throws Exception {
        DeadLetter letter =
                DeadLetter.builder(Stage.ENCRYPT, ErrorCode.KMS_THROTTLED, "records", 3, 42L, 7L)
                        .message("GenerateDataKey throttled")
                        .orgId("org-1")
                        .keyArn("arn:aws:kms:eu-west-1:111122223333:key/k")
                        .awsError("ThrottlingException", "req-1")
                        .recordId("records", 3, 40L)
                        .failedAt(99L)
                        .attempts(4)
                        .build();
        DeadLetter back = DeadLetter.fromBytes(letter.toBytes());
        assertThat(back.stage()).isEqualTo(Stage.ENCRYPT);
        assertThat(back.errorCode()).isEqualTo(ErrorCode.KMS_THROTTLED);
        assertThat(back.retriable()).isTrue();
        assertThat(back.message()).isEqualTo("GenerateDataKey throttled");
        assertThat(back.orgId()).isEqualTo("org-1");
        assertThat(back.keyArn()).isEqualTo("arn:aws:kms:eu-west-1:111122223333:key/k");
        assertThat(back.awsErrorCode()).isEqualTo("ThrottlingException");
        assertThat(back.awsRequestId()).isEqualTo("req-1");
        assertThat(back.sourceTopic()).isEqualTo("records");
        assertThat(back.sourcePartition()).isEqualTo(3);
        assertThat(back.sourceOffset()).isEqualTo(42L);
        assertThat(back.sourceTimestamp()).isEqualTo(7L);
        assertThat(back.recordIdOffset()).isEqualTo(40L);
        assertThat(back.failedAt()).isEqualTo(99L);
        assertThat(back.attempts()).isEqualTo(4);
        assertThat(back.payloadKind()).isEqualTo(PayloadKind.DROPPED);
        assertThat(back.payload()).isNull();
        assertThat(back.replayable()).isFalse();
    }

    @Test
    void payloadRequiredExactlyWhenNotDropped() {
        assertThatThrownBy(
                        () ->
                                DeadLetter.builder(
                                                Stage.PARSE,
                                                ErrorCode.MALFORMED_RECORD,
                                                "t",
                                                0,
                                                0,
                                                0)
                                        .payload(PayloadKind.SEALED, null, null)
                                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a payload is required exactly when payloadKind is not DROPPED");
    }

    @Test
    void revocationCodesAreNotRetriable() {
        for (ErrorCode code : ErrorCode.values()) {
            if (code.isRevocation()) {
                assertThat(code.retriable()).as(code.name()).isFalse();
            }
        }
        assertThat(
                        Arrays.stream(ErrorCode.values())
                                .filter(ErrorCode::isRevocation)
                                .map(Enum::name))
                .containsExactly(
                        "KEY_DISABLED", "KEY_PENDING_DELETION", "KEY_NOT_FOUND", "ACCESS_DENIED");
    }
}
