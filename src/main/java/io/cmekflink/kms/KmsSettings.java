package io.cmekflink.kms;

import java.io.Serializable;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * How the job reaches KMS: the region it runs in, an optional endpoint override (an emulator), the
 * connection pool size, the timeout of one attempt and the retry policy.
 *
 * <p>Credentials come from the AWS SDK's default provider chain.
 */
public record KmsSettings(
        String localRegion,
        URI endpointOverride,
        int maxConcurrency,
        Duration attemptTimeout,
        RetryPolicy retryPolicy)
        implements Serializable {

    public KmsSettings {
        Objects.requireNonNull(localRegion, "localRegion");
        Objects.requireNonNull(attemptTimeout, "attemptTimeout");
        Objects.requireNonNull(retryPolicy, "retryPolicy");
        if (maxConcurrency < 1) {
            throw new IllegalArgumentException(
                    "maxConcurrency must be at least 1, got " + maxConcurrency);
        }
    }
}
