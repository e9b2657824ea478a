package io.cmekflink.local.bench;

import java.util.Arrays;

/** Medians, spreads and percentiles of benchmark figures. */
final class Stats {

    private Stats() {}

    /** A figure measured in several runs: its median and the lowest and highest run. */
    record Spread(double median, double min, double max, int runs) {
        static Spread of(double[] values) {
            if (values.length == 0) {
                return new Spread(Double.NaN, Double.NaN, Double.NaN, 0);
            }
            double[] sorted = values.clone();
            Arrays.sort(sorted);
            int n = sorted.length;
            double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
            return new Spread(median, sorted[0], sorted[n - 1], n);
        }

        /** Returns the spread as a fraction of the median: (max - min) / median. */
        double relativeRange() {
            return median == 0 ? 0 : (max - min) / median;
        }
    }

    /** The {@code p}-th percentile (0 to 100) of sorted values, by the nearest-rank method. */
    static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
