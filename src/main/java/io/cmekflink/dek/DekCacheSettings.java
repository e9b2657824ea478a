package io.cmekflink.dek;

import java.io.Serializable;
import java.time.Duration;

/**
 * Limits of the DEK cache.
 *
 * @param maxAge how long a DEK may be used, counted from its creation; an entry in constant use
 *     still expires, so a revoked key stops being used within this time
 * @param refreshAhead how long before {@code maxAge} a DEK in use is replaced in the background
 * @param maxEncryptions how many records one DEK may seal
 * @param maxEntries how many DEKs one cache holds
 * @param failureTtl how long a failure that makes a key unusable (disabled, deleted, denied) is
 *     remembered, so that a revoked key costs one KMS call per interval instead of one per record
 */
public record DekCacheSettings(
        Duration maxAge,
        Duration refreshAhead,
        long maxEncryptions,
        long maxEntries,
        Duration failureTtl)
        implements Serializable {

    /** The share of {@code maxEncryptions} after which a replacement DEK is loaded early. */
    public static final double REFRESH_AT_USED_FRACTION = 0.9;

    public DekCacheSettings {
        if (maxAge.isNegative() || maxAge.isZero()) {
            throw new IllegalArgumentException("dek max age must be positive, got " + maxAge);
        }
        if (refreshAhead.isNegative() || refreshAhead.compareTo(maxAge) >= 0) {
            throw new IllegalArgumentException(
                    "dek refresh-ahead must be at least 0 and below the max age "
                            + maxAge
                            + ", got "
                            + refreshAhead);
        }
        if (maxEncryptions < 1 || maxEncryptions > (1L << 32)) {
            throw new IllegalArgumentException(
                    "dek max encryptions must be between 1 and 2^32, got " + maxEncryptions);
        }
        if (maxEntries < 1) {
            throw new IllegalArgumentException(
                    "dek max entries must be at least 1, got " + maxEntries);
        }
        if (failureTtl.isNegative()) {
            throw new IllegalArgumentException(
                    "dek failure TTL must not be negative, got " + failureTtl);
        }
    }
}
