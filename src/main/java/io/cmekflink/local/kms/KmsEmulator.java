package io.cmekflink.local.kms;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * An in-JVM AWS KMS emulator for tests and local development, never a production key store. Key
 * material is random, lives in memory only and is gone when the emulator closes.
 *
 * <p>It serves the KMS JSON 1.1 wire protocol on {@code http://127.0.0.1:<port>/} ({@code POST /},
 * {@code X-Amz-Target: TrentService.<Operation>}, {@code Content-Type:
 * application/x-amz-json-1.1}). The AWS SDK for Java 2 {@code KmsClient} and {@code KmsAsyncClient}
 * with {@code endpointOverride(endpoint())}, and {@code aws --endpoint-url}, run against it
 * unchanged. Supported operations: {@code CreateKey}, {@code GenerateDataKey}, {@code Decrypt},
 * {@code Encrypt}, {@code ReEncrypt}, {@code DescribeKey}, {@code GetKeyRotationStatus}, {@code
 * EnableKey}, {@code DisableKey}, {@code ScheduleKeyDeletion}, {@code CancelKeyDeletion} and {@code
 * ReplicateKey}. Errors carry the {@code __type}, HTTP status and message that KMS returns (see
 * {@link KmsErrorType}), and every response has an {@code x-amzn-RequestId} header.
 *
 * <p>Accounts and regions: the access key id in the SigV4 {@code Authorization} header selects the
 * account, and the signature's credential scope selects the region. {@link #DEFAULT_ACCESS_KEY_ID}
 * and {@link #SECOND_ACCESS_KEY_ID} are registered from the start, {@link #registerAccessKey} adds
 * more, and an unknown access key gets {@code UnrecognizedClientException}. The signature is
 * verified with the registered secret (see {@link #setSignatureVerification}), but the request time
 * is not checked. Keys live per account and region. A {@code KeyId} is a key ARN, or a bare key id
 * that resolves in the caller's account and region. A key ARN of another region gets {@code
 * NotFoundException} ("Invalid arn <region>"). Alias names and alias ARNs get {@code
 * NotFoundException} with a message that aliases are not supported. A key of another account is
 * reachable by ARN where its {@link KeyPolicy} allows it, else {@code AccessDeniedException}.
 *
 * <p>Ciphertext blobs are {@code 152 + n} bytes for {@code n} plaintext bytes, so 184 for an
 * AES_256 data key as in KMS (layout in {@link CiphertextBlob}): a version byte, a random 16-byte
 * reference to the key, a random GCM nonce, random filler, and the AES-256-GCM ciphertext and tag
 * under the key's own secret. The header, the key identity and the canonical encryption context are
 * the associated data. A blob never contains its plaintext in clear. It opens only with an equal
 * encryption context (else {@code InvalidCiphertextException}) and only through its own key or a
 * replica of its multi-region key, so a single-region key's blobs open only in that key's region.
 * {@code Encrypt} takes at most 4,096 plaintext bytes, as KMS does.
 *
 * <p>Not emulated: aliases, grants and grant tokens, key policy documents ({@link KeyPolicy}
 * replaces them, and a {@code Policy} request member is rejected), IAM identity policies and
 * principals below the account, asymmetric and HMAC operations, imported key material, custom key
 * stores, automatic rotation (only its flag), tags, request quotas (use {@link #faults()}), the
 * {@code PendingReplicaDeletion} state of a multi-region primary with replicas, and KMS's own
 * ciphertext format. Deletion never happens on its own: {@link #deleteKeyNow} ends the waiting
 * period.
 *
 * <p>Thread safety: all methods may be called from any thread while requests are served, and a
 * change applies to the next request.
 */
public final class KmsEmulator implements AutoCloseable {

    /** The account of {@link #DEFAULT_ACCESS_KEY_ID}. */
    public static final String DEFAULT_ACCOUNT = "111122223333";

    public static final String DEFAULT_ACCESS_KEY_ID = "AKIAKMSEMULATOR00001";
    public static final String DEFAULT_SECRET_ACCESS_KEY = "kms-emulator-test-secret-111122223333";

    /** A second account, for cross-account tests. */
    public static final String SECOND_ACCOUNT = "444455556666";

    public static final String SECOND_ACCESS_KEY_ID = "AKIAKMSEMULATOR00002";
    public static final String SECOND_SECRET_ACCESS_KEY = "kms-emulator-test-secret-444455556666";

    /** The outcome that {@link #callCount(String, String)} counts for a successful call. */
    public static final String OUTCOME_SUCCESS = CallCounters.SUCCESS;

    /** The outcome of a call that received HTTP 503 during an outage. */
    public static final String OUTCOME_SERVICE_UNAVAILABLE = CallCounters.SERVICE_UNAVAILABLE;

    /** The outcome of a call whose connection was closed during an outage. */
    public static final String OUTCOME_CONNECTION_CLOSED = CallCounters.CONNECTION_CLOSED;

    private static final Logger LOG = LoggerFactory.getLogger(KmsEmulator.class);
    private static final int SERVER_THREADS = 8;
    private static final String NO_DELAY_PROPERTY = "sun.net.httpserver.nodelay";

    static {
        // The JDK server writes response headers and body separately. Without TCP_NODELAY, Nagle's
        // algorithm and the client's delayed ACK added about 45 ms to every call on loopback
        // (measured with the SDK's sync and async clients). NOTE: the JDK reads this property once,
        // when the first HttpServer of the JVM starts, so it has no effect if another one started
        // earlier without it.
        if (System.getProperty(NO_DELAY_PROPERTY) == null) {
            System.setProperty(NO_DELAY_PROPERTY, "true");
        }
    }

    private final SecureRandom random = new SecureRandom();
    private final KeyRegistry registry = new KeyRegistry(random);
    private final KmsService service = new KmsService(registry, random);
    private final FaultInjector faults = new FaultInjector();
    private final CallCounters counters = new CallCounters();
    private final Map<String, KmsHttpHandler.AccessKey> accessKeys = new ConcurrentHashMap<>();
    private volatile boolean verifySignatures = true;
    private final ExecutorService serverThreads;
    private final ScheduledExecutorService delayer;
    private final HttpServer server;

    private KmsEmulator(int port) throws IOException {
        registerAccessKey(DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY, DEFAULT_ACCOUNT);
        registerAccessKey(SECOND_ACCESS_KEY_ID, SECOND_SECRET_ACCESS_KEY, SECOND_ACCOUNT);
        serverThreads = Executors.newFixedThreadPool(SERVER_THREADS, daemonThreads("kms-emulator"));
        delayer = Executors.newScheduledThreadPool(2, daemonThreads("kms-emulator-latency"));
        InetSocketAddress address = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port);
        server = HttpServer.create(address, 0);
        server.createContext(
                "/",
                new KmsHttpHandler(
                        service,
                        faults,
                        counters,
                        accessKeys::get,
                        () -> verifySignatures,
                        delayer));
        server.setExecutor(serverThreads);
        server.start();
        LOG.info("KMS emulator listening on {}", endpoint());
    }

    /** Starts an emulator on an ephemeral loopback port. */
    public static KmsEmulator start() {
        return start(0);
    }

    /**
     * Starts an emulator on the given loopback port, or an ephemeral one for 0.
     *
     * @throws UncheckedIOException when the port cannot be bound
     */
    public static KmsEmulator start(int port) {
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port must be between 0 and 65535, got " + port);
        }
        try {
            return new KmsEmulator(port);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "Could not bind the KMS emulator to 127.0.0.1:"
                            + port
                            + ": choose another port, or 0 for an ephemeral one",
                    e);
        }
    }

    /**
     * A synchronous SDK client of this emulator for the default account, with its static test
     * credentials, an explicit region and this endpoint, so the SDK never asks the instance
     * metadata service. The caller closes it.
     */
    public KmsClient defaultAccountClient(String region) {
        return KmsClient.builder()
                .region(Region.of(region))
                .endpointOverride(endpoint())
                .credentialsProvider(
                        StaticCredentialsProvider.create(
                                AwsBasicCredentials.create(
                                        DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY)))
                .httpClient(UrlConnectionHttpClient.create())
                .build();
    }

    /**
     * Puts the default account's credentials where the SDK's default provider chain looks first,
     * the {@code aws.accessKeyId} and {@code aws.secretAccessKey} system properties, and turns off
     * the instance metadata service, for code that reads credentials from that chain (the job's own
     * KMS clients). It changes this JVM's system properties.
     */
    public static void useDefaultAccountForSdkChain() {
        System.setProperty("aws.disableEc2Metadata", "true");
        System.setProperty("aws.accessKeyId", DEFAULT_ACCESS_KEY_ID);
        System.setProperty("aws.secretAccessKey", DEFAULT_SECRET_ACCESS_KEY);
    }

    /** Returns the URI to pass as {@code endpointOverride} or {@code --endpoint-url}. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port());
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** Stops serving at once; requests in progress are dropped. */
    @Override
    public void close() {
        server.stop(0);
        delayer.shutdownNow();
        serverThreads.shutdownNow();
        LOG.info("KMS emulator on port {} stopped", port());
    }

    /**
     * Registers an access key of an account: requests signed with it act as that 12-digit account.
     * A second registration of the same access key id replaces the first.
     */
    public void registerAccessKey(String accessKeyId, String secretAccessKey, String account) {
        Objects.requireNonNull(accessKeyId, "accessKeyId");
        Objects.requireNonNull(secretAccessKey, "secretAccessKey");
        requireAccount(account);
        accessKeys.put(accessKeyId, new KmsHttpHandler.AccessKey(secretAccessKey, account));
    }

    /**
     * Turns the SigV4 signature check on (the default) or off. When off, only the access key id and
     * the credential scope are read, and any signature is accepted.
     */
    public void setSignatureVerification(boolean enabled) {
        this.verifySignatures = enabled;
    }

    /** Creates an enabled symmetric {@code ENCRYPT_DECRYPT} key and returns its ARN. */
    public String createKey(String account, String region) {
        return createKey(account, region, "");
    }

    /** Creates an enabled symmetric {@code ENCRYPT_DECRYPT} key and returns its ARN. */
    public String createKey(String account, String region, String description) {
        return create(account, region, false, KeyUsage.ENCRYPT_DECRYPT, description);
    }

    /**
     * Creates an enabled symmetric multi-region primary key, with a key id of {@code mrk-} and 32
     * hex digits, and returns its ARN.
     */
    public String createMultiRegionKey(String account, String region, String description) {
        return create(account, region, true, KeyUsage.ENCRYPT_DECRYPT, description);
    }

    /**
     * Creates an HMAC key ({@code GENERATE_VERIFY_MAC}) and returns its ARN. It exists only so that
     * tests can provoke {@code InvalidKeyUsageException}: cryptographic operations reject it.
     */
    public String createMacKey(String account, String region) {
        return create(account, region, false, KeyUsage.GENERATE_VERIFY_MAC, "");
    }

    public void enableKey(String keyArn) {
        admin(() -> key(keyArn).enable());
    }

    public void disableKey(String keyArn) {
        admin(() -> key(keyArn).disable());
    }

    /**
     * Schedules the key's deletion after 7 to 30 days and returns the deletion date. Until {@link
     * #cancelKeyDeletion} or {@link #deleteKeyNow}, the key returns {@code
     * KMSInvalidStateException}.
     */
    public Instant scheduleKeyDeletion(String keyArn, int pendingWindowInDays) {
        if (pendingWindowInDays < KmsService.MIN_PENDING_WINDOW_DAYS
                || pendingWindowInDays > KmsService.MAX_PENDING_WINDOW_DAYS) {
            throw new IllegalArgumentException(
                    "pendingWindowInDays must be between 7 and 30, got " + pendingWindowInDays);
        }
        return admin(() -> key(keyArn).scheduleDeletion(pendingWindowInDays));
    }

    /** Cancels a scheduled deletion; the key is then disabled, as in KMS. */
    public void cancelKeyDeletion(String keyArn) {
        admin(() -> key(keyArn).cancelDeletion());
    }

    /**
     * Deletes the key now, as if its waiting period had ended. Its ARN then gets {@code
     * NotFoundException}, and its blobs get {@code AccessDeniedException} on {@code Decrypt}. For a
     * multi-region key, only this regional key is deleted.
     */
    public void deleteKeyNow(String keyArn) {
        KeyArn arn = parseArn(keyArn);
        if (!registry.delete(arn)) {
            throw unknownKey(keyArn);
        }
    }

    /**
     * Replicates a multi-region primary key into another region of the same account and returns the
     * replica's ARN: the same key id and key material, the regional ARN, and the default key
     * policy, as {@code ReplicateKey} without a {@code Policy} gives it.
     */
    public String replicateKey(String primaryKeyArn, String replicaRegion) {
        EmulatedKey primary = key(primaryKeyArn);
        return admin(() -> service.replicate(primary, replicaRegion, null).arn().toString());
    }

    /** Sets the flag that {@code GetKeyRotationStatus} returns; no rotation happens. */
    public void setKeyRotationEnabled(String keyArn, boolean enabled) {
        key(keyArn).setRotationEnabled(enabled);
    }

    /** Returns the key's state, or fails when the key does not exist (or was deleted). */
    public KeyState keyState(String keyArn) {
        return key(keyArn).state();
    }

    /** Returns whether the key exists: created and not deleted. */
    public boolean keyExists(String keyArn) {
        return registry.find(parseArn(keyArn)).isPresent();
    }

    /** Returns the key's policy, to change which accounts may use it. */
    public KeyPolicy policy(String keyArn) {
        return key(keyArn).policy();
    }

    /**
     * Makes the emulator keep a copy of every data key plaintext it issues from now on, so that a
     * test can search the job's output, logs and state for them. Only for tests: a real KMS has no
     * such thing.
     */
    public void recordIssuedDataKeys() {
        service.recordIssuedDataKeys();
    }

    /** Copies of the data key plaintexts issued since {@link #recordIssuedDataKeys()}. */
    public List<byte[]> issuedDataKeys() {
        return service.issuedDataKeys();
    }

    /** Returns the fault settings: latency, throttling, injected errors and outages. */
    public FaultInjector faults() {
        return faults;
    }

    /** Returns the wire calls per operation name, all outcomes summed, sorted by name. */
    public Map<String, Long> callCounts() {
        return counters.totals();
    }

    /**
     * Returns the wire calls per operation name and outcome ({@link #OUTCOME_SUCCESS} or an error
     * {@code __type}).
     */
    public Map<String, Map<String, Long>> callCountsByOutcome() {
        return counters.byOutcome();
    }

    /** Returns the wire calls of the operation, all outcomes summed. */
    public long callCount(String operation) {
        return counters.totals().getOrDefault(operation, 0L);
    }

    /** Returns the wire calls of the operation with the outcome. */
    public long callCount(String operation, String outcome) {
        return counters.count(operation, outcome);
    }

    public void resetCallCounts() {
        counters.reset();
    }

    private String create(
            String account, String region, boolean multiRegion, KeyUsage usage, String desc) {
        requireAccount(account);
        Objects.requireNonNull(region, "region");
        return registry.create(account, region, multiRegion, usage, desc).arn().toString();
    }

    private EmulatedKey key(String keyArn) {
        return registry.find(parseArn(keyArn)).orElseThrow(() -> unknownKey(keyArn));
    }

    private static KeyArn parseArn(String keyArn) {
        return KeyArn.parse(keyArn)
                .orElseThrow(
                        () ->
                                new IllegalArgumentException(
                                        "Not a KMS key ARN: '"
                                                + keyArn
                                                + "'. Expected"
                                                + " arn:aws:kms:<region>:<account>:key/<key id>."));
    }

    private static IllegalArgumentException unknownKey(String keyArn) {
        return new IllegalArgumentException(
                "No emulated key " + keyArn + ": create it first, or it was deleted.");
    }

    private static void requireAccount(String account) {
        if (account == null || !account.matches("[0-9]{12}")) {
            throw new IllegalArgumentException(
                    "An AWS account id has 12 digits, got '" + account + "'.");
        }
    }

    /** Runs an admin action and turns KMS errors into {@link IllegalStateException}. */
    private static <T> T admin(Supplier<T> action) {
        try {
            return action.get();
        } catch (KmsRequestException e) {
            throw new IllegalStateException(e.type().wireName() + ": " + e.getMessage(), e);
        }
    }

    private static void admin(Runnable action) {
        admin(
                () -> {
                    action.run();
                    return null;
                });
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger counter = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + "-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
