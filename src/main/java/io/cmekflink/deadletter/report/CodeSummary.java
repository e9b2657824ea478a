package io.cmekflink.deadletter.report;

import io.cmekflink.deadletter.ErrorCode;
import io.cmekflink.deadletter.Stage;
import java.time.Instant;
import java.util.SortedSet;

/**
 * The dead letters of one org with one error code.
 *
 * @param firstFailedAt the earliest {@code failed_at}
 * @param lastFailedAt the latest {@code failed_at}
 * @param keyArns the key ARNs named by the dead letters; those without one add nothing
 * @param latestMessage the message of the dead letter with the latest {@code failed_at}; ties go to
 *     the higher partition, then the higher offset
 * @param awsErrorCodes the AWS error codes of the KMS calls that failed, if any
 */
public record CodeSummary(
        ErrorCode code,
        long count,
        Retriable retriable,
        Instant firstFailedAt,
        Instant lastFailedAt,
        SortedSet<Stage> stages,
        SortedSet<String> keyArns,
        SortedSet<String> awsErrorCodes,
        String latestMessage) {}
