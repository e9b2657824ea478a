package io.cmekflink.deadletter.report;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes a {@link DeadLetterReport} as text for a terminal: one aligned row per org and error code,
 * the latest message of each row, then a summary line and the unreadable records.
 *
 * <p>Org ids, key ARNs and messages come from the records, so control characters in them are shown
 * as {@code ?}: a record cannot move the cursor or recolour the terminal.
 */
public final class ReportTable {

    private static final String[] HEADER = {
        "ORG", "CODE", "COUNT", "RETRIABLE", "FIRST SEEN", "LAST SEEN", "KEY ARN"
    };
    private static final int COUNT_COLUMN = 2;
    private static final String GAP = "  ";

    private ReportTable() {}

    public static void write(DeadLetterReport report, PrintWriter out) {
        Map<String, List<CodeSummary>> orgs = report.orgs();
        if (orgs.isEmpty()) {
            out.println("No dead letters matched.");
        } else {
            writeRows(rows(orgs), out);
            out.println();
            writeLatestMessages(orgs, out);
        }
        out.println();
        writeTotals(report, out);
    }

    private static List<String[]> rows(Map<String, List<CodeSummary>> orgs) {
        List<String[]> rows = new ArrayList<>();
        rows.add(HEADER);
        orgs.forEach(
                (org, summaries) -> {
                    for (CodeSummary summary : summaries) {
                        addRows(rows, org, summary);
                    }
                });
        return rows;
    }

    /** Adds a row for the summary, and a row with only the key ARN for each further key ARN. */
    private static void addRows(List<String[]> rows, String org, CodeSummary summary) {
        List<String> arns = new ArrayList<>(summary.keyArns());
        rows.add(
                new String[] {
                    org,
                    summary.code().name(),
                    Long.toString(summary.count()),
                    summary.retriable().toString(),
                    summary.firstFailedAt().toString(),
                    summary.lastFailedAt().toString(),
                    arns.isEmpty() ? "-" : arns.get(0)
                });
        for (String arn : arns.subList(Math.min(1, arns.size()), arns.size())) {
            rows.add(new String[] {"", "", "", "", "", "", arn});
        }
    }

    private static void writeRows(List<String[]> rows, PrintWriter out) {
        int[] widths = new int[HEADER.length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                row[i] = printable(row[i]);
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                if (i > 0) {
                    line.append(GAP);
                }
                String padding = " ".repeat(widths[i] - row[i].length());
                line.append(
                        i == COUNT_COLUMN && row != HEADER ? padding + row[i] : row[i] + padding);
            }
            out.println(line.toString().stripTrailing());
        }
    }

    private static void writeLatestMessages(Map<String, List<CodeSummary>> orgs, PrintWriter out) {
        out.println("Latest message per org and code:");
        orgs.forEach(
                (org, summaries) -> {
                    for (CodeSummary summary : summaries) {
                        out.println(
                                "  "
                                        + printable(org)
                                        + " "
                                        + summary.code()
                                        + " ("
                                        + context(summary)
                                        + "): "
                                        + printable(summary.latestMessage()));
                    }
                });
    }

    /** Returns the stages and AWS error codes of a summary, such as {@code ENCRYPT; AWS ...}. */
    private static String context(CodeSummary summary) {
        StringBuilder text = new StringBuilder("stage ");
        text.append(String.join(", ", summary.stages().stream().map(Enum::name).toList()));
        if (!summary.awsErrorCodes().isEmpty()) {
            text.append("; AWS error ").append(String.join(", ", summary.awsErrorCodes()));
        }
        return printable(text.toString());
    }

    private static void writeTotals(DeadLetterReport report, PrintWriter out) {
        out.println(
                "Topic "
                        + printable(report.topic())
                        + ": "
                        + report.records()
                        + " records read, "
                        + report.matched()
                        + " dead letters matched, "
                        + report.unreadable()
                        + " unreadable.");
        List<UnreadableRecord> listed = report.unreadableRecords();
        if (listed.isEmpty()) {
            return;
        }
        out.println(
                listed.size() == report.unreadable()
                        ? "Unreadable records:"
                        : "Unreadable records (first "
                                + listed.size()
                                + " of "
                                + report.unreadable()
                                + "):");
        for (UnreadableRecord record : listed) {
            out.println(
                    "  partition "
                            + record.partition()
                            + " offset "
                            + record.offset()
                            + ": "
                            + record.reason().description());
        }
    }

    /** Replaces ISO control characters (C0, DEL and C1) with {@code ?}. */
    static String printable(String text) {
        StringBuilder result = new StringBuilder(text.length());
        text.codePoints().forEach(c -> result.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return result.toString();
    }
}
