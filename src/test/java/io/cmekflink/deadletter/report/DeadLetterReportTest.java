package io.cmekflink.deadletter.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.cmekflink.deadletter.DeadLetter;
import io.cmekflink.deadletter.ErrorCode;
import io.cmekflink.deadletter.Stage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

class DeadLetterReportTest {

    private static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");
    private static final String ARN_1 = "arn:aws:kms:eu-west-1:111122223333:key/k1";
    private static final String ARN_2 = "arn:aws:kms:eu-west-1:111122223333:key/k2";

    @Test
    void aggregatesPerOrgAndCode() {
        DeadLetterReport report = new DeadLetterReport("dl", DeadLetterFilter.all());
        feedSample(report);

        assertThat(report.topic()).isEqualTo("dl");
        assertThat(report.records()).isEqualTo(14);
        assertThat(report.matched()).isEqualTo(9);
        assertThat(report.unreadable()).isEqualTo(5);
        assertThat(report.orgs().keySet()).containsExactly("org-a", "org-b", "(none)");

        List<CodeSummary> orgA = report.orgs().get("org-a");
        assertThat(orgA)
                .extracting(CodeSummary::code)
                .containsExactly(
                        ErrorCode.KEY_DISABLED, ErrorCode.ACCESS_DENIED, ErrorCode.KMS_THROTTLED);

        CodeSummary disabled = orgA.get(0);
        assertThat(disabled.count()).isEqualTo(3);
        assertThat(disabled.retriable()).isEqualTo(Retriable.FALSE);
        assertThat(disabled.firstFailedAt()).isEqualTo(T0);
        assertThat(disabled.lastFailedAt()).isEqualTo(T0.plus(Duration.ofHours(2)));
        assertThat(disabled.stages()).containsExactly(Stage.ENCRYPT, Stage.DECRYPT);
        assertThat(disabled.keyArns()).containsExactly(ARN_1, ARN_2);
        assertThat(disabled.awsErrorCodes())
                .containsExactly("DisabledException", "KMSInvalidStateException");
        // Two dead letters share the latest failed_at: the higher partition wins.
        assertThat(disabled.latestMessage()).isEqualTo("Decrypt: key k1 is disabled");

        CodeSummary denied = orgA.get(1);
        assertThat(denied.count()).isEqualTo(2);
        assertThat(denied.retriable()).isEqualTo(Retriable.FALSE);
        assertThat(denied.keyArns()).containsExactly(ARN_2);
        assertThat(denied.latestMessage()).isEqualTo("denied at offset 4");

        CodeSummary throttled = orgA.get(2);
        assertThat(throttled.count()).isEqualTo(2);
        assertThat(throttled.retriable()).isEqualTo(Retriable.MIXED);
        assertThat(throttled.firstFailedAt()).isEqualTo(T0.plus(Duration.ofMinutes(10)));
        assertThat(throttled.lastFailedAt()).isEqualTo(T0.plus(Duration.ofMinutes(20)));
        assertThat(throttled.awsErrorCodes()).containsExactly("ThrottlingException");

        CodeSummary noLink = report.orgs().get("org-b").get(0);
        assertThat(report.orgs().get("org-b")).hasSize(1);
        assertThat(noLink.code()).isEqualTo(ErrorCode.NO_KEY_LINKED);
        assertThat(noLink.count()).isEqualTo(1);
        assertThat(noLink.stages()).containsExactly(Stage.RESOLVE);
        assertThat(noLink.keyArns()).isEmpty();
        assertThat(noLink.awsErrorCodes()).isEmpty();

        CodeSummary malformed = report.orgs().get("(none)").get(0);
        assertThat(malformed.code()).isEqualTo(ErrorCode.MALFORMED_RECORD);
        assertThat(malformed.stages()).containsExactly(Stage.PARSE);
    }

