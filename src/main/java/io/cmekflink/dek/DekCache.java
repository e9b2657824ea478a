package io.cmekflink.dek;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import io.cmekflink.kms.GeneratedDataKey;
import io.cmekflink.kms.KmsCallException;
import io.cmekflink.kms.KmsErrors;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DEKs of one parallel instance, keyed by org and key ({@link DekKey}).
 *
 * <ul>
 *   <li>Expiry after write: a DEK is used at most {@code maxAge} after its creation, however often
 *       it is used.
 *   <li>Refresh ahead: a DEK in use is replaced in the background {@code refreshAhead} before it
 *       expires, and when it has used 90% of its encryption budget, so that records do not wait for
 *       KMS in steady state. A failed refresh keeps the old DEK until it expires.
 *   <li>Concurrent misses for one key share one {@code GenerateDataKey} call.
 *   <li>A failure that makes a key unusable is remembered for {@code failureTtl}: records of that
 *       key fail at once, without a KMS call each.
 * </ul>
 *
 * <p>Plaintext DEKs live only here, in {@link Dek} objects: never in Flink state, logs or metrics.
 * {@link javax.crypto.spec.SecretKeySpec} cannot be wiped, so an evicted DEK's key bytes stay on
 * the heap until garbage collection.
 *
 * <p>Thread safety: safe for concurrent use.
 */
public final class DekCache {

    private static final Logger LOG = LoggerFactory.getLogger(DekCache.class);

    /** How long a key whose KMS calls failed after all retries is refused without a call. */
    static final Duration RETRIABLE_FAILURE_TTL = Duration.ofSeconds(5);

    private final DekCacheSettings settings;
    private final Ticker ticker;
    private final BiFunction<String, String, CompletableFuture<GeneratedDataKey>> generator;
    private final AsyncCache<DekKey, DekLoad> deks;
    private final Cache<DekKey, RuntimeException> failures;
    private final Cache<String, Revocation> revokedKeys;

    /** A key that a health check found unusable, refused until {@code hold} passes. */
    private record Revocation(KmsCallException reason, Duration hold) {}

    private final SecureRandom random = new SecureRandom();
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder cachedFailureHits = new LongAdder();

    /**
     * @param generator calls {@code GenerateDataKey} for (org id, key ARN), with that org's
     *     encryption context
     * @param ticker the clock of expiry and refresh; {@link Ticker#systemTicker()} outside tests
     * @param executor runs refreshes and removal work
     */
    public DekCache(
            DekCacheSettings settings,
            BiFunction<String, String, CompletableFuture<GeneratedDataKey>> generator,
            Ticker ticker,
            Executor executor) {
        this.settings = settings;
        this.generator = generator;
        this.ticker = ticker;
        long maxAgeNanos = settings.maxAge().toNanos();
        Caffeine<DekKey, DekLoad> builder =
                Caffeine.newBuilder()
                        .ticker(ticker)
                        .executor(executor)
                        .maximumSize(settings.maxEntries())
                        .expireAfter(
                                new Expiry<DekKey, DekLoad>() {
                                    @Override
                                    public long expireAfterCreate(
                                            DekKey key, DekLoad value, long now) {
                                        return value.remainingNanos(maxAgeNanos, now);
                                    }

                                    @Override
                                    public long expireAfterUpdate(
                                            DekKey key, DekLoad value, long now, long current) {
                                        return value.remainingNanos(maxAgeNanos, now);
                                    }

                                    @Override
                                    public long expireAfterRead(
                                            DekKey key, DekLoad value, long now, long current) {
                                        return current;
                                    }
                                });
        this.deks = builder.buildAsync();
        this.revokedKeys =
                Caffeine.newBuilder()
                        .ticker(ticker)
                        .executor(executor)
                        .maximumSize(settings.maxEntries())
                        .expireAfter(
                                Expiry.<String, Revocation>writing(
                                        (key, revocation) -> revocation.hold()))
                        .build();
        long unusableTtl = settings.failureTtl().toNanos();
        long passingTtl = Math.min(unusableTtl, RETRIABLE_FAILURE_TTL.toNanos());
        this.failures =
                Caffeine.newBuilder()
                        .ticker(ticker)
                        .executor(executor)
                        .maximumSize(settings.maxEntries())
                        .expireAfter(
                                Expiry.<DekKey, RuntimeException>creating(
                                        (key, failure) ->
                                                Duration.ofNanos(
                                                        failure instanceof KmsCallException k
                                                                        && k.kind().keyUnusable()
                                                                ? unusableTtl
                                                                : passingTtl)))
                        .build();
    }

