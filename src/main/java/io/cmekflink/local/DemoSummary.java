package io.cmekflink.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cmekflink.local.kms.KmsEmulator;
import io.cmekflink.local.kms.KmsErrorType;
import java.util.Map;
import java.util.TreeMap;

/** What the demo counted, and whether its invariants hold. */
final class DemoSummary {

    long recordsIn;
    long encrypted;
    final Map<String, Long> deadLetters = new TreeMap<>();
    long decryptedOk;
    long revokedUnreadable;
    long decryptMismatches;
    long plaintextFound;
    boolean scannerSelfTestPassed;
    int scannerPlanted;
    long sensitiveValuesScanned;
    long bytesScanned;
    Map<String, Long> kmsCalls = new TreeMap<>();
    long elapsedMs;
    DemoReadSide.Result readSide;
    long revocationProbes;
    long revocationLatencyMs;
    long revocationBoundMs;
    long expectedRewrapped;
    long duplicates;
    long missing;
    long unknownIds;
    DemoFaults faults = DemoFaults.none();
    long failTasksAfter;
    DemoTaskFailure.Outcome taskFailure;
    Map<String, Map<String, Long>> kmsCallsByOutcome = new TreeMap<>();

    long deadLetterTotal() {
        return deadLetters.values().stream().mapToLong(Long::longValue).sum();
    }

    long deadLetters(String code) {
        return deadLetters.getOrDefault(code, 0L);
    }

    /**
     * Returns whether every invariant holds. With or without faults, every record id sent must be
     * read back exactly once, and no KMS call may run out of retries, because the demo's retry
     * policy is sized for the faults that {@link DemoFaults} accepts. A requested task failure must
     * have restarted the job from a checkpoint.
     */
    boolean passed() {
        boolean encryptSide =
                recordsIn == encrypted + deadLetterTotal()
                        && decryptedOk + revokedUnreadable == encrypted
                        && decryptMismatches == 0
                        && plaintextFound == 0
                        && scannerSelfTestPassed
                        && revocationLatencyMs <= revocationBoundMs;
        boolean exactlyOnce = duplicates == 0 && missing == 0 && unknownIds == 0;
        boolean retriesHeld =
                deadLetters("KMS_THROTTLED") == 0 && deadLetters("KMS_UNAVAILABLE") == 0;
        boolean restarted = failTasksAfter == 0 || taskFailure != null;
        return encryptSide
                && exactlyOnce
                && retriesHeld
                && restarted
                && (readSide == null || readSidePassed());
    }

    /** Returns the KMS responses of the encrypt run with the outcome, summed over operations. */
    long kmsResponses(String outcome) {
        return kmsCallsByOutcome.values().stream()
                .mapToLong(byOutcome -> byOutcome.getOrDefault(outcome, 0L))
                .sum();
    }

    /**
     * On the encrypted topic, the decrypt job decrypts every record except those under the disabled
     * key, which fail with KEY_DISABLED, and nothing else fails; every tampered copy is detected;
     * every re-wrapped record decrypts after the old key is disabled.
     */
    private boolean readSidePassed() {
        long disabled = readSide.decryptDeadLetters.getOrDefault("KEY_DISABLED", 0L);
        long otherFailures =
                readSide.decryptDeadLetters.values().stream().mapToLong(Long::longValue).sum()
                        - disabled;
        return readSide.decryptOk + disabled == encrypted
                && otherFailures == 0
                && readSide.tamperedSent > 0
                && readSide.tamperedDetected == readSide.tamperedSent
                && readSide.rewrapped == expectedRewrapped
                && readSide.rewrappedReadable == readSide.rewrapped;
    }

    private void putFaults(ObjectNode node) {
        node.put("kms", faults.toString());
        node.put("kms_throttled_responses", kmsResponses(KmsErrorType.THROTTLING.wireName()));
        node.put(
                "kms_unavailable_responses", kmsResponses(KmsEmulator.OUTCOME_SERVICE_UNAVAILABLE));
        node.put("kill_task_after", failTasksAfter);
        node.put("task_failures", taskFailure == null ? 0 : 1);
        if (taskFailure != null) {
            node.put("written_before_task_failure", taskFailure.writtenBefore());
            node.put("restored_checkpoint", taskFailure.restoredCheckpoint());
        }
    }

    String toJson() {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        root.put("records_in", recordsIn);
        root.put("encrypted", encrypted);
        ObjectNode letters = root.putObject("dead_letters");
        deadLetters.forEach(letters::put);
        root.put("decrypted_ok", decryptedOk);
        root.put("revoked_unreadable", revokedUnreadable);
        root.put("decrypt_mismatches", decryptMismatches);
        root.put("plaintext_found", plaintextFound);
        root.put("scanner_self_test", scannerSelfTestPassed ? "passed" : "failed");
        root.put("scanner_planted_leaks_found", scannerPlanted);
        root.put("sensitive_values_scanned", sensitiveValuesScanned);
        root.put("bytes_scanned", bytesScanned);
        if (readSide != null) {
            ObjectNode decrypt = root.putObject("decrypt");
            decrypt.put("ok", readSide.decryptOk);
            ObjectNode decryptLetters = decrypt.putObject("dead_letters");
            readSide.decryptDeadLetters.forEach(decryptLetters::put);
            ObjectNode tampered = root.putObject("tampered");
            tampered.put("sent", readSide.tamperedSent);
            tampered.put("detected", readSide.tamperedDetected);
            root.put("rewrapped", readSide.rewrapped);
            root.put("rewrapped_readable_after_old_key_disabled", readSide.rewrappedReadable);
        }
        root.put("revocation_latency_ms", revocationLatencyMs);
        root.put("revocation_bound_ms", revocationBoundMs);
        root.put("revocation_probe_records", revocationProbes);
        root.put("duplicates", duplicates);
        root.put("missing", missing);
        root.put("unknown_record_ids", unknownIds);
        root.put("kms_throttled_dead_letters", deadLetters("KMS_THROTTLED"));
        root.put("kms_unavailable_dead_letters", deadLetters("KMS_UNAVAILABLE"));
        putFaults(root.putObject("faults"));
        ObjectNode calls = root.putObject("kms_calls");
        kmsCalls.forEach(calls::put);
        root.put("elapsed_ms", elapsedMs);
        root.put("passed", passed());
        return root.toString();
    }
}
