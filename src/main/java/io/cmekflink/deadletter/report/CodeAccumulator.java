package io.cmekflink.deadletter.report;

import io.cmekflink.deadletter.DeadLetter;
import io.cmekflink.deadletter.ErrorCode;
import io.cmekflink.deadletter.Stage;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumSet;
import java.util.TreeSet;

/** Collects the {@link CodeSummary} of one org and error code. Not thread-safe. */
final class CodeAccumulator {

    private final ErrorCode code;
    private long count;
    private Retriable retriable;
    private long firstFailedAt = Long.MAX_VALUE;
    private long lastFailedAt = Long.MIN_VALUE;
    private int latestPartition;
    private long latestOffset;
    private String latestMessage;
    private final EnumSet<Stage> stages = EnumSet.noneOf(Stage.class);
    private final TreeSet<String> keyArns = new TreeSet<>();
    private final TreeSet<String> awsErrorCodes = new TreeSet<>();

    CodeAccumulator(ErrorCode code) {
        this.code = code;
    }

    void add(DeadLetter letter, int partition, long offset) {
        count++;
        retriable =
                retriable == null
                        ? Retriable.of(letter.retriable())
                        : retriable.and(letter.retriable());
        firstFailedAt = Math.min(firstFailedAt, letter.failedAt());
        if (isLatest(letter.failedAt(), partition, offset)) {
            lastFailedAt = letter.failedAt();
            latestPartition = partition;
            latestOffset = offset;
            latestMessage = letter.message();
        }
        stages.add(letter.stage());
        if (letter.keyArn() != null) {
            keyArns.add(letter.keyArn());
        }
        if (letter.awsErrorCode() != null) {
            awsErrorCodes.add(letter.awsErrorCode());
        }
    }

    private boolean isLatest(long failedAt, int partition, long offset) {
        if (failedAt != lastFailedAt) {
            return failedAt > lastFailedAt;
        }
        if (partition != latestPartition) {
            return partition > latestPartition;
        }
        return offset > latestOffset;
    }

    long count() {
        return count;
    }

    CodeSummary summary() {
        return new CodeSummary(
                code,
                count,
                retriable,
                Instant.ofEpochMilli(firstFailedAt),
                Instant.ofEpochMilli(lastFailedAt),
                Collections.unmodifiableSortedSet(new TreeSet<>(stages)),
                Collections.unmodifiableSortedSet(new TreeSet<>(keyArns)),
                Collections.unmodifiableSortedSet(new TreeSet<>(awsErrorCodes)),
                latestMessage);
    }
}
