package io.cmekflink.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.cmekflink.testing.JobHarness;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.flink.streaming.api.functions.async.CollectionSupplier;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.junit.jupiter.api.Test;

class StepDeadlinesTest {

    /** Records every completion it receives, as Flink's result handler would receive them. */
    private static final class Completions implements ResultFuture<String> {
        final List<Collection<String>> received = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public void complete(Collection<String> outputs) {
            received.add(new ArrayList<>(outputs));
        }

        @Override
        public void complete(CollectionSupplier<String> outputs) {
            try {
                received.add(new ArrayList<>(outputs.get()));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void completeExceptionally(Throwable error) {
            received.add(List.of("failed: " + error.getMessage()));
        }
    }

    @Test
    void expiredRecordCompletesOnceWithExpiry() {
        try (StepDeadlines deadlines = new StepDeadlines("test", 0, Duration.ofMillis(50))) {
            Completions completions = new Completions();
            ResultFuture<String> bounded = deadlines.bound(completions, () -> List.of("late"));

            JobHarness.await(
                    "the deadline", Duration.ofSeconds(10), () -> !completions.received.isEmpty());
            bounded.complete(List.of("sealed"));
            bounded.completeExceptionally(new IllegalStateException("boom"));

            assertThat(completions.received).containsExactly(List.of("late"));
            assertThat(StepDeadlines.expired(bounded)).isTrue();
            assertThat(deadlines.armed()).isZero();
        }
    }

    @Test
    void completionBeforeDeadlineCancelsTimer() {
        try (StepDeadlines deadlines = new StepDeadlines("test", 0, Duration.ofHours(1))) {
            Completions completions = new Completions();
            ResultFuture<String> bounded = deadlines.bound(completions, () -> List.of("late"));
            assertThat(deadlines.armed()).isEqualTo(1);

            bounded.complete(List.of("sealed"));
            bounded.complete(List.of("again"));

            assertThat(completions.received).containsExactly(List.of("sealed"));
            assertThat(StepDeadlines.expired(bounded)).isFalse();
            assertThat(StepDeadlines.expired(completions)).isFalse();
            assertThat(deadlines.armed()).isZero();
        }
    }

    @Test
    void boundResultKeepsItsFirstDeadline() {
        try (StepDeadlines deadlines = new StepDeadlines("test", 0, Duration.ofHours(1))) {
            Completions completions = new Completions();
            ResultFuture<String> bounded = deadlines.bound(completions, () -> List.of("late"));

            assertThat(deadlines.bound(bounded, () -> List.of("other"))).isSameAs(bounded);
            assertThat(deadlines.armed()).isEqualTo(1);
        }
    }
}
