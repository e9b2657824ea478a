package io.cmekflink.testkit;

import io.cmekflink.local.Sandbox;
import io.cmekflink.local.kms.KmsEmulator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The system properties through which the job's KMS clients, which use the AWS SDK's default
 * provider chain, find the emulator's static test credentials and never ask the instance metadata
 * service. The first {@link #acquire()} sets them and the last {@link #release()} restores what was
 * there before, so that extensions of test classes that run in parallel share one setting.
 */
final class AwsTestProperties {

    private static final Map<String, String> VALUES =
            Map.of(
                    "aws.accessKeyId", KmsEmulator.DEFAULT_ACCESS_KEY_ID,
                    "aws.secretAccessKey", KmsEmulator.DEFAULT_SECRET_ACCESS_KEY,
                    "aws.region", Sandbox.REGION,
                    "aws.disableEc2Metadata", "true");

    private static final Map<String, String> previous = new LinkedHashMap<>();
    private static int users;

    private AwsTestProperties() {}

    static synchronized void acquire() {
        if (users++ > 0) {
            return;
        }
        VALUES.forEach(
                (key, value) -> {
                    previous.put(key, System.getProperty(key));
                    System.setProperty(key, value);
                });
    }

    static synchronized void release() {
        if (users == 0 || --users > 0) {
            return;
        }
        previous.forEach(
                (key, value) -> {
                    if (value == null) {
                        System.clearProperty(key);
                    } else {
                        System.setProperty(key, value);
                    }
                });
        previous.clear();
    }
}
