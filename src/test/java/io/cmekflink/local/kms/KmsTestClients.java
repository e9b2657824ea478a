package io.cmekflink.local.kms;

import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.SdkEventLoopGroup;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsAsyncClient;
import software.amazon.awssdk.services.kms.KmsClient;

/** Real AWS SDK clients pointed at an emulator, with static test credentials and no retries. */
final class KmsTestClients {

    static final String REGION = "us-west-2";
    static final String OTHER_REGION = "us-east-2";

    /**
     * One Netty event loop group for all async test clients. A client that owns its group shuts it
     * down gracefully on close, which takes about 2 s per client; a shared group is not closed by
     * the clients.
     */
    private static final SdkEventLoopGroup EVENT_LOOPS =
            SdkEventLoopGroup.builder().numberOfThreads(2).build();

    private KmsTestClients() {}

    static KmsClient sync(KmsEmulator emulator) {
        return sync(
                emulator,
                KmsEmulator.DEFAULT_ACCESS_KEY_ID,
                KmsEmulator.DEFAULT_SECRET_ACCESS_KEY,
                REGION);
    }

    static KmsClient sync(KmsEmulator emulator, String accessKeyId, String secret, String region) {
        return KmsClient.builder()
                .endpointOverride(emulator.endpoint())
                .region(Region.of(region))
                .credentialsProvider(
                        StaticCredentialsProvider.create(
                                AwsBasicCredentials.create(accessKeyId, secret)))
                .httpClientBuilder(
                        UrlConnectionHttpClient.builder().socketTimeout(Duration.ofSeconds(10)))
                .overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build();
    }

    static KmsAsyncClient async(KmsEmulator emulator) {
        return async(
                emulator,
                KmsEmulator.DEFAULT_ACCESS_KEY_ID,
                KmsEmulator.DEFAULT_SECRET_ACCESS_KEY,
                REGION);
    }

    static KmsAsyncClient async(
            KmsEmulator emulator, String accessKeyId, String secret, String region) {
        return KmsAsyncClient.builder()
                .endpointOverride(emulator.endpoint())
                .region(Region.of(region))
                .credentialsProvider(
                        StaticCredentialsProvider.create(
                                AwsBasicCredentials.create(accessKeyId, secret)))
                .httpClientBuilder(
                        NettyNioAsyncHttpClient.builder()
                                .eventLoopGroup(EVENT_LOOPS)
                                .readTimeout(Duration.ofSeconds(10)))
                .overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build();
    }
}
