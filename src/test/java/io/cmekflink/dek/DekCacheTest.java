package io.cmekflink.dek;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cmekflink.kms.GeneratedDataKey;
import io.cmekflink.kms.KmsCallException;
import io.cmekflink.kms.KmsCallListener;
import io.cmekflink.kms.KmsClients;
import io.cmekflink.kms.KmsDataKeys;
import io.cmekflink.kms.KmsErrorKind;
import io.cmekflink.kms.RetryPolicy;
import io.cmekflink.local.kms.KmsEmulator;
import io.cmekflink.testing.ManualTicker;
import io.cmekflink.testing.TestAws;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The DEK cache over the real SDK client and the KMS emulator, with a manual clock. */
class DekCacheTest {

    private static final String ORG = "org-1";
    private static final Duration MAX_AGE = Duration.ofMinutes(10);
    private static final Duration REFRESH_AHEAD = Duration.ofMinutes(1);

    private static KmsEmulator kms;
    private static KmsClients clients;
    private static KmsDataKeys dataKeys;

    private final ManualTicker ticker = new ManualTicker();
    private String keyArn;

    @BeforeAll
    static void startKms() {
        kms = KmsEmulator.start(0);
        clients = TestAws.clients(kms, RetryPolicy.none());
        dataKeys =
                new KmsDataKeys(clients, Set.of("eu-west-1", "eu-central-1"), KmsCallListener.NONE);
    }

    @AfterAll
    static void stopKms() {
        clients.close();
        kms.close();
    }

    @BeforeEach
    void createKey() {
        kms.faults().clear();
        keyArn = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
        kms.resetCallCounts();
    }

    private DekCache cache(long maxEncryptions) {
        return new DekCache(
                new DekCacheSettings(
                        MAX_AGE, REFRESH_AHEAD, maxEncryptions, 1000, Duration.ofSeconds(30)),
                (org, arn) ->
                        dataKeys.generateDataKey(
                                arn, Map.of("org_id", org, "purpose", "cmek-flink/v1")),
                ticker,
                Runnable::run);
    }

    private long generateCalls() {
        return kms.callCount("GenerateDataKey");
    }

    @Test
    void secondLookupIsAHit() {
        DekCache cache = cache(1000);
        Dek first = cache.dekFor(ORG, keyArn).join();
        Dek second = cache.dekFor(ORG, keyArn).join();
        assertThat(second).isSameAs(first);
        assertThat(generateCalls()).isEqualTo(1);
        assertThat(cache.hits()).isEqualTo(1);
        assertThat(cache.misses()).isEqualTo(1);
        assertThat(first.keyArn()).isEqualTo(keyArn);
        assertThat(first.edek()).hasSize(184);
    }

