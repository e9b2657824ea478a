package io.cmekflink.kms;

import io.cmekflink.logging.RateLimitedLog;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.model.DataKeySpec;
import software.amazon.awssdk.services.kms.model.DecryptResponse;
import software.amazon.awssdk.services.kms.model.EncryptResponse;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyResponse;
import software.amazon.awssdk.services.kms.model.ReEncryptResponse;

/**
 * The data-key calls of the job: {@code GenerateDataKey} and {@code Decrypt}, with retries of
 * retriable errors under a {@link RetryPolicy} and a check that KMS used the requested key.
 *
 * <p>Calls go to the client of the key ARN's region. Thread safety: safe for concurrent use.
 */
public final class KmsDataKeys {

    private static final Logger LOG = LoggerFactory.getLogger(KmsDataKeys.class);

    /**
     * Retries, at most one line per operation and error kind every 10 s: a throttled or failing KMS
     * makes hundreds of retries a second, and each left-out line is counted in the next one.
     */
    private static final RateLimitedLog RETRY_LOG = new RateLimitedLog(LOG, 10_000);

    private final KmsClients clients;
    private final RetryPolicy retryPolicy;
    private final KeyIdentity keyIdentity;
    private final KmsCallListener listener;
    private final double requestsPerSecond;
    private final java.util.concurrent.ConcurrentHashMap<String, RequestBudget> budgets =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final Set<String> allowedRegions;
    private final String localRegion;
    private final boolean preferLocalReplica;
    private final java.util.concurrent.ConcurrentHashMap<String, Long> missingReplicas =
            new java.util.concurrent.ConcurrentHashMap<>();

    private static final java.time.Duration MISSING_REPLICA_MEMORY =
            java.time.Duration.ofMinutes(10);

    /**
     * @param allowedRegions regions in which KMS may answer for a multi-region key (the geo's
     *     regions); a single-region key must be answered by exactly the requested ARN
     */
    public KmsDataKeys(KmsClients clients, Set<String> allowedRegions, KmsCallListener listener) {
        this(clients, allowedRegions, listener, 0, false);
    }

    /**
     * @param requestsPerSecondPerRegion this instance's share of the job's budget of cryptographic
     *     requests in each region; 0 means no limit
     * @param preferLocalReplica whether calls for a multi-region key linked in another region of
     *     the geo go to its replica in the job's own region, falling back to the linked region when
     *     that replica does not exist
     */
    public KmsDataKeys(
            KmsClients clients,
            Set<String> allowedRegions,
            KmsCallListener listener,
            double requestsPerSecondPerRegion,
            boolean preferLocalReplica) {
        this.clients = clients;
        this.retryPolicy = clients.settings().retryPolicy();
        this.keyIdentity = new KeyIdentity(allowedRegions);
        this.listener = listener;
        this.requestsPerSecond = requestsPerSecondPerRegion;
        this.allowedRegions = Set.copyOf(allowedRegions);
        this.localRegion = clients.settings().localRegion();
        this.preferLocalReplica = preferLocalReplica;
    }

    /**
     * The ARN a call for {@code keyArn} goes to: the replica in the job's own region for a
     * multi-region key linked in another region of the geo, when preferred and not known to be
     * missing; else the ARN itself.
     */
    String route(String keyArn) {
        String[] parts = keyArn.split(":", 6);
        if (!preferLocalReplica
                || parts.length != 6
                || !parts[5].startsWith("key/mrk-")
                || parts[3].equals(localRegion)
                || !allowedRegions.contains(localRegion)) {
            return keyArn;
        }
        Long missingUntil = missingReplicas.get(parts[5]);
        if (missingUntil != null && System.nanoTime() < missingUntil) {
            return keyArn;
        }
        return String.join(":", parts[0], parts[1], parts[2], localRegion, parts[4], parts[5]);
    }

    /**
     * Calls {@code call} with the routed ARN, and once more with the linked ARN when the local
     * replica does not exist; a missing replica is remembered for ten minutes.
     */
    private <T> CompletableFuture<T> withReplicaFallback(
            String keyArn, java.util.function.Function<String, CompletableFuture<T>> call) {
        String target = route(keyArn);
        if (target.equals(keyArn)) {
            return call.apply(keyArn);
        }
        return call.apply(target)
                .exceptionallyCompose(
                        error -> {
                            if (KmsErrors.classify(error) != KmsErrorKind.NOT_FOUND) {
                                return CompletableFuture.failedFuture(KmsErrors.unwrap(error));
                            }
                            missingReplicas.put(
                                    keyArn.split(":", 6)[5],
                                    System.nanoTime() + MISSING_REPLICA_MEMORY.toNanos());
                            LOG.warn(
                                    "multi-region key {} has no replica in {}; calling it in its"
                                            + " linked region",
                                    keyArn,
                                    localRegion);
                            return call.apply(keyArn);
                        });
    }

