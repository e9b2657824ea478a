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

        // Six orgs, three batches, and one malformed value.
        assertThat(summary.recordsIn).isEqualTo(6L * 3 * perBatch + 1);
        assertThat(summary.deadLetters)
                .isEqualTo(
                        Map.of(
                                "NO_KEY_LINKED",
                                3L * perBatch,
                                "KEY_DISABLED",
                                (long) perBatch,
                                "MALFORMED_RECORD",
                                1L));
        assertThat(summary.encrypted).isEqualTo(14L * perBatch);
        assertThat(summary.recordsIn).isEqualTo(summary.encrypted + summary.deadLetterTotal());
        // The disabled key's first two batches were encrypted and can no longer be read.
        assertThat(summary.revokedUnreadable).isEqualTo(2L * perBatch);
        assertThat(summary.decryptedOk).isEqualTo(12L * perBatch);
        assertThat(summary.decryptMismatches).isZero();
        assertThat(summary.scannerSelfTestPassed).isTrue();
        assertThat(summary.plaintextFound).isZero();
        assertThat(summary.kmsCalls.get("GenerateDataKey")).isPositive();
        // The read side: the decrypt job, the tampered copies and the re-wrap.
        String json = summary.toJson();
        assertThat(summary.readSide.decryptOk).as(json).isEqualTo(12L * perBatch);
        assertThat(summary.readSide.decryptDeadLetters)
                .as(json)
                .isEqualTo(Map.of("KEY_DISABLED", 2L * perBatch));
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
