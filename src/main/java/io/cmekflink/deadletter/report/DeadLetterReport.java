package io.cmekflink.deadletter.report;

import io.cmekflink.deadletter.DeadLetter;
import io.cmekflink.deadletter.ErrorCode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Counts the dead letters of a topic per org and error code. Feed it every record read with {@link
 * #accept}; records that do not decode as dead letters are counted as unreadable and never raise.
 * Not thread-safe.
 *
 * <p>Memory grows with the number of (org, error code) pairs and the distinct key ARNs, stages and
 * AWS error codes among them, not with the number of records: only the first {@value
 * #MAX_UNREADABLE_LISTED} unreadable positions are kept.
 */
public final class DeadLetterReport {

    /** The org label of dead letters without an org id, such as records that did not parse. */
    public static final String NO_ORG = "(none)";

    /** Maximum number of unreadable records listed by position; all of them are counted. */
    public static final int MAX_UNREADABLE_LISTED = 100;

    private static final Comparator<String> ORG_ORDER =
            Comparator.nullsLast(Comparator.<String>naturalOrder());

    private final String topic;
    private final DeadLetterFilter filter;
    private final Map<String, Map<ErrorCode, CodeAccumulator>> orgs = new TreeMap<>(ORG_ORDER);
    private final TreeSet<UnreadableRecord> unreadableListed = new TreeSet<>();
    private long records;
    private long matched;
    private long unreadable;

    public DeadLetterReport(String topic, DeadLetterFilter filter) {
        this.topic = topic;
        this.filter = filter;
    }

    /** Returns {@link #NO_ORG} for a null org id, else the org id. */
    public static String orgLabel(String orgId) {
        return orgId == null ? NO_ORG : orgId;
    }

    /** Counts one record read from the topic. */
    public void accept(ConsumerRecord<byte[], byte[]> record) {
        records++;
        DeadLetterDecoder.Result decoded = DeadLetterDecoder.decode(record);
        if (decoded.letter() == null) {
            addUnreadable(
                    new UnreadableRecord(record.partition(), record.offset(), decoded.reason()));
        } else if (filter.matches(decoded.letter())) {
            matched++;
            DeadLetter letter = decoded.letter();
            orgs.computeIfAbsent(letter.orgId(), org -> new EnumMap<>(ErrorCode.class))
                    .computeIfAbsent(letter.errorCode(), CodeAccumulator::new)
                    .add(letter, record.partition(), record.offset());
        }
    }

    private void addUnreadable(UnreadableRecord position) {
        unreadable++;
        unreadableListed.add(position);
        if (unreadableListed.size() > MAX_UNREADABLE_LISTED) {
            unreadableListed.pollLast();
        }
    }

    public String topic() {
        return topic;
    }

    /** Records read, readable or not, whether the filter matched them or not. */
    public long records() {
        return records;
    }

    /** Dead letters that the filter matched. */
    public long matched() {
        return matched;
    }

    /** Records that do not decode as dead letters; the filter does not apply to them. */
    public long unreadable() {
        return unreadable;
    }

    /**
     * Returns the first {@value #MAX_UNREADABLE_LISTED} unreadable records by partition and offset.
     */
    public List<UnreadableRecord> unreadableRecords() {
        return List.copyOf(unreadableListed);
    }

    /**
     * Returns the summaries per org label, orgs sorted by id with {@link #NO_ORG} last, and each
     * org's codes sorted by count descending, then by code name.
     */
    public Map<String, List<CodeSummary>> orgs() {
        Map<String, List<CodeSummary>> result = new LinkedHashMap<>();
        orgs.forEach((orgId, codes) -> result.put(orgLabel(orgId), sortedSummaries(codes)));
        return Collections.unmodifiableMap(result);
    }

    private static List<CodeSummary> sortedSummaries(Map<ErrorCode, CodeAccumulator> codes) {
        List<CodeSummary> summaries = new ArrayList<>();
        codes.values().forEach(accumulator -> summaries.add(accumulator.summary()));
        summaries.sort(
                Comparator.comparingLong(CodeSummary::count)
                        .reversed()
                        .thenComparing(summary -> summary.code().name()));
        return List.copyOf(summaries);
    }
}