    /** Generates a 256-bit data key under {@code keyArn} with the given encryption context. */
    public CompletableFuture<GeneratedDataKey> generateDataKey(
            String keyArn, Map<String, String> encryptionContext) {
        return withReplicaFallback(keyArn, arn -> generateDataKeyAt(arn, encryptionContext));
    }

    private CompletableFuture<GeneratedDataKey> generateDataKeyAt(
            String keyArn, Map<String, String> encryptionContext) {
        String operation = "GenerateDataKey";
        return withRetries(
                operation,
                keyArn,
                () ->
                        clients.forRegion(regionOf(keyArn))
                                .generateDataKey(
                                        r ->
                                                r.keyId(keyArn)
                                                        .keySpec(DataKeySpec.AES_256)
                                                        .encryptionContext(encryptionContext)),
                (GenerateDataKeyResponse response, Integer attempts) -> {
                    checkKey(operation, keyArn, response.keyId(), attempts);
                    return new GeneratedDataKey(
                            takePlaintext(response.plaintext()),
                            response.ciphertextBlob().asByteArray(),
                            response.keyId(),
                            attempts);
                });
    }

    /**
     * Decrypts an EDEK that names {@code keyArn}, repeating the encryption context stored with the
     * data.
     *
     * @return the plaintext data key; the caller takes ownership and must zero it
     */
    public CompletableFuture<byte[]> decrypt(
            String keyArn, byte[] edek, Map<String, String> encryptionContext) {
        return withReplicaFallback(keyArn, arn -> decryptAt(arn, edek, encryptionContext));
    }

    private CompletableFuture<byte[]> decryptAt(
            String keyArn, byte[] edek, Map<String, String> encryptionContext) {
        String operation = "Decrypt";
        return withRetries(
                operation,
                keyArn,
                () ->
                        clients.forRegion(regionOf(keyArn))
                                .decrypt(
                                        r ->
                                                r.keyId(keyArn)
                                                        .ciphertextBlob(
                                                                SdkBytes.fromByteArray(edek))
                                                        .encryptionContext(encryptionContext)),
                (DecryptResponse response, Integer attempts) -> {
                    checkKey(operation, keyArn, response.keyId(), attempts);
                    return takePlaintext(response.plaintext());
                });
    }

    /**
     * Moves an EDEK from {@code fromArn} to {@code toArn} without the DEK leaving KMS: one {@code
     * ReEncrypt} with the same encryption context on both sides. KMS runs {@code ReEncrypt} within
     * one region, so for keys in two regions this decrypts the EDEK in the old key's region and
     * encrypts the DEK in the new key's region instead, with the plaintext DEK only in this
     * process's memory, zeroed when done.
     *
     * @return the new EDEK
     */
    public CompletableFuture<byte[]> reEncrypt(
            String fromArn, String toArn, byte[] edek, Map<String, String> encryptionContext) {
        if (!regionOf(fromArn).equals(regionOf(toArn))) {
            return decrypt(fromArn, edek, encryptionContext)
                    .thenCompose(dek -> encrypt(toArn, dek, encryptionContext));
        }
        String operation = "ReEncrypt";
        return withRetries(
                operation,
                fromArn,
                () ->
                        clients.forRegion(regionOf(fromArn))
                                .reEncrypt(
                                        r ->
                                                r.sourceKeyId(fromArn)
                                                        .destinationKeyId(toArn)
                                                        .ciphertextBlob(
                                                                SdkBytes.fromByteArray(edek))
                                                        .sourceEncryptionContext(encryptionContext)
                                                        .destinationEncryptionContext(
                                                                encryptionContext)),
                (ReEncryptResponse response, Integer attempts) -> {
                    checkKey(operation, fromArn, response.sourceKeyId(), attempts);
                    checkKey(operation, toArn, response.keyId(), attempts);
                    return response.ciphertextBlob().asByteArray();
                });
    }

    /**
     * Encrypts a plaintext DEK under {@code keyArn} and zeroes the array, for cross-region moves.
     */
    private CompletableFuture<byte[]> encrypt(
            String keyArn, byte[] plaintextDek, Map<String, String> encryptionContext) {
        String operation = "Encrypt";
        SdkBytes plaintext = SdkBytes.fromByteArray(plaintextDek);
        java.util.Arrays.fill(plaintextDek, (byte) 0);
        CompletableFuture<byte[]> result =
                withRetries(
                        operation,
                        keyArn,
                        () ->
                                clients.forRegion(regionOf(keyArn))
                                        .encrypt(
                                                r ->
                                                        r.keyId(keyArn)
                                                                .plaintext(plaintext)
                                                                .encryptionContext(
                                                                        encryptionContext)),
                        (EncryptResponse response, Integer attempts) -> {
                            checkKey(operation, keyArn, response.keyId(), attempts);
                            return response.ciphertextBlob().asByteArray();
                        });
        return result.whenComplete(
                (ignored, error) -> java.util.Arrays.fill(plaintext.asByteArrayUnsafe(), (byte) 0));
    }

