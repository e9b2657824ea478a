package io.cmekflink.job;

import io.cmekflink.config.JobConfig;
import io.cmekflink.config.JobOptions;
import java.time.Duration;

/**
 * How long a key that is disabled, scheduled for deletion, deleted or denied may go on encrypting
 * records, by configuration: until a health check finds it unusable (at most one interval plus its
 * 10% jitter, plus the time one DescribeKey may take), or until its cached DEKs expire, whichever
 * comes first, plus {@link #DELIVERY} for the last records to reach Kafka.
 */
public final class RevocationBound {

    /**
     * The time a sealed record may take from the encrypt step to the broker: Flink's network buffer
     * timeout (100 ms by default) and the producer's send, with room to spare.
     */
    public static final Duration DELIVERY = Duration.ofSeconds(1);

    private RevocationBound() {}

    public static Duration of(JobConfig config) {
        Duration maxAge = config.get(JobOptions.DEK_MAX_AGE);
        Duration interval = config.get(JobOptions.KEY_HEALTH_CHECK_INTERVAL);
        Duration bound = maxAge;
        if (!interval.isZero()) {
            Duration byCheck =
                    interval.plus(interval.dividedBy(10))
                            .plus(config.get(JobOptions.KMS_ATTEMPT_TIMEOUT));
            if (byCheck.compareTo(bound) < 0) {
                bound = byCheck;
            }
        }
        return bound.plus(DELIVERY);
    }
}