    @Test
    void concurrentMissesShareOneLoad() {
        kms.faults().setLatency(Duration.ofMillis(300));
        DekCache cache = cache(1000);
        List<CompletableFuture<Dek>> futures = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            futures.add(cache.dekFor(ORG, keyArn));
        }
        Dek dek = futures.get(0).join();
        for (CompletableFuture<Dek> f : futures) {
            assertThat(f.join()).isSameAs(dek);
        }
        assertThat(generateCalls()).isEqualTo(1);
    }

    @Test
    void entryInConstantUseExpiresAfterMaxAge() {
        DekCache cache = cache(1000);
        Dek first = cache.dekFor(ORG, keyArn).join();
        for (int minute = 0; minute < 8; minute++) {
            ticker.advance(Duration.ofMinutes(1));
            assertThat(cache.dekFor(ORG, keyArn).join()).isSameAs(first);
        }
        ticker.advance(MAX_AGE);
        Dek later = cache.dekFor(ORG, keyArn).join();
        assertThat(later).isNotSameAs(first);
        assertThat(generateCalls()).isEqualTo(2);
    }

    @Test
    void dekIsRefreshedAheadOfExpiry() {
        DekCache cache = cache(1000);
        Dek first = cache.dekFor(ORG, keyArn).join();
        ticker.advance(MAX_AGE.minus(REFRESH_AHEAD).plusSeconds(1));
        assertThat(cache.dekFor(ORG, keyArn).join()).isSameAs(first);
        Dek refreshed = awaitReplacement(cache, first);
        assertThat(refreshed.keyArn()).isEqualTo(keyArn);
        assertThat(generateCalls()).isEqualTo(2);
    }

    @Test
    void failedRefreshKeepsValidDek() {
        CompletableFuture<GeneratedDataKey> refresh = new CompletableFuture<>();
        List<String> calls = new ArrayList<>();
        DekCache cache =
                new DekCache(
                        new DekCacheSettings(
                                MAX_AGE, REFRESH_AHEAD, 1000, 1000, Duration.ofSeconds(30)),
                        (org, arn) -> {
                            calls.add(arn);
                            return calls.size() == 1
                                    ? dataKeys.generateDataKey(
                                            arn, Map.of("org_id", org, "purpose", "cmek-flink/v1"))
                                    : refresh;
                        },
                        ticker,
                        Runnable::run);
        Dek first = cache.dekFor(ORG, keyArn).join();
        ticker.advance(MAX_AGE.minus(REFRESH_AHEAD).plusSeconds(1));
        // This hit starts the refresh, which then fails after its retries.
        assertThat(cache.dekFor(ORG, keyArn).join()).isSameAs(first);
        assertThat(calls).hasSize(2);
        refresh.completeExceptionally(
                new KmsCallException(
                        KmsErrorKind.THROTTLED,
                        "GenerateDataKey",
                        keyArn,
                        "ThrottlingException",
                        "req-1",
                        3,
                        "rate exceeded",
                        null));

        CompletableFuture<Dek> next = cache.dekFor(ORG, keyArn);

        assertThat(next.isCompletedExceptionally()).isFalse();
        assertThat(next.join()).isSameAs(first);
    }

    @Test
    void exhaustedDekIsReplaced() throws Exception {
        DekCache cache = cache(3);
        Dek first = cache.dekFor(ORG, keyArn).join();
        byte[] nonce = new byte[Dek.NONCE_BYTES];
        for (int i = 0; i < 3; i++) {
            first.seal(nonce, new byte[0], new byte[1], 0, 1);
        }
        assertThat(first.remainingEncryptions()).isZero();
        assertThatThrownBy(() -> first.seal(nonce, new byte[0], new byte[1], 0, 1))
                .isInstanceOf(DekExhaustedException.class);
        Dek second = cache.dekFor(ORG, keyArn).join();
        assertThat(second).isNotSameAs(first);
        assertThat(second.remainingEncryptions()).isEqualTo(3);
    }

    @Test
    void dekNearItsBudgetIsRefreshedEarly() throws Exception {
        DekCache cache = cache(10);
        Dek first = cache.dekFor(ORG, keyArn).join();
        byte[] nonce = new byte[Dek.NONCE_BYTES];
        for (int i = 0; i < 9; i++) {
            first.seal(nonce, new byte[0], new byte[1], 0, 1);
        }
        assertThat(cache.dekFor(ORG, keyArn).join()).isSameAs(first);
        awaitReplacement(cache, first);
        assertThat(generateCalls()).isEqualTo(2);
    }

    @Test
    void noncesAreUniqueCounters() throws Exception {
        DekCache cache = cache(1000);
        Dek dek = cache.dekFor(ORG, keyArn).join();
        byte[] a = new byte[Dek.NONCE_BYTES];
        byte[] b = new byte[Dek.NONCE_BYTES];
        dek.seal(a, new byte[0], new byte[0], 0, 0);
        dek.seal(b, new byte[0], new byte[0], 0, 0);
        assertThat(java.util.Arrays.copyOf(a, 4)).isEqualTo(java.util.Arrays.copyOf(b, 4));
        assertThat(a[11]).isEqualTo((byte) 0);
        assertThat(b[11]).isEqualTo((byte) 1);
    }

    @Test
    void invalidateOrgDropsItsDeks() {
        DekCache cache = cache(1000);
        Dek first = cache.dekFor(ORG, keyArn).join();
        Dek other = cache.dekFor("org-2", keyArn).join();
        cache.invalidateOrg(ORG);
        assertThat(cache.dekFor(ORG, keyArn).join()).isNotSameAs(first);
        assertThat(cache.dekFor("org-2", keyArn).join()).isSameAs(other);
        assertThat(generateCalls()).isEqualTo(3);
    }

    @Test
    void disabledKeyCostsOneCallPerFailureTtl() {
        DekCache cache = cache(1000);
        kms.disableKey(keyArn);
        for (int i = 0; i < 20; i++) {
            CompletableFuture<Dek> f = cache.dekFor(ORG, keyArn);
            assertThatThrownBy(f::join)
                    .isInstanceOf(CompletionException.class)
                    .cause()
                    .isInstanceOfSatisfying(
                            KmsCallException.class,
                            e -> {
                                assertThat(e.kind()).isEqualTo(KmsErrorKind.DISABLED);
                                assertThat(e.awsErrorCode()).isEqualTo("DisabledException");
                                assertThat(e.requestId()).isNotBlank();
                            });
        }
        assertThat(generateCalls()).isEqualTo(1);
        assertThat(cache.cachedFailureHits()).isEqualTo(19);

        ticker.advance(Duration.ofSeconds(31));
        kms.enableKey(keyArn);
        assertThat(cache.dekFor(ORG, keyArn).join().keyArn()).isEqualTo(keyArn);
        assertThat(generateCalls()).isEqualTo(2);
    }

    @Test
    void multiRegionKeySharesDeksAcrossReplicas() {
        String primary = kms.createMultiRegionKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1", "mrk");
        String replica = kms.replicateKey(primary, "eu-central-1");
        DekCache cache = cache(1000);
        Dek viaPrimary = cache.dekFor(ORG, primary).join();
        Dek viaReplica = cache.dekFor(ORG, replica).join();
        assertThat(viaReplica).isSameAs(viaPrimary);
        assertThat(generateCalls()).isEqualTo(1);
    }

    @Test
    void singleRegionKeyOfSameIdInOtherRegionIsAnotherKey() {
        String other = keyArn.replace("eu-west-1", "eu-central-1");
        assertThat(DekKey.of(ORG, keyArn)).isNotEqualTo(DekKey.of(ORG, other));
    }

    /** Polls until the cache hands out another DEK than {@code old}, as a refresh completes. */
    private static Dek awaitReplacement(DekCache cache, Dek old) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        Dek current = old;
        while (current == old && System.nanoTime() < deadline) {
            Thread.onSpinWait();
            current = cache.dekFor(ORG, old.keyArn()).join();
        }
        assertThat(current).isNotSameAs(old);
        return current;
    }
}
