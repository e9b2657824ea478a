package io.cmekflink.dek;

import com.github.benmanes.caffeine.cache.AsyncCache;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The result of loading one DEK into a cache: the DEK, or the failure. A load completes normally
 * even when KMS refused, so that the cache never holds a failed future (Caffeine logs each one with
 * its stack trace) and a failed refresh can keep the DEK it was meant to replace.
 *
 * @param createdAtNanos when KMS returned the DEK, on the cache's ticker; its expiry counts from
 *     here, whatever later refreshes do
 * @param earlyRefresh set once a refresh for this DEK's encryption budget has started
 */
record DekLoad(Dek dek, RuntimeException failure, long createdAtNanos, AtomicBoolean earlyRefresh) {

    static DekLoad of(Dek dek, long createdAtNanos) {
        return new DekLoad(dek, null, createdAtNanos, new AtomicBoolean());
    }

    static DekLoad failed(Throwable cause) {
        RuntimeException failure =
                cause instanceof RuntimeException re ? re : new IllegalStateException(cause);
        return new DekLoad(null, failure, 0, new AtomicBoolean());
    }

    /** True when KMS refused in a way that makes the key unusable until an admin acts. */
    boolean keyUnusable() {
        return failure instanceof io.cmekflink.kms.KmsCallException e && e.kind().keyUnusable();
    }

    /** The time this load may stay cached: the rest of the DEK's max age, or none if it failed. */
    long remainingNanos(long maxAgeNanos, long nowNanos) {
        if (dek == null) {
            return 0;
        }
        return Math.max(0, createdAtNanos + maxAgeNanos - nowNanos);
    }

    /**
     * Turns a load into the DEK future that callers see, and drops a failed load from the cache so
     * that the next lookup tries again.
     */
    static <K> CompletableFuture<Dek> settle(
            AsyncCache<K, DekLoad> cache, K key, CompletableFuture<DekLoad> loading) {
        return loading.thenCompose(
                loaded -> {
                    if (loaded.dek() != null) {
                        return CompletableFuture.completedFuture(loaded.dek());
                    }
                    cache.asMap().remove(key, loading);
                    return CompletableFuture.failedFuture(loaded.failure());
                });
    }
}
