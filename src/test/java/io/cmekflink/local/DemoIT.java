package io.cmekflink.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The demo scenario on fresh data, with exact counts. */
class DemoIT {

    @Test
    void demoInvariantsHoldWithExactCounts() throws Exception {
        int perBatch = 15;
        DemoSummary summary = new Demo(perBatch, 99, 2).run();

        String json = summary.toJson();
        // Six orgs, three batches, one malformed value, and the records of the org whose key
        // was disabled that arrived during the revocation window.
        long probes = summary.revocationProbes;
        assertThat(probes).as(json).isPositive();
        assertThat(summary.recordsIn).isEqualTo(6L * 3 * perBatch + 1 + probes);
        // Of those, the ones encrypted before the job found the key disabled are unreadable now.
        long probesEncrypted = summary.revokedUnreadable - 2L * perBatch;
        assertThat(probesEncrypted).as(json).isBetween(0L, probes);
        assertThat(summary.deadLetters)
                .as(json)
                .isEqualTo(
                        Map.of(
                                "NO_KEY_LINKED",
                                3L * perBatch,
                                "KEY_DISABLED",
                                perBatch + probes - probesEncrypted,
                                "MALFORMED_RECORD",
                                1L));
        assertThat(summary.encrypted).isEqualTo(14L * perBatch + probesEncrypted);
        assertThat(summary.recordsIn).isEqualTo(summary.encrypted + summary.deadLetterTotal());
        assertThat(summary.decryptedOk).isEqualTo(12L * perBatch);
        assertThat(summary.revocationLatencyMs)
                .as(json)
                .isLessThanOrEqualTo(summary.revocationBoundMs);
        assertThat(summary.decryptMismatches).isZero();
        assertThat(summary.scannerSelfTestPassed).isTrue();
        assertThat(summary.plaintextFound).isZero();
        assertThat(summary.kmsCalls.get("GenerateDataKey")).isPositive();
        // The read side: the decrypt job, the tampered copies and the re-wrap.
        assertThat(summary.readSide.decryptOk).as(json).isEqualTo(12L * perBatch);
        assertThat(summary.readSide.decryptDeadLetters)
                .as(json)
                .isEqualTo(Map.of("KEY_DISABLED", 2L * perBatch + probesEncrypted));
        assertThat(summary.readSide.tamperedSent).as(json).isEqualTo(9);
        assertThat(summary.readSide.tamperedDetected).as(json).isEqualTo(9);
        // The relinked org's first batch, and any record of its second batch that the job
        // routed before the relink reached it, used the old key.
        assertThat(summary.expectedRewrapped).as(json).isBetween((long) perBatch, 2L * perBatch);
        assertThat(summary.readSide.rewrapped).as(json).isEqualTo(summary.expectedRewrapped);
        assertThat(summary.readSide.rewrappedReadable)
                .as(json)
                .isEqualTo(summary.expectedRewrapped);
        assertThat(summary.passed()).as(json).isTrue();
    }
}