    @Test
    void unreadableRecordsByReason() {
        DeadLetterReport report = new DeadLetterReport("dl", DeadLetterFilter.all());
        feedSample(report);

        assertThat(report.unreadableRecords())
                .containsExactly(
                        new UnreadableRecord(0, 7, UnreadableReason.UNKNOWN_SCHEMA),
                        new UnreadableRecord(0, 8, UnreadableReason.INVALID_AVRO),
                        new UnreadableRecord(0, 9, UnreadableReason.NOT_SINGLE_OBJECT),
                        new UnreadableRecord(1, 5, UnreadableReason.NULL_VALUE),
                        new UnreadableRecord(1, 6, UnreadableReason.OTHER_FORMAT));
    }

    @Test
    void missingFormatHeaderStillDecodes() {
        DeadLetterReport report = new DeadLetterReport("dl", DeadLetterFilter.all());
        DeadLetter letter = letter(Stage.ENCRYPT, ErrorCode.KEY_DISABLED, "org-a", 0).build();

        report.accept(record(0, 0, letter.toBytes(), null));

        assertThat(report.matched()).isEqualTo(1);
        assertThat(report.unreadable()).isZero();
    }

    @Test
    void filterSelectsOrgsAndCodes() {
        DeadLetterReport report =
                new DeadLetterReport(
                        "dl",
                        new DeadLetterFilter(
                                Set.of("org-b", "(none)"),
                                Set.of(ErrorCode.NO_KEY_LINKED, ErrorCode.MALFORMED_RECORD),
                                null,
                                null));
        feedSample(report);

        assertThat(report.records()).isEqualTo(14);
        assertThat(report.matched()).isEqualTo(2);
        assertThat(report.unreadable()).isEqualTo(5);
        assertThat(report.orgs().keySet()).containsExactly("org-b", "(none)");
    }

    @Test
    void filterWindowIncludesSinceExcludesUntil() {
        DeadLetterReport report =
                new DeadLetterReport(
                        "dl",
                        new DeadLetterFilter(
                                Set.of("org-a"),
                                Set.of(),
                                T0.plus(Duration.ofMinutes(10)),
                                T0.plus(Duration.ofHours(2))));
        feedSample(report);

        assertThat(report.matched()).isEqualTo(4);
        List<CodeSummary> orgA = report.orgs().get("org-a");
        assertThat(orgA)
                .extracting(CodeSummary::code)
                .containsExactly(ErrorCode.ACCESS_DENIED, ErrorCode.KMS_THROTTLED);
        assertThat(orgA.get(1).firstFailedAt()).isEqualTo(T0.plus(Duration.ofMinutes(10)));
    }

    @Test
    void listsFirstHundredUnreadableByPosition() {
        DeadLetterReport report = new DeadLetterReport("dl", DeadLetterFilter.all());
        byte[] garbage = "not a dead letter".getBytes(StandardCharsets.UTF_8);
        for (long offset = 149; offset >= 0; offset--) {
            report.accept(record(0, offset, garbage, DeadLetter.FORMAT));
        }

        assertThat(report.unreadable()).isEqualTo(150);
        assertThat(report.unreadableRecords()).hasSize(100);
        assertThat(report.unreadableRecords().get(0).offset()).isZero();
        assertThat(report.unreadableRecords().get(99).offset()).isEqualTo(99);
    }

    @Test
    void emptyReportHasNoOrgs() {
        DeadLetterReport report = new DeadLetterReport("dl", DeadLetterFilter.all());

        assertThat(report.records()).isZero();
        assertThat(report.orgs()).isEmpty();
        assertThat(report.unreadableRecords()).isEmpty();
    }

