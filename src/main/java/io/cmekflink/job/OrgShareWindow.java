package io.cmekflink.job;

import java.util.HashMap;
import java.util.Map;

/**
 * Counts records per org in tumbling windows of a fixed number of records, and returns the org with
 * the most records of each window when it completes. The parse step uses it to report orgs that may
 * need {@code hot-orgs.ids}. Not thread-safe: one per parse instance.
 */
final class OrgShareWindow {

    /** The org with the most records of a window, and its count. */
    record Top(String orgId, int records, int windowRecords) {

        /** Returns the org's share of the window in whole percent, rounded down. */
        int percent() {
            return (int) (100L * records / windowRecords);
        }
    }

    private final int size;
    private final Map<String, int[]> counts = new HashMap<>();
    private int seen;

    OrgShareWindow(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("window size must be at least 1, got " + size);
        }
        this.size = size;
    }

    /**
     * Counts one record of {@code orgId}. Returns the top org of the window when this record
     * completes it, and starts the next window; returns {@code null} otherwise. Of orgs with equal
     * counts, it returns any one.
     */
    Top add(String orgId) {
        counts.computeIfAbsent(orgId, id -> new int[1])[0]++;
        if (++seen < size) {
            return null;
        }
        String topOrg = null;
        int topCount = 0;
        for (Map.Entry<String, int[]> e : counts.entrySet()) {
            if (e.getValue()[0] > topCount) {
                topOrg = e.getKey();
                topCount = e.getValue()[0];
            }
        }
        counts.clear();
        seen = 0;
        return new Top(topOrg, topCount, size);
    }
}
