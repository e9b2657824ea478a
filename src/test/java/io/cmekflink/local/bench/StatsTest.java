package io.cmekflink.local.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StatsTest {

    @Test
    void spreadOfOddCount() {
        Stats.Spread s = Stats.Spread.of(new double[] {3, 1, 2});
        assertThat(s.median()).isEqualTo(2.0);
        assertThat(s.min()).isEqualTo(1.0);
        assertThat(s.max()).isEqualTo(3.0);
        assertThat(s.runs()).isEqualTo(3);
        assertThat(s.relativeRange()).isEqualTo(1.0);
    }

    @Test
    void spreadOfEvenCount() {
        assertThat(Stats.Spread.of(new double[] {4, 1, 2, 10}).median()).isEqualTo(3.0);
    }

    @Test
    void spreadOfNothing() {
        Stats.Spread s = Stats.Spread.of(new double[0]);
        assertThat(s.runs()).isZero();
        assertThat(s.median()).isNaN();
    }

    @Test
    void percentileByNearestRank() {
        long[] sorted = new long[100];
        for (int i = 0; i < 100; i++) {
            sorted[i] = i + 1;
        }
        assertThat(Stats.percentile(sorted, 50)).isEqualTo(50);
        assertThat(Stats.percentile(sorted, 99)).isEqualTo(99);
        assertThat(Stats.percentile(sorted, 100)).isEqualTo(100);
        assertThat(Stats.percentile(sorted, 0)).isEqualTo(1);
        assertThat(Stats.percentile(new long[0], 50)).isZero();
    }
}
