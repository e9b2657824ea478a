package io.cmekflink.kms;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
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
 * <p>SDK retries are off, because {@link KmsDataKeys} retries with its own budget, on the one delay
 * thread of this client set. Thread safety: safe for concurrent use.
 */
public final class KmsClients implements AutoCloseable {

    private final KmsSettings settings;
    private final Map<String, KmsAsyncClient> clients = new ConcurrentHashMap<>();
    private ScheduledExecutorService delays;
    private boolean closed;

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

    /**
     * Runs {@code task} after {@code delayNanos} on this client set's delay thread, which is
     * started on first use. CompletableFuture's default delayed executor would start a new thread
     * for every task on machines with fewer than three cores, where the common pool has one thread
     * (JDK 17).
     *
     * @throws java.util.concurrent.RejectedExecutionException after {@link #close()}
     */
    synchronized void schedule(Runnable task, long delayNanos) {
        if (closed) {
            throw new java.util.concurrent.RejectedExecutionException(
                    "the KMS clients are closed, so no delayed call can start");
        }
        if (delays == null) {
            delays =
                    Executors.newSingleThreadScheduledExecutor(
                            r -> {
                                Thread thread = new Thread(r, "cmek-flink-kms-delays");
                                thread.setDaemon(true);
                                return thread;
                            });
        }
        delays.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            if (delays != null) {
                delays.shutdownNow();
            }
        }
        clients.values().forEach(KmsAsyncClient::close);
        clients.clear();
    }
}
