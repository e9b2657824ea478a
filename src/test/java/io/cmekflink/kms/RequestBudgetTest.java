package io.cmekflink.kms;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.exception.SdkClientException;

class RequestBudgetTest {

    @Test
    void requestsAreSpacedByTheRate() {
        RequestBudget budget = new RequestBudget(10, 1);
        List<Long> delays = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            delays.add(budget.reserve());
        }
        // 10 per second: each request books the slot 100 ms after the previous one.
        for (int i = 0; i < 5; i++) {
            long expected = i * 100_000_000L;
            assertThat(delays.get(i)).isBetween(expected - 20_000_000L, expected);
        }
    }

    @Test
    void burstGoesAtOnceAfterAnIdlePeriod() {
        RequestBudget budget = new RequestBudget(1, 3);
        assertThat(budget.reserve()).isZero();
        assertThat(budget.reserve()).isZero();
        assertThat(budget.reserve()).isZero();
        assertThat(budget.reserve()).isGreaterThan(900_000_000L);
    }

    @Test
    void spacedBudgetStaysWithinRatePerSecond() {
        RequestBudget budget = RequestBudget.spaced(100);
        long[] sendAt = new long[300];
        for (int i = 0; i < sendAt.length; i++) {
            sendAt[i] = System.nanoTime() + budget.reserve();
        }
        int maxInSecond = 0;
        int first = 0;
        for (int last = 0; last < sendAt.length; last++) {
            while (sendAt[last] - sendAt[first] >= 1_000_000_000L) {
                first++;
            }
            maxInSecond = Math.max(maxInSecond, last - first + 1);
        }
        // A full bucket of 100 plus the rate would put 200 requests into the first second.
        assertThat(maxInSecond).isBetween(100, 101);
        assertThat(sendAt[sendAt.length - 1] - sendAt[0]).isGreaterThan(2_900_000_000L);
    }

    @Test
    void unlimitedNeverWaits() {
        RequestBudget budget = RequestBudget.unlimited();
        for (int i = 0; i < 1000; i++) {
            assertThat(budget.reserve()).isZero();
        }
    }

    @Test
    void connectionPoolTimeoutIsRetriable() {
        SdkClientException poolTimeout =
                SdkClientException.create(
                        "Unable to execute HTTP request: Acquire operation took longer than the"
                                + " configured maximum time.");
        assertThat(KmsErrors.classify(poolTimeout)).isEqualTo(KmsErrorKind.UNAVAILABLE);
        assertThat(KmsErrors.classify(poolTimeout).retriable()).isTrue();
    }
}
