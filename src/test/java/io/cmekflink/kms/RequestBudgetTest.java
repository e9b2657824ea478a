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
