package io.cmekflink.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.cmekflink.local.kms.KmsEmulator;
import io.cmekflink.local.kms.KmsErrorType;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The demo scenario on fresh data, with exact counts. */
class DemoIT {

    @Test
    void demoInvariantsHoldWithExactCounts() throws Exception {
        int perBatch = 15;
        DemoSummary summary = new Demo(perBatch, 99, 2).run();

        assertExactCounts(summary, perBatch);
        assertThat(summary.faults.isNone()).isTrue();
        assertThat(summary.taskFailure).isNull();
        assertThat(summary.kmsResponses(KmsErrorType.THROTTLING.wireName())).isZero();
        assertThat(summary.kmsResponses(KmsEmulator.OUTCOME_SERVICE_UNAVAILABLE)).isZero();
    }

    /**
     * Throttling, latency, a 5 s outage from the second batch on, and a failure of every task after
     * 50 written records change no count. The retries outlast the faults, and the restart from the
     * latest checkpoint writes each record exactly once.
     */
    @Test
    void demoWithFaultsKeepsExactCounts() throws Exception {
        int perBatch = 15;
        DemoFaults faults = DemoFaults.parse("throttle=0.3,latency=20ms,outage=5s");
        DemoSummary summary = new Demo(perBatch, 99, 2, faults, 50).run();

        String json = summary.toJson();
        assertExactCounts(summary, perBatch);
        assertThat(summary.deadLetters).as(json).doesNotContainKey("KMS_THROTTLED");
        assertThat(summary.deadLetters).as(json).doesNotContainKey("KMS_UNAVAILABLE");
        assertThat(summary.taskFailure).as(json).isNotNull();
        assertThat(summary.taskFailure.writtenBefore()).as(json).isGreaterThanOrEqualTo(50);
        assertThat(summary.taskFailure.restoredCheckpoint()).as(json).isPositive();
        // The faults did happen: throttled GenerateDataKey calls, 503s during the outage.
        assertThat(summary.kmsResponses(KmsErrorType.THROTTLING.wireName())).as(json).isPositive();
        assertThat(summary.kmsResponses(KmsEmulator.OUTCOME_SERVICE_UNAVAILABLE))
                .as(json)
                .isPositive();
        assertThat(json)
                .contains("\"duplicates\":0,\"missing\":0")
                .contains("\"kms_throttled_dead_letters\":0")
                .contains("\"task_failures\":1");
    }

    /** Asserts the counts of the scenario, which no fault and no restart may change. */
    private static void assertExactCounts(DemoSummary summary, int perBatch) {
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
        // Every record id sent comes back once, across the encrypted and dead-letter topics.
        assertThat(summary.duplicates).as(json).isZero();
        assertThat(summary.missing).as(json).isZero();
        assertThat(summary.unknownIds).as(json).isZero();
        assertThat(summary.deadLetters("KMS_THROTTLED")).as(json).isZero();
        assertThat(summary.passed()).as(json).isTrue();
    }
}
