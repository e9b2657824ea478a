package io.cmekflink.dek;

import static org.assertj.core.api.Assertions.assertThat;

import io.cmekflink.kms.KmsCallListener;
import io.cmekflink.kms.KmsClients;
import io.cmekflink.kms.KmsDataKeys;
import io.cmekflink.kms.RetryPolicy;
import io.cmekflink.local.kms.KmsEmulator;
import io.cmekflink.local.kms.KmsErrorType;
import io.cmekflink.local.kms.KmsOperation;
import io.cmekflink.testing.ManualTicker;
import io.cmekflink.testing.TestAws;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A failed refresh never keeps a DEK past its max age, counted from its creation. */
class DekRevocationTest {

    private static KmsEmulator kms;
    private static KmsClients clients;
    private static KmsDataKeys dataKeys;

    private final ManualTicker ticker = new ManualTicker();

    @BeforeAll
    static void start() {
        kms = KmsEmulator.start(0);
        clients = TestAws.clients(kms, RetryPolicy.none());
        dataKeys = new KmsDataKeys(clients, Set.of("eu-west-1"), KmsCallListener.NONE);
    }

    @AfterAll
    static void stop() {
        clients.close();
        kms.close();
    }

    private DekCache cache() {
        return new DekCache(
                new DekCacheSettings(
                        Duration.ofMinutes(10),
                        Duration.ofMinutes(1),
                        1000,
                        1000,
                        Duration.ofSeconds(30)),
                // The KMS call completes before the generator returns, so that the cache
                // handles its outcome on the test thread, before the next lookup.
                (org, arn) -> {
                    try {
                        return CompletableFuture.completedFuture(
                                dataKeys.generateDataKey(
                                                arn,
                                                Map.of("org_id", org, "purpose", "cmek-flink/v1"))
                                        .join());
                    } catch (java.util.concurrent.CompletionException e) {
                        return CompletableFuture.failedFuture(e.getCause());
                    }
                },
                ticker,
                Runnable::run);
    }

    private Dek lookup(DekCache cache, String arn) {
        CompletableFuture<Dek> f = cache.dekFor("org", arn);
        try {
            return f.join();
        } catch (RuntimeException refused) {
            return null;
        }
    }

    @Test
    void disabledKeyStopsAtTheFailedRefresh() {
        String arn = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
        DekCache cache = cache();
        Dek first = lookup(cache, arn);
        kms.disableKey(arn);
        int servedAfterRefresh = 0;
        int servedBeforeRefresh = 0;
        // Two hours in 10 s steps; the refresh is due 9 minutes (step 54) after creation.
        for (int step = 1; step <= 720; step++) {
            ticker.advance(Duration.ofSeconds(10));
            Dek got = lookup(cache, arn);
            if (got == null) {
                continue;
            }
            assertThat(got).isSameAs(first);
            if (step > 54) {
                servedAfterRefresh++;
            } else {
                servedBeforeRefresh++;
            }
        }
        // The lookup at 9:00 starts the refresh and still gets the old DEK.
        assertThat(servedBeforeRefresh).isEqualTo(54);
        assertThat(servedAfterRefresh).isZero();
    }

    @Test
    void passingRefreshFailureStillExpiresAtMaxAge() {
        String arn = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
        DekCache cache = cache();
        Dek first = lookup(cache, arn);
        kms.faults().failNext(1, KmsErrorType.KEY_UNAVAILABLE, KmsOperation.GENERATE_DATA_KEY);
        ticker.advance(Duration.ofMinutes(9).plusSeconds(10));
        assertThat(lookup(cache, arn)).as("the old DEK while the refresh fails").isSameAs(first);
        ticker.advance(Duration.ofMinutes(1).plusSeconds(20));
        Dek later = lookup(cache, arn);
        assertThat(later).as("a DEK 10:30 after the first one's creation").isNotNull();
        assertThat(later).isNotSameAs(first);
    }
}
