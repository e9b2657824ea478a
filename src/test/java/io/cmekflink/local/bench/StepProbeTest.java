package io.cmekflink.local.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StepProbeTest {

    @Test
    void latencyWaitsForEarlierRecords() throws Exception {
        StepProbe probe = StepProbe.create("probe-test-order", 3);
        StepProbe.Instance instance = probe.instance(0);
        int first = instance.enter();
        int second = instance.enter();
        instance.complete(second, true);
        waitAtLeastOneNano();
        instance.complete(first, false);

        long[] latencies = probe.latenciesNanos();

        // The second record completed first, but an ordered step emits it after the first.
        assertThat(latencies).hasSize(2);
        assertThat(latencies[1]).isGreaterThanOrEqualTo(latencies[0] - 1_000_000);
        assertThat(probe.records()).isEqualTo(2);
        assertThat(probe.synchronousRecords()).isEqualTo(1);
        assertThat(probe.recordsPerInstance(2)).containsExactly(2, 0);
        StepProbe.remove("probe-test-order");
    }

    @Test
    void fullProbeStillCounts() {
        StepProbe probe = StepProbe.create("probe-test-full", 1);
        StepProbe.Instance instance = probe.instance(1);
        instance.complete(instance.enter(), true);
        instance.complete(instance.enter(), true);

        assertThat(probe.records()).isEqualTo(2);
        assertThat(probe.latenciesNanos()).hasSize(1);
        assertThat(probe.recordsPerInstance(2)).containsExactly(0, 2);
        StepProbe.remove("probe-test-full");
    }

    private static void waitAtLeastOneNano() {
        long start = System.nanoTime();
        while (System.nanoTime() == start) {
            Thread.onSpinWait();
        }
    }
}
