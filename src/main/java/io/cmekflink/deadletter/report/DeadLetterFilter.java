package io.cmekflink.deadletter.report;

import io.cmekflink.deadletter.DeadLetter;
import io.cmekflink.deadletter.ErrorCode;
import java.time.Instant;
import java.util.Set;

/**
 * The selection of dead letters that a report counts. An empty set matches every org or code;
 * {@code since} is inclusive, {@code until} exclusive, and either may be null for an open window.
 * Times are compared with {@code failed_at}.
 *
 * @param orgIds org ids, with {@link DeadLetterReport#NO_ORG} for dead letters without one
 */
public record DeadLetterFilter(
        Set<String> orgIds, Set<ErrorCode> codes, Instant since, Instant until) {

    public DeadLetterFilter {
        orgIds = Set.copyOf(orgIds);
        codes = Set.copyOf(codes);
        if (since != null && until != null && !since.isBefore(until)) {
            throw new IllegalArgumentException(
                    "since (" + since + ") must be before until (" + until + ")");
        }
    }

    /** Returns a filter that matches every dead letter. */
    public static DeadLetterFilter all() {
        return new DeadLetterFilter(Set.of(), Set.of(), null, null);
    }

    public boolean matches(DeadLetter letter) {
        if (!orgIds.isEmpty() && !orgIds.contains(DeadLetterReport.orgLabel(letter.orgId()))) {
            return false;
        }
        if (!codes.isEmpty() && !codes.contains(letter.errorCode())) {
            return false;
        }
        if (since != null && letter.failedAt() < since.toEpochMilli()) {
            return false;
        }
        return until == null || letter.failedAt() < until.toEpochMilli();
    }
}