    /**
     * Returns a DEK of {@code keyArn} for {@code orgId} with encryption budget left. The future is
     * already complete on a cache hit; it fails with {@link KmsCallException} when KMS refused, or
     * with the remembered failure of an unusable key.
     */
    public CompletableFuture<Dek> dekFor(String orgId, String keyArn) {
        DekKey key = DekKey.of(orgId, keyArn);
        Revocation revoked = revokedKeys.getIfPresent(key.identity());
        if (revoked != null) {
            cachedFailureHits.increment();
            return CompletableFuture.failedFuture(revoked.reason());
        }
        RuntimeException failure = failures.getIfPresent(key);
        if (failure != null) {
            cachedFailureHits.increment();
            return CompletableFuture.failedFuture(failure);
        }
        CompletableFuture<DekLoad> present = deks.getIfPresent(key);
        if (present != null && present.isDone()) {
            DekLoad loaded = present.join();
            Dek dek = loaded.dek();
            if (dek != null && dek.remainingEncryptions() > 0) {
                hits.increment();
                if (dueForRefresh(loaded) && loaded.earlyRefresh().compareAndSet(false, true)) {
                    refresh(key, present);
                }
                return CompletableFuture.completedFuture(dek);
            }
            deks.asMap().remove(key, present);
        }
        misses.increment();
        return DekLoad.settle(deks, key, deks.get(key, (k, executor) -> load(k, false)));
    }

    /** True when a DEK is past {@code maxAge - refreshAhead} or 90% of its encryption budget. */
    private boolean dueForRefresh(DekLoad loaded) {
        long age = ticker.read() - loaded.createdAtNanos();
        long refreshAt = settings.maxAge().minus(settings.refreshAhead()).toNanos();
        return (!settings.refreshAhead().isZero() && age >= refreshAt)
                || loaded.dek().usedFraction() >= DekCacheSettings.REFRESH_AT_USED_FRACTION;
    }

    /**
     * Loads a replacement for {@code current} in the background. A new DEK replaces it; a refusal
     * that makes the key unusable drops it at once, so a revoked key stops encrypting; any other
     * failure keeps it until its own max age, counted from its creation.
     */
    private void refresh(DekKey key, CompletableFuture<DekLoad> current) {
        load(key, true)
                .thenAccept(
                        loaded -> {
                            if (loaded.dek() != null) {
                                deks.asMap()
                                        .replace(
                                                key,
                                                current,
                                                CompletableFuture.completedFuture(loaded));
                            } else if (loaded.keyUnusable()) {
                                deks.asMap().remove(key, current);
                            }
                        });
    }

    /**
     * Drops every DEK and remembered failure of an org, because its key link changed. Records
     * already being sealed finish with the DEK they hold.
     */
    public void invalidateOrg(String orgId) {
        deks.asMap().keySet().removeIf(k -> k.orgId().equals(orgId));
        failures.asMap().keySet().removeIf(k -> k.orgId().equals(orgId));
    }

    /**
     * Refuses a key for every org at once, because a health check found it unusable: drops its DEKs
     * and answers its lookups with {@code reason}, without a KMS call, for {@code hold}. Each check
     * that finds the key still unusable renews the hold.
     */
    public void revokeKey(String keyArn, KmsCallException reason, Duration hold) {
        String identity = DekKey.identityOf(keyArn);
        boolean known = revokedKeys.getIfPresent(identity) != null;
        revokedKeys.put(identity, new Revocation(reason, hold));
        deks.asMap().keySet().removeIf(k -> k.identity().equals(identity));
        if (!known) {
            LOG.warn(
                    "key {} is unusable ({}: {}); dropped its data keys, its records become dead"
                            + " letters until a check finds it usable",
                    keyArn,
                    reason.kind(),
                    reason.getMessage());
        }
    }

