package io.cmekflink.testing;

import io.cmekflink.kms.KmsClients;
import io.cmekflink.kms.KmsSettings;
import io.cmekflink.kms.RetryPolicy;
import io.cmekflink.local.kms.KmsEmulator;
import java.time.Duration;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * AWS settings of the tests: static credentials of the emulator's default account, an explicit
 * region and a loopback endpoint, so that no SDK call reaches for the instance metadata service.
 */
public final class TestAws {

    public static final String REGION = "eu-west-1";

    private TestAws() {}

    /** Exports the emulator's default credentials to the SDK's default provider chain. */
    public static void useEmulatorCredentials() {
        KmsEmulator.useDefaultAccountForSdkChain();
    }

    /** The job's KMS clients pointed at the emulator. */
    public static KmsClients clients(KmsEmulator kms, RetryPolicy retryPolicy) {
        useEmulatorCredentials();
        return new KmsClients(
                new KmsSettings(REGION, kms.endpoint(), 16, Duration.ofSeconds(5), retryPolicy));
    }

    /** A synchronous client of the emulator's default account, for test set-up and checks. */
    public static KmsClient syncClient(KmsEmulator kms, String region) {
        return kms.defaultAccountClient(region);
    }
}
