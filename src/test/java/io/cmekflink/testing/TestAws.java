package io.cmekflink.testing;

import io.cmekflink.kms.KmsClients;
import io.cmekflink.kms.KmsSettings;
import io.cmekflink.kms.RetryPolicy;
import io.cmekflink.local.kms.KmsEmulator;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * AWS settings of the tests: static credentials of the emulator's default account, an explicit
 * region and a loopback endpoint, so that no SDK call reaches for the instance metadata service.
 */
public final class TestAws {

    public static final String REGION = "eu-west-1";

    private TestAws() {}

    /**
     * Puts the emulator's default credentials where the SDK's default provider chain looks first,
     * the {@code aws.accessKeyId} and {@code aws.secretAccessKey} system properties, as the job's
     * own KMS clients read credentials from that chain.
     */
    public static void useEmulatorCredentials() {
        System.setProperty("aws.disableEc2Metadata", "true");
        System.setProperty("aws.accessKeyId", KmsEmulator.DEFAULT_ACCESS_KEY_ID);
        System.setProperty("aws.secretAccessKey", KmsEmulator.DEFAULT_SECRET_ACCESS_KEY);
    }

    /** The job's KMS clients pointed at the emulator. */
    public static KmsClients clients(KmsEmulator kms, RetryPolicy retryPolicy) {
        useEmulatorCredentials();
        return new KmsClients(
                new KmsSettings(REGION, kms.endpoint(), 16, Duration.ofSeconds(5), retryPolicy));
    }

    /** A synchronous client of the emulator's default account, for test set-up and checks. */
    public static KmsClient syncClient(KmsEmulator kms, String region) {
        return KmsClient.builder()
                .region(Region.of(region))
                .endpointOverride(kms.endpoint())
                .credentialsProvider(
                        StaticCredentialsProvider.create(
                                AwsBasicCredentials.create(
                                        KmsEmulator.DEFAULT_ACCESS_KEY_ID,
                                        KmsEmulator.DEFAULT_SECRET_ACCESS_KEY)))
                .httpClient(UrlConnectionHttpClient.create())
                .build();
    }
}
