package io.cmekflink.kms;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsAsyncClient;
import software.amazon.awssdk.services.kms.KmsAsyncClientBuilder;

/**
 * One asynchronous KMS client per AWS region, created on first use and closed together.
 *
 * <p>SDK retries are off, because {@link KmsDataKeys} retries with its own budget. Thread safety:
 * safe for concurrent use.
 */
public final class KmsClients implements AutoCloseable {

    private final KmsSettings settings;
    private final Map<String, KmsAsyncClient> clients = new ConcurrentHashMap<>();

    public KmsClients(KmsSettings settings) {
        this.settings = settings;
    }

    public KmsSettings settings() {
        return settings;
    }

    /**
     * Checks that the SDK's default credentials provider chain finds credentials, so that a job
     * without them fails at start with this message instead of turning every record into a
     * KMS_UNAVAILABLE dead letter after its retries.
     *
     * @throws IllegalStateException naming where the chain looks
     */
    public static void checkCredentials() {
        try (DefaultCredentialsProvider provider = DefaultCredentialsProvider.builder().build()) {
            provider.resolveCredentials();
        } catch (SdkClientException e) {
            throw new IllegalStateException(
                    "no AWS credentials for KMS: the AWS SDK's default provider chain found none;"
                            + " set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, the"
                            + " aws.accessKeyId and aws.secretAccessKey system properties, a"
                            + " profile, or a role ("
                            + e.getMessage()
                            + ")",
                    e);
        }
    }

    /** The client for a region. */
    public KmsAsyncClient forRegion(String region) {
        return clients.computeIfAbsent(region, this::create);
    }

    private KmsAsyncClient create(String region) {
        KmsAsyncClientBuilder builder =
                KmsAsyncClient.builder()
                        .region(Region.of(region))
                        .httpClientBuilder(
                                NettyNioAsyncHttpClient.builder()
                                        .maxConcurrency(settings.maxConcurrency())
                                        .connectionAcquisitionTimeout(settings.attemptTimeout())
                                        .connectionTimeout(
                                                min(
                                                        settings.attemptTimeout(),
                                                        Duration.ofSeconds(5))))
                        .overrideConfiguration(
                                ClientOverrideConfiguration.builder()
                                        .retryStrategy(AwsRetryStrategy.doNotRetry())
                                        .apiCallAttemptTimeout(settings.attemptTimeout())
                                        .build());
        if (settings.endpointOverride() != null) {
            builder.endpointOverride(settings.endpointOverride());
        }
        return builder.build();
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    @Override
    public void close() {
        clients.values().forEach(KmsAsyncClient::close);
        clients.clear();
    }
}