    private void checkKey(String operation, String requested, String used, int attempts) {
        if (!keyIdentity.sameKey(requested, used)) {
            throw new KmsCallException(
                    KmsErrorKind.KEY_MISMATCH,
                    operation,
                    requested,
                    null,
                    null,
                    attempts,
                    "KMS used key " + used,
                    null);
        }
    }

    /**
     * Takes the SDK's own buffer of the plaintext without copying it, so that zeroing the returned
     * array also clears the response object.
     */
    private static byte[] takePlaintext(SdkBytes plaintext) {
        return plaintext.asByteArrayUnsafe();
    }

    private static String regionOf(String keyArn) {
        String[] parts = keyArn.split(":", 6);
        if (parts.length < 6 || parts[3].isEmpty()) {
            throw new IllegalArgumentException(
                    "not a key ARN: '" + keyArn + "'; expected arn:aws:kms:<region>:...");
        }
        return parts[3];
    }

    @FunctionalInterface
    private interface ResponseHandler<R, T> {
        T handle(R response, Integer attempts);
    }

    private <R, T> CompletableFuture<T> withRetries(
            String operation,
            String keyArn,
            Supplier<CompletableFuture<R>> call,
            ResponseHandler<R, T> handler) {
        CompletableFuture<T> result = new CompletableFuture<>();
        attempt(operation, keyArn, call, handler, result, 1, System.nanoTime());
        return result;
    }

    private <R, T> void attempt(
            String operation,
            String keyArn,
            Supplier<CompletableFuture<R>> call,
            ResponseHandler<R, T> handler,
            CompletableFuture<T> result,
            int attempt,
            long firstStart) {
        long wait =
                budgets.computeIfAbsent(
                                regionOf(keyArn), region -> RequestBudget.spaced(requestsPerSecond))
                        .reserve();
        if (wait > 0) {
            listener.onBudgetDelay(operation, wait);
            runLater(
                    result,
                    wait,
                    () -> send(operation, keyArn, call, handler, result, attempt, firstStart));
        } else {
            send(operation, keyArn, call, handler, result, attempt, firstStart);
        }
    }

    private <R, T> void send(
            String operation,
            String keyArn,
            Supplier<CompletableFuture<R>> call,
            ResponseHandler<R, T> handler,
            CompletableFuture<T> result,
            int attempt,
            long firstStart) {
        long start = System.nanoTime();
        CompletableFuture<R> future;
        try {
            future = call.get();
        } catch (RuntimeException e) {
            future = CompletableFuture.failedFuture(e);
        }
        future.whenComplete(
                (response, error) -> {
                    long now = System.nanoTime();
                    if (error == null) {
                        listener.onAttempt(operation, "ok", now - start);
                        try {
                            result.complete(handler.handle(response, attempt));
                        } catch (RuntimeException e) {
                            result.completeExceptionally(e);
                        }
                        return;
                    }
                    KmsErrorKind kind = KmsErrors.classify(error);
                    listener.onAttempt(operation, kind.name().toLowerCase(), now - start);
                    long delay =
                            kind.retriable()
                                    ? retryPolicy.delayNanosBeforeRetry(attempt, now - firstStart)
                                    : -1;
                    if (delay < 0) {
                        result.completeExceptionally(
                                new KmsCallException(
                                        kind,
                                        operation,
                                        keyArn,
                                        KmsErrors.errorCode(error),
                                        KmsErrors.requestId(error),
                                        attempt,
                                        KmsErrors.describe(error),
                                        null));
                        return;
                    }
                    RETRY_LOG.warn(
                            operation + " " + kind,
                            "{} on {} failed with {} (attempt {}), retrying in {} ms",
                            operation,
                            keyArn,
                            kind,
                            attempt,
                            TimeUnit.NANOSECONDS.toMillis(delay));
                    runLater(
                            result,
                            delay,
                            () ->
                                    attempt(
                                            operation,
                                            keyArn,
                                            call,
                                            handler,
                                            result,
                                            attempt + 1,
                                            firstStart));
                });
    }

    /**
     * Runs {@code task} after {@code delayNanos}, or fails {@code result} when the clients are
     * closed.
     */
    private void runLater(CompletableFuture<?> result, long delayNanos, Runnable task) {
        try {
            clients.schedule(task, delayNanos);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            result.completeExceptionally(e);
        }
    }
}
