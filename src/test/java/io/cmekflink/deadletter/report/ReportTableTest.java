package io.cmekflink.deadletter.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.cmekflink.deadletter.DeadLetter;
import io.cmekflink.deadletter.ErrorCode;
import io.cmekflink.deadletter.Stage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ReportTableTest {

    @Test
    void controlCharactersShownAsQuestionMarks() {
        DeadLetterReport report = new DeadLetterReport("dl", DeadLetterFilter.all());
        DeadLetter letter =
                DeadLetterReportTest.letter(
                                Stage.RESOLVE, ErrorCode.NO_KEY_LINKED, "org\u001b[2J", 0)
                        .message("line one\nline two\u009b")
                        .build();
        report.accept(DeadLetterReportTest.record(0, 0, letter.toBytes(), DeadLetter.FORMAT));

        String table = write(report);

        assertThat(table).doesNotContain("\u001b", "\u009b", "line one\n");
        assertThat(table.split("\n"))
                .contains(
                        "org?[2J  NO_KEY_LINKED      1  false      2025-03-01T10:00:00Z "
                                + " 2025-03-01T10:00:00Z  -",
                        "  org?[2J NO_KEY_LINKED (stage RESOLVE): line one?line two?");
    }

    @Test
    void truncatedUnreadableListShowsTotal() {
        DeadLetterReport report = new DeadLetterReport("dl", DeadLetterFilter.all());
        byte[] garbage = "garbage".getBytes(StandardCharsets.UTF_8);
        for (long offset = 0; offset < 101; offset++) {
            report.accept(DeadLetterReportTest.record(1, offset, garbage, null));
        }

        String[] lines = write(report).split("\n");

        assertThat(lines[0]).isEqualTo("No dead letters matched.");
        assertThat(lines[2])
                .isEqualTo("Topic dl: 101 records read, 0 dead letters matched, 101 unreadable.");
        assertThat(lines[3]).isEqualTo("Unreadable records (first 100 of 101):");
        assertThat(lines).hasSize(104);
        assertThat(lines[103])
                .isEqualTo(
                        "  partition 1 offset 99: the value is not in Avro single-object encoding");
    }

    private static String write(DeadLetterReport report) {
        StringWriter text = new StringWriter();
        PrintWriter out = new PrintWriter(text);
        ReportTable.write(report, out);
        out.flush();
        return text.toString();
    }
}
