package io.cmekflink.dek;

import com.github.benmanes.caffeine.cache.AsyncLoadingCache;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.cmekflink.datakey.DataKeyException;
import io.cmekflink.kms.KmsCallException;
import io.cmekflink.kms.KmsErrors;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The unwrapped DEKs of the decrypt side, keyed by EDEK: records that share a DEK share one {@code
 * Decrypt} call.
 *
 * <p>An entry expires a fixed time after it was unwrapped, however often it is used, so that a
 * revoked key stops decrypting within that time. Concurrent misses for one EDEK share one call. A
 * refusal that makes the key unusable (disabled, pending deletion, deleted, denied) is remembered
 * per EDEK for {@code failureTtl}, so that a revoked key costs one call per EDEK and interval
 * instead of one per record.
 *
 * <p>Plaintext DEKs live only here, in {@link Dek} objects. Thread safety: safe for concurrent use.
 */
public final class EdekCache {

    private static final Logger LOG = LoggerFactory.getLogger(EdekCache.class);

    /** Calls KMS {@code Decrypt}; the caller takes ownership of the returned plaintext. */
    @FunctionalInterface
    public interface Unwrapper {
        CompletableFuture<byte[]> decrypt(
                String keyArn, byte[] edek, Map<String, String> encryptionContext);
    }

    /**
     * A cache key. Its hash covers only the EDEK, read eight bytes at a time, because the EDEK
     * alone distinguishes DEKs, and hashing the fresh key ARN string and context map of every
     * record cost more than the lookup. Equality still compares all three.
     */
    private static final class EdekKey {
        private static final VarHandle LONGS =
                MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

        final String keyArn;
        final byte[] edek;
        final Map<String, String> context;
        private final int hash;

        EdekKey(String keyArn, byte[] edek, Map<String, String> context, int hash) {
            this.keyArn = keyArn;
            this.edek = edek;
            this.context = context;
            this.hash = hash;
        }

        // NOTE: keys of one EDEK share a hash bin. A writer of the encrypted topic can put up to
        // maxEntries refusals of one EDEK under distinct key ARNs into the failure cache, and
        // lookups of that EDEK then compare against each of them.
        static int hashOf(byte[] edek) {
            long h = edek.length;
            int i = 0;
            for (; i + Long.BYTES <= edek.length; i += Long.BYTES) {
                h = 31 * h + (long) LONGS.get(edek, i);
            }
            for (; i < edek.length; i++) {
                h = 31 * h + edek[i];
            }
            return (int) (h ^ (h >>> 32));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof EdekKey other
                    && hash == other.hash
                    && Arrays.equals(edek, other.edek)
                    && keyArn.equals(other.keyArn)
                    && context.equals(other.context);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    private final Unwrapper unwrapper;
    private final Duration failureTtl;
    private final AsyncLoadingCache<EdekKey, DekLoad> deks;
    private final Cache<EdekKey, RuntimeException> failures;
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();

    public EdekCache(
            Duration maxAge,
            long maxEntries,
            Duration failureTtl,
            Unwrapper unwrapper,
            Ticker ticker,
            Executor executor) {
        this.unwrapper = unwrapper;
        this.failureTtl = failureTtl;
        this.deks =
                Caffeine.newBuilder()
                        .ticker(ticker)
                        .executor(executor)
                        .maximumSize(maxEntries)
                        .expireAfterWrite(maxAge)
                        .buildAsync((key, ignored) -> load(key));
        this.failures =
                Caffeine.newBuilder()
                        .ticker(ticker)
                        .executor(executor)
                        .maximumSize(maxEntries)
                        .expireAfterWrite(failureTtl)
                        .build();
    }

    /**
     * Returns the DEK that {@code edek} unwraps to under {@code keyArn} with the encryption context
     * stored with the data. The future is already complete on a hit; it fails with {@link
     * KmsCallException} when KMS refused, or with the unwrapper's own exception, such as a data-key
     * reference that names no usable entry.
     */
    public CompletableFuture<Dek> dekFor(
            String keyArn, byte[] edek, Map<String, String> encryptionContext) {
        // A lookup key over the caller's arrays: only a miss stores a key, and that key owns
        // copies, so the caller may reuse its arrays.
        int hash = EdekKey.hashOf(edek);
        EdekKey lookup = new EdekKey(keyArn, edek, encryptionContext, hash);
        RuntimeException failure = failures.getIfPresent(lookup);
        if (failure != null) {
            return CompletableFuture.failedFuture(failure);
        }
        CompletableFuture<DekLoad> present = deks.getIfPresent(lookup);
        if (present != null && present.isDone() && present.join().dek() != null) {
            hits.increment();
            return CompletableFuture.completedFuture(present.join().dek());
        }
        misses.increment();
        EdekKey key = new EdekKey(keyArn, edek.clone(), Map.copyOf(encryptionContext), hash);
        return DekLoad.settle(deks, key, deks.get(key));
    }

    /** Returns the hash of a cache key over {@code edek}, for tests of its spread. */
    static int edekHash(byte[] edek) {
        return EdekKey.hashOf(edek);
    }

    public long hits() {
        return hits.sum();
    }

    public long misses() {
        return misses.sum();
    }

    private CompletableFuture<DekLoad> load(EdekKey key) {
        CompletableFuture<byte[]> call;
        try {
            call = unwrapper.decrypt(key.keyArn, key.edek, key.context);
        } catch (RuntimeException e) {
            call = CompletableFuture.failedFuture(e);
        }
        return call.handle(
                (plaintext, error) -> {
                    if (error == null) {
                        return DekLoad.of(
                                Dek.takeOwnershipForDecryption(plaintext, key.edek, key.keyArn), 0);
                    }
                    Throwable cause = KmsErrors.unwrap(error);
                    if (cause instanceof DataKeyException e && !e.retriable()) {
                        // A data-key reference that names no usable entry stays unusable, so its
                        // records fail without another read of the data-key topic.
                        failures.put(key, e);
                        LOG.warn(
                                "{}; records under this reference become dead letters without a"
                                        + " lookup for {} ms",
                                e.getMessage(),
                                failureTtl.toMillis());
                    } else if (cause instanceof KmsCallException e && e.kind().keyUnusable()) {
                        failures.put(key, e);
                        LOG.warn(
                                "key {} refused to unwrap a data key ({}); records under it become"
                                        + " dead letters without a KMS call for {} ms",
                                e.keyArn(),
                                e.kind(),
                                failureTtl.toMillis());
                    }
                    return DekLoad.failed(cause);
                });
    }
}