    /** Lets a key that a health check found usable again encrypt at once. */
    public void clearRevocation(String keyArn) {
        String identity = DekKey.identityOf(keyArn);
        if (revokedKeys.getIfPresent(identity) != null) {
            revokedKeys.invalidate(identity);
            failures.asMap().keySet().removeIf(k -> k.identity().equals(identity));
            LOG.info("key {} is usable again; encryption under it resumes", keyArn);
        }
    }

    public long hits() {
        return hits.sum();
    }

    public long misses() {
        return misses.sum();
    }

    /** Lookups answered by a remembered failure, without a KMS call. */
    public long cachedFailureHits() {
        return cachedFailureHits.sum();
    }

    /** The number of DEKs held, an estimate. */
    public long size() {
        return deks.synchronous().estimatedSize();
    }

    /**
     * Calls the generator for {@code key}.
     *
     * @param refreshing true when a valid DEK of the key is still cached: then only a refusal that
     *     makes the key unusable is remembered, and the cached DEK stays in use otherwise
     */
    private CompletableFuture<DekLoad> load(DekKey key, boolean refreshing) {
        CompletableFuture<GeneratedDataKey> call;
        try {
            call = generator.apply(key.orgId(), key.keyArn());
        } catch (RuntimeException e) {
            call = CompletableFuture.failedFuture(e);
        }
        return call.handle(
                (generated, error) -> {
                    if (error != null) {
                        Throwable cause = KmsErrors.unwrap(error);
                        if (!refreshing || isUnusable(cause)) {
                            rememberIfUnusable(key, cause);
                        }
                        return DekLoad.failed(cause);
                    }
                    failures.invalidate(key);
                    return DekLoad.of(
                            Dek.takeOwnershipForEncryption(
                                    generated.plaintext(),
                                    generated.edek(),
                                    generated.keyArn(),
                                    generated.reference(),
                                    settings.maxEncryptions(),
                                    random.nextInt()),
                            ticker.read());
                });
    }

    private static boolean isUnusable(Throwable cause) {
        return cause instanceof KmsCallException e && e.kind().keyUnusable();
    }

    /**
     * Remembers a final failure of a key. A key found unusable is refused for {@code failureTtl}; a
     * key whose calls failed after all retries (throttling, KMS unavailable) for a few seconds, so
     * that its records fail fast instead of each waiting out a retry budget and holding back the
     * records of other orgs behind them.
     */
    private void rememberIfUnusable(DekKey key, Throwable cause) {
        if (!(cause instanceof KmsCallException e)) {
            if (cause instanceof RuntimeException failure) {
                // Any other failure of the generator, such as a data-key entry that could not be
                // published after GenerateDataKey succeeded: refused for a few seconds, so that
                // not every record of the org generates a DEK while it lasts.
                failures.put(key, failure);
                LOG.warn(
                        "a data key of org {} under key {} could not be used ({}); its records"
                                + " become retriable dead letters for the next {} ms",
                        key.orgId(),
                        key.keyArn(),
                        cause.getClass().getSimpleName(),
                        Math.min(
                                settings.failureTtl().toMillis(),
                                RETRIABLE_FAILURE_TTL.toMillis()));
            }
            return;
        }
        if (e.kind().keyUnusable()) {
            failures.put(key, e);
            LOG.warn(
                    "key {} of org {} is unusable ({}); its records become dead letters for the"
                            + " next {} ms",
                    key.keyArn(),
                    key.orgId(),
                    e.kind(),
                    settings.failureTtl().toMillis());
        } else if (e.kind().retriable()) {
            failures.put(key, e);
            LOG.warn(
                    "key {} of org {} failed after its retries ({}); its records become retriable"
                            + " dead letters for the next {} ms",
                    key.keyArn(),
                    key.orgId(),
                    e.kind(),
                    Math.min(settings.failureTtl().toMillis(), RETRIABLE_FAILURE_TTL.toMillis()));
        }
    }
}
