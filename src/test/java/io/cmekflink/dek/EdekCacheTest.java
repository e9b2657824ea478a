package io.cmekflink.dek;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cmekflink.kms.KmsCallException;
import io.cmekflink.kms.KmsErrorKind;
import io.cmekflink.testing.ManualTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class EdekCacheTest {

    private static final String ARN_A = "arn:aws:kms:eu-west-1:111122223333:key/a";
    private static final String ARN_B = "arn:aws:kms:eu-west-1:111122223333:key/b";
    private static final Map<String, String> CONTEXT =
            Map.of("org_id", "org-1", "purpose", "cmek-flink/v1");

    private final ManualTicker ticker = new ManualTicker();
    private final List<String> calls = new ArrayList<>();
    private KmsErrorKind keyError;

    private final EdekCache cache =
            new EdekCache(
                    Duration.ofMinutes(10),
                    1000,
                    Duration.ofSeconds(30),
                    this::unwrap,
                    ticker,
                    Runnable::run);

    private CompletableFuture<byte[]> unwrap(
            String keyArn, byte[] edek, Map<String, String> context) {
        calls.add(keyArn + " " + Arrays.toString(edek) + " " + context.get("org_id"));
        if (keyError != null) {
            return CompletableFuture.failedFuture(
                    new KmsCallException(
                            keyError,
                            "Decrypt",
                            keyArn,
                            "DisabledException",
                            "r-1",
                            1,
                            null,
                            null));
        }
        byte[] key = new byte[Dek.KEY_BYTES];
        key[0] = edek.length == 0 ? 0 : edek[edek.length - 1];
        return CompletableFuture.completedFuture(key);
    }

    private static byte[] edek(int length, int last) {
        byte[] edek = new byte[length];
        for (int i = 0; i < length; i++) {
            edek[i] = (byte) (i + 1);
        }
        if (length > 0) {
            edek[length - 1] = (byte) last;
        }
        return edek;
    }

    @Test
    void sameEdekKeyAndContextShareOneCall() {
        Dek first = cache.dekFor(ARN_A, edek(184, 9), CONTEXT).join();
        Dek second = cache.dekFor(ARN_A, edek(184, 9), CONTEXT).join();

        assertThat(second).isSameAs(first);
        assertThat(calls).hasSize(1);
        assertThat(cache.hits()).isEqualTo(1);
        assertThat(cache.misses()).isEqualTo(1);
    }

    @Test
    void arnAndContextSeparateEntries() {
        cache.dekFor(ARN_A, edek(184, 9), CONTEXT).join();
        cache.dekFor(ARN_B, edek(184, 9), CONTEXT).join();
        cache.dekFor(ARN_A, edek(184, 9), Map.of("org_id", "org-2", "purpose", "cmek-flink/v1"))
                .join();

        assertThat(calls)
                .containsExactly(
                        ARN_A + " " + Arrays.toString(edek(184, 9)) + " org-1",
                        ARN_B + " " + Arrays.toString(edek(184, 9)) + " org-1",
                        ARN_A + " " + Arrays.toString(edek(184, 9)) + " org-2");
    }

    @Test
    void edeksDifferingInTheirLastBytesAreDistinct() {
        // Lengths around the 8-byte steps of the hash, differing only in the final byte.
        for (int length : new int[] {1, 7, 8, 9, 15, 16, 17, 183, 184}) {
            cache.dekFor(ARN_A, edek(length, 100), CONTEXT).join();
            cache.dekFor(ARN_A, edek(length, 101), CONTEXT).join();
        }

        assertThat(calls).hasSize(18);
        assertThat(cache.hits()).isZero();
        for (int length : new int[] {1, 7, 8, 9, 15, 16, 17, 183, 184}) {
            assertThat(EdekCache.edekHash(edek(length, 100)))
                    .as("hash of %d bytes", length)
                    .isNotEqualTo(EdekCache.edekHash(edek(length, 101)));
        }
    }

    @Test
    void callerMayReuseItsArrayAfterTheCall() {
        byte[] reused = edek(184, 9);
        cache.dekFor(ARN_A, reused, CONTEXT).join();
        Arrays.fill(reused, (byte) 0);
        cache.dekFor(ARN_A, reused, CONTEXT).join();
        cache.dekFor(ARN_A, edek(184, 9), CONTEXT).join();

        assertThat(calls).hasSize(2);
        assertThat(calls.get(0)).isEqualTo(ARN_A + " " + Arrays.toString(edek(184, 9)) + " org-1");
        assertThat(cache.hits()).isEqualTo(1);
    }

    @Test
    void entriesExpireAfterMaxAgeHoweverOftenUsed() {
        // Used every 61 s, so that the tenth use comes 549 s after the load and the eleventh 610 s.
        for (int use = 0; use < 10; use++) {
            cache.dekFor(ARN_A, edek(184, 9), CONTEXT).join();
            ticker.advance(Duration.ofSeconds(61));
        }
        assertThat(calls).hasSize(1);
        cache.dekFor(ARN_A, edek(184, 9), CONTEXT).join();

        assertThat(calls).hasSize(2);
    }

    @Test
    void keyErrorCachedWithoutCall() {
        keyError = KmsErrorKind.DISABLED;

        assertThatThrownBy(() -> cache.dekFor(ARN_A, edek(184, 9), CONTEXT).join())
                .isInstanceOf(CompletionException.class)
                .hasCauseInstanceOf(KmsCallException.class);
        assertThatThrownBy(() -> cache.dekFor(ARN_A, edek(184, 9), CONTEXT).join())
                .isInstanceOf(CompletionException.class)
                .hasCauseInstanceOf(KmsCallException.class);
        assertThat(calls).hasSize(1);

        ticker.advance(Duration.ofSeconds(31));
        keyError = null;
        assertThat(cache.dekFor(ARN_A, edek(184, 9), CONTEXT).join()).isNotNull();
        assertThat(calls).hasSize(2);
    }
}