    /**
     * Feeds 9 dead letters and 5 unreadable records: org-a has 3 KEY_DISABLED, 2 ACCESS_DENIED and
     * 2 KMS_THROTTLED (one retriable, one not), org-b 1 NO_KEY_LINKED, and one MALFORMED_RECORD has
     * no org.
     */
    static void feedSample(DeadLetterReport report) {
        feed(
                report,
                0,
                0,
                letter(Stage.ENCRYPT, ErrorCode.KEY_DISABLED, "org-a", 0)
                        .keyArn(ARN_1)
                        .awsError("DisabledException", "req-1")
                        .message("GenerateDataKey: key k1 is disabled"));
        feed(
                report,
                0,
                1,
                letter(Stage.ENCRYPT, ErrorCode.KEY_DISABLED, "org-a", 120)
                        .keyArn(ARN_2)
                        .awsError("DisabledException", "req-2")
                        .message("GenerateDataKey: key k2 is disabled"));
        feed(
                report,
                1,
                0,
                letter(Stage.DECRYPT, ErrorCode.KEY_DISABLED, "org-a", 120)
                        .keyArn(ARN_1)
                        .awsError("KMSInvalidStateException", "req-3")
                        .message("Decrypt: key k1 is disabled"));
        feed(
                report,
                0,
                2,
                letter(Stage.ENCRYPT, ErrorCode.KMS_THROTTLED, "org-a", 20)
                        .keyArn(ARN_1)
                        .awsError("ThrottlingException", "req-4")
                        .message("throttled, retries exhausted"));
        feed(
                report,
                0,
                3,
                letter(Stage.ENCRYPT, ErrorCode.KMS_THROTTLED, "org-a", 10)
                        .retriable(false)
                        .keyArn(ARN_1)
                        .awsError("ThrottlingException", "req-5")
                        .message("throttled"));
        feed(
                report,
                0,
                4,
                letter(Stage.ENCRYPT, ErrorCode.ACCESS_DENIED, "org-a", 60)
                        .keyArn(ARN_2)
                        .message("denied at offset 4"));
        feed(
                report,
                1,
                1,
                letter(Stage.ENCRYPT, ErrorCode.ACCESS_DENIED, "org-a", 30)
                        .keyArn(ARN_2)
                        .message("denied at offset 1"));
        feed(
                report,
                1,
                2,
                letter(Stage.RESOLVE, ErrorCode.NO_KEY_LINKED, "org-b", 30)
                        .message("no key link for org-b"));
        feed(
                report,
                1,
                3,
                letter(Stage.PARSE, ErrorCode.MALFORMED_RECORD, null, 5)
                        .message("value does not decode"));

        byte[] valid = letter(Stage.ENCRYPT, ErrorCode.KEY_DISABLED, "org-a", 0).build().toBytes();
        byte[] unknownFingerprint = valid.clone();
        unknownFingerprint[2] ^= 0x01;
        report.accept(record(0, 7, unknownFingerprint, DeadLetter.FORMAT));
        report.accept(record(0, 8, Arrays.copyOf(valid, 12), DeadLetter.FORMAT));
        report.accept(
                record(0, 9, "{\"org_id\":\"org-a\"}".getBytes(StandardCharsets.UTF_8), null));
        report.accept(record(1, 5, null, DeadLetter.FORMAT));
        report.accept(record(1, 6, valid, "cmek-flink/encrypted-v1"));
    }

    static DeadLetter.Builder letter(Stage stage, ErrorCode code, String orgId, int minutes) {
        return DeadLetter.builder(stage, code, "records", 0, 100L + minutes, 1L)
                .orgId(orgId)
                .failedAt(T0.plus(Duration.ofMinutes(minutes)).toEpochMilli());
    }

    private static void feed(
            DeadLetterReport report, int partition, long offset, DeadLetter.Builder letter) {
        report.accept(record(partition, offset, letter.build().toBytes(), DeadLetter.FORMAT));
    }

    static ConsumerRecord<byte[], byte[]> record(
            int partition, long offset, byte[] value, String format) {
        RecordHeaders headers = new RecordHeaders();
        if (format != null) {
            headers.add(DeadLetter.FORMAT_HEADER, format.getBytes(StandardCharsets.UTF_8));
        }
        return new ConsumerRecord<>(
                "dl",
                partition,
                offset,
                0L,
                TimestampType.CREATE_TIME,
                -1,
                value == null ? -1 : value.length,
                null,
                value,
                headers,
                Optional.empty());
    }
}
