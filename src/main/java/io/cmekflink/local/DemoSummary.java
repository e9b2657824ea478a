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

    long deadLetterTotal() {
        return deadLetters.values().stream().mapToLong(Long::longValue).sum();
    }

    boolean passed() {
        return recordsIn == encrypted + deadLetterTotal()
                && decryptedOk + revokedUnreadable == encrypted
                && decryptMismatches == 0
                && plaintextFound == 0
                && scannerSelfTestPassed;
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
        ObjectNode calls = root.putObject("kms_calls");
        kmsCalls.forEach(calls::put);
        root.put("elapsed_ms", elapsedMs);
        root.put("passed", passed());
        return root.toString();
    }
}
