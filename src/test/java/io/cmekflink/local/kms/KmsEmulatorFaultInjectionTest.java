package io.cmekflink.local.kms;

import static io.cmekflink.local.kms.KmsAssertions.assertKmsError;
import static io.cmekflink.local.kms.KmsTestClients.REGION;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.kms.KmsAsyncClient;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.DataKeySpec;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyResponse;
import software.amazon.awssdk.services.kms.model.KmsException;

/** Latency, throttling, injected errors and outages, switched at runtime. */
class KmsEmulatorFaultInjectionTest {

    private KmsEmulator emulator;
    private KmsClient kms;
    private String arn;

    @BeforeEach
    void start() {
        emulator = KmsEmulator.start();
        kms = KmsTestClients.sync(emulator);
        arn = emulator.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);
    }

    @AfterEach
    void stop() {
        kms.close();
        emulator.close();
    }

    @Test
    void throttleNextCallsThenSucceed() {
        emulator.faults().throttleNext(2);

        for (int i = 0; i < 2; i++) {
            KmsException error =
                    assertKmsError(
                            KmsException.class, "ThrottlingException", 400, this::generateDataKey);
            assertThat(error.isThrottlingException()).isTrue();
        }

        assertThat(generateDataKey().keyId()).isEqualTo(arn);
        assertThat(emulator.callCount("GenerateDataKey", "ThrottlingException")).isEqualTo(2);
        assertThat(emulator.callCount("GenerateDataKey", KmsEmulator.OUTCOME_SUCCESS)).isEqualTo(1);
    }

    @Test
    void sdkRetriesRecoverFromThrottling() {
        emulator.faults().throttleNext(2);

        try (KmsClient retrying = retryingClient(3)) {
            GenerateDataKeyResponse response =
                    retrying.generateDataKey(b -> b.keyId(arn).keySpec(DataKeySpec.AES_256));

            assertThat(response.keyId()).isEqualTo(arn);
        }
        assertThat(emulator.callCount("GenerateDataKey")).isEqualTo(3);
        assertThat(emulator.callCount("GenerateDataKey", "ThrottlingException")).isEqualTo(2);
    }

    @Test
    void throttleScopedToOneOperation() {
        var blob = generateDataKey().ciphertextBlob();
        emulator.faults().throttleNext(1, KmsOperation.DECRYPT);

        assertThat(generateDataKey().keyId()).isEqualTo(arn);
        assertKmsError(
                KmsException.class,
                "ThrottlingException",
                400,
                () -> kms.decrypt(b -> b.ciphertextBlob(blob)));
        assertThat(kms.decrypt(b -> b.ciphertextBlob(blob)).keyId()).isEqualTo(arn);
    }

    @Test
    void throttleProbabilityBounds() {
        emulator.faults().throttleProbability(1.0);
        for (int i = 0; i < 20; i++) {
            assertKmsError(KmsException.class, "ThrottlingException", 400, this::generateDataKey);
        }

        emulator.faults().throttleProbability(0.5);
        int throttled = 0;
        for (int i = 0; i < 200; i++) {
            if (catchThrowable(this::generateDataKey) != null) {
                throttled++;
            }
        }
        assertThat(throttled).isBetween(50, 150);

        emulator.faults().throttleProbability(0);
        for (int i = 0; i < 20; i++) {
            assertThat(generateDataKey().keyId()).isEqualTo(arn);
        }
    }

    @Test
    void latencyDelaysEveryResponse() {
        emulator.faults().setLatency(Duration.ofMillis(200));

        long start = System.nanoTime();
        generateDataKey();
        assertKmsError(
                software.amazon.awssdk.services.kms.model.NotFoundException.class,
                "NotFoundException",
                400,
                () -> kms.describeKey(b -> b.keyId("1234abcd-12ab-34cd-56ef-1234567890ab")));
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

        assertThat(elapsed).isGreaterThanOrEqualTo(Duration.ofMillis(400));
        emulator.faults().setLatency(Duration.ZERO);
        assertThat(generateDataKey().keyId()).isEqualTo(arn);
    }

    @Test
    void latencyDoesNotSerialiseConcurrentCalls() {
        emulator.faults().setLatency(Duration.ofMillis(300));
        try (KmsAsyncClient async = KmsTestClients.async(emulator)) {
            long start = System.nanoTime();
            List<CompletableFuture<GenerateDataKeyResponse>> calls = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                calls.add(async.generateDataKey(b -> b.keyId(arn).keySpec(DataKeySpec.AES_256)));
            }
            CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

            // 40 calls in sequence would take 12 s; the bound is loose for a loaded machine.
            assertThat(elapsed).isLessThan(Duration.ofSeconds(6));
        }
    }

    @Test
    void outageAnswers503UntilEnded() {
        emulator.faults().startOutage(FaultInjector.OutageMode.HTTP_503);

        assertKmsError(
                KmsException.class, "ServiceUnavailableException", 503, this::generateDataKey);
        try (KmsClient retrying = retryingClient(3)) {
            assertKmsError(
                    KmsException.class,
                    "ServiceUnavailableException",
                    503,
                    () -> retrying.generateDataKey(b -> b.keyId(arn).numberOfBytes(32)));
        }

        emulator.faults().endOutage();

        assertThat(generateDataKey().keyId()).isEqualTo(arn);
        assertThat(emulator.callCount("GenerateDataKey", KmsEmulator.OUTCOME_SERVICE_UNAVAILABLE))
                .isEqualTo(4);
    }

    @Test
    void outageClosesConnectionsUntilEnded() {
        emulator.faults().startOutage(FaultInjector.OutageMode.CLOSE_CONNECTION);

        Throwable thrown = catchThrowable(this::generateDataKey);
        assertThat(thrown).isExactlyInstanceOf(SdkClientException.class);

        emulator.faults().endOutage();

        assertThat(generateDataKey().keyId()).isEqualTo(arn);
        assertThat(emulator.callCount("GenerateDataKey", KmsEmulator.OUTCOME_CONNECTION_CLOSED))
                .isEqualTo(1);
    }

    @Test
    void outageClosesAsyncConnectionsUntilEnded() {
        try (KmsAsyncClient async = KmsTestClients.async(emulator)) {
            emulator.faults().startOutage(FaultInjector.OutageMode.CLOSE_CONNECTION);

            Throwable thrown =
                    catchThrowable(
                            () ->
                                    async.generateDataKey(
                                                    b -> b.keyId(arn).keySpec(DataKeySpec.AES_256))
                                            .join());
            assertThat(thrown).isExactlyInstanceOf(CompletionException.class);
            assertThat(thrown.getCause()).isExactlyInstanceOf(SdkClientException.class);

            emulator.faults().endOutage();

            assertThat(
                            async.generateDataKey(b -> b.keyId(arn).keySpec(DataKeySpec.AES_256))
                                    .join()
                                    .keyId())
                    .isEqualTo(arn);
        }
    }

    @Test
    void clearTurnsEveryFaultOff() {
        emulator.faults()
                .setLatency(Duration.ofSeconds(5))
                .throttleNext(10)
                .throttleProbability(1.0)
                .failNext(3, KmsErrorType.KMS_INTERNAL)
                .startOutage(FaultInjector.OutageMode.HTTP_503);

        emulator.faults().clear();

        long start = System.nanoTime();
        assertThat(generateDataKey().keyId()).isEqualTo(arn);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }

    private GenerateDataKeyResponse generateDataKey() {
        return kms.generateDataKey(b -> b.keyId(arn).keySpec(DataKeySpec.AES_256));
    }

    private KmsClient retryingClient(int maxAttempts) {
        return KmsClient.builder()
                .endpointOverride(emulator.endpoint())
                .region(Region.of(REGION))
                .credentialsProvider(
                        StaticCredentialsProvider.create(
                                AwsBasicCredentials.create(
                                        KmsEmulator.DEFAULT_ACCESS_KEY_ID,
                                        KmsEmulator.DEFAULT_SECRET_ACCESS_KEY)))
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .overrideConfiguration(
                        c ->
                                c.retryStrategy(
                                        AwsRetryStrategy.standardRetryStrategy().toBuilder()
                                                .maxAttempts(maxAttempts)
                                                .backoffStrategy(BackoffStrategy.retryImmediately())
                                                .throttlingBackoffStrategy(
                                                        BackoffStrategy.retryImmediately())
                                                .build()))
                .build();
    }
}
