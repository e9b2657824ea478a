package io.cmekflink.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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

    long deadLetterTotal() {
        return deadLetters.values().stream().mapToLong(Long::longValue).sum();
    }

    boolean passed() {
        boolean encryptSide =
                recordsIn == encrypted + deadLetterTotal()
                        && decryptedOk + revokedUnreadable == encrypted
                        && decryptMismatches == 0
                        && plaintextFound == 0
                        && scannerSelfTestPassed
                        && revocationLatencyMs <= revocationBoundMs;
        return encryptSide && (readSide == null || readSidePassed());
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
        ObjectNode calls = root.putObject("kms_calls");
        kmsCalls.forEach(calls::put);
        root.put("elapsed_ms", elapsedMs);
        root.put("passed", passed());
        return root.toString();
    }
}
