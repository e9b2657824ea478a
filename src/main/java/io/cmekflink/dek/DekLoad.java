package io.cmekflink.dek;

import com.github.benmanes.caffeine.cache.AsyncCache;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The result of loading one DEK into a cache: the DEK, or the failure. A load completes normally
 * even when KMS refused, so that the cache never holds a failed future (Caffeine logs each one with
 * its stack trace) and a failed refresh can keep the DEK it was meant to replace.
 *
 * @param earlyRefresh set once a refresh for this DEK's encryption budget has started
 */
record DekLoad(Dek dek, RuntimeException failure, AtomicBoolean earlyRefresh) {

    static DekLoad of(Dek dek) {
        return new DekLoad(dek, null, new AtomicBoolean());
    }

    static DekLoad failed(Throwable cause) {
        RuntimeException failure =
                cause instanceof RuntimeException re ? re : new IllegalStateException(cause);
        return new DekLoad(null, failure, new AtomicBoolean());
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
