package io.cmekflink.deadletter.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Collection;
import java.util.List;

/**
 * Writes a {@link DeadLetterReport} as one JSON object on one line, for scripts:
 *
 * <pre>{@code
 * {"topic": "...", "records": 9, "matched": 6, "unreadable": 1,
 *  "unreadable_records": [{"partition": 0, "offset": 4, "reason": "NOT_SINGLE_OBJECT"}],
 *  "orgs": {"org-a": {"KEY_DISABLED": {"count": 3, "retriable": "false",
 *      "first_failed_at": "2025-03-01T10:00:00Z", "last_failed_at": "2025-03-01T12:00:00Z",
 *      "stages": ["ENCRYPT"], "key_arns": ["arn:..."], "aws_error_codes": ["DisabledException"],
 *      "latest_message": "..."}}}}
 * }</pre>
 *
 * <p>Orgs and codes keep the order of {@link DeadLetterReport#orgs()}; {@code retriable} is the
 * string {@code true}, {@code false} or {@code mixed}; times are ISO-8601 instants in UTC; {@code
 * unreadable_records} lists at most {@value DeadLetterReport#MAX_UNREADABLE_LISTED} positions,
 * while {@code unreadable} counts all.
 */
public final class ReportJson {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private ReportJson() {}

    public static String toJson(DeadLetterReport report) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("topic", report.topic());
        root.put("records", report.records());
        root.put("matched", report.matched());
        root.put("unreadable", report.unreadable());
        ArrayNode unreadable = root.putArray("unreadable_records");
        for (UnreadableRecord record : report.unreadableRecords()) {
            unreadable
                    .addObject()
                    .put("partition", record.partition())
                    .put("offset", record.offset())
                    .put("reason", record.reason().name());
        }
        ObjectNode orgs = root.putObject("orgs");
        report.orgs().forEach((org, summaries) -> addCodes(orgs.putObject(org), summaries));
        return root.toString();
    }

    private static void addCodes(ObjectNode codes, List<CodeSummary> summaries) {
        for (CodeSummary summary : summaries) {
            ObjectNode node = codes.putObject(summary.code().name());
            node.put("count", summary.count());
            node.put("retriable", summary.retriable().toString());
            node.put("first_failed_at", summary.firstFailedAt().toString());
            node.put("last_failed_at", summary.lastFailedAt().toString());
            addStrings(node.putArray("stages"), summary.stages().stream().map(Enum::name).toList());
            addStrings(node.putArray("key_arns"), summary.keyArns());
            addStrings(node.putArray("aws_error_codes"), summary.awsErrorCodes());
            node.put("latest_message", summary.latestMessage());
        }
    }

    private static void addStrings(ArrayNode array, Collection<String> values) {
        values.forEach(array::add);
    }
}
