package io.cmekflink.kms;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kms.model.DescribeKeyResponse;
import software.amazon.awssdk.services.kms.model.KeyMetadata;
import software.amazon.awssdk.services.kms.model.KeySpec;
import software.amazon.awssdk.services.kms.model.KeyState;
import software.amazon.awssdk.services.kms.model.KeyUsageType;

/**
 * Checks the keys that a parallel instance uses with a periodic {@code DescribeKey}, so that a key
 * that is disabled, pending deletion, deleted or no longer allowed stops encrypting within one
 * interval, even while its cached DEKs have not expired. Every tenth check of a key also reads
 * {@code GetKeyRotationStatus}.
 *
 * <p>Checks of different keys are spread over the interval at random, at most {@code maxConcurrent}
 * are in flight or waiting for their budget slot at once, and they go through their own {@link
 * RequestBudget}, because {@code DescribeKey} and {@code GetKeyRotationStatus} have smaller quotas
 * than the cryptographic calls. A check that fails for a passing reason (throttled, unavailable)
 * changes nothing.
 *
 * <p>Thread safety: safe for concurrent use. Listener methods run on this checker's thread or on
 * SDK threads.
 */
public final class KeyHealthChecker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KeyHealthChecker.class);
    private static final int ROTATION_EVERY = 10;

    /** Receives what the checks find. */
    public interface Listener {
        /** The key cannot be used: its records must not be encrypted under it. */
        void onUnusable(String keyArn, KmsCallException reason);

        /** The key is enabled and usable. */
        void onUsable(String keyArn);

        /** Whether automatic rotation is on for the key. */
        default void onRotationStatus(String keyArn, boolean enabled) {}
    }

    private final KmsClients clients;
    private final Duration interval;
    private final Semaphore permits;
    private final RequestBudget budget;
    private final Listener listener;
    private final KmsCallListener calls;
    private final ScheduledExecutorService scheduler;
    private final Map<String, AtomicInteger> watched = new ConcurrentHashMap<>();

    public KeyHealthChecker(
            KmsClients clients,
            Duration interval,
            int maxConcurrent,
            RequestBudget budget,
            Listener listener,
            KmsCallListener calls) {
        if (interval.isZero() || interval.isNegative()) {
            throw new IllegalArgumentException(
                    "health-check interval must be positive, got " + interval);
        }
        this.clients = clients;
        this.interval = interval;
        this.permits = new Semaphore(Math.max(1, maxConcurrent));
        this.budget = budget;
        this.listener = listener;
        this.calls = calls;
        this.scheduler =
                Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            Thread t = new Thread(r, "cmek-flink-key-health");
                            t.setDaemon(true);
                            return t;
                        });
    }

    /** Starts checking a key, at a random point of the first interval; repeated calls are free. */
    public void watch(String keyArn) {
        if (watched.putIfAbsent(keyArn, new AtomicInteger()) == null) {
            schedule(keyArn, ThreadLocalRandom.current().nextLong(interval.toNanos() + 1));
        }
    }

    /** The number of keys being checked. */
    public int watchedKeys() {
        return watched.size();
    }

    private void schedule(String keyArn, long delayNanos) {
        if (!scheduler.isShutdown()) {
            scheduler.schedule(() -> check(keyArn), delayNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** The time to the next check: the interval with up to 10% of jitter either way. */
    private long nextDelayNanos() {
        long base = interval.toNanos();
        return base - base / 10 + ThreadLocalRandom.current().nextLong(base / 5 + 1);
    }

    /**
     * Takes a permit, then books a budget slot and sends at it. The permit is held through the
     * wait, so every booked slot is used by exactly one request. A check that gave up its slot and
     * booked again would find the next free slot further away each time, and stop once the checks
     * fill the budget.
     */
    private void check(String keyArn) {
        if (!permits.tryAcquire()) {
            // maxConcurrent checks are in flight or waiting for their slot. Trying again books
            // nothing, so no slot goes unused.
            schedule(keyArn, interval.toNanos() / 10);
            return;
        }
        long wait = budget.reserve();
        if (wait == 0) {
            send(keyArn);
            return;
        }
        try {
            scheduler.schedule(() -> send(keyArn), wait, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException closed) {
            permits.release();
        }
    }

    /**
     * Sends one {@code DescribeKey} under a permit that the caller holds; releases it when done.
     */
    private void send(String keyArn) {
        int count = watched.get(keyArn).getAndIncrement();
        long start = System.nanoTime();
        clients.forRegion(regionOf(keyArn))
                .describeKey(r -> r.keyId(keyArn))
                .whenComplete(
                        (response, error) -> {
                            try {
                                handle(keyArn, response, error, System.nanoTime() - start);
                                if (error == null && count % ROTATION_EVERY == 0) {
                                    checkRotation(keyArn);
                                }
                            } finally {
                                permits.release();
                                schedule(keyArn, nextDelayNanos());
                            }
                        });
    }

    private void handle(String keyArn, DescribeKeyResponse response, Throwable error, long nanos) {
        if (error != null) {
            KmsErrorKind kind = KmsErrors.classify(error);
            calls.onAttempt("DescribeKey", kind.name().toLowerCase(java.util.Locale.ROOT), nanos);
            if (kind.keyUnusable()) {
                unusable(
                        keyArn,
                        kind,
                        KmsErrors.errorCode(error),
                        KmsErrors.requestId(error),
                        KmsErrors.describe(error));
            } else {
                LOG.debug("health check of {} failed with {}; will try again", keyArn, kind);
            }
            return;
        }
        calls.onAttempt("DescribeKey", "ok", nanos);
        KeyMetadata key = response.keyMetadata();
        KeyState state = key.keyState();
        if (state != KeyState.ENABLED) {
            KmsErrorKind kind =
                    state == KeyState.PENDING_DELETION || state == KeyState.PENDING_REPLICA_DELETION
                            ? KmsErrorKind.PENDING_DELETION
                            : KmsErrorKind.DISABLED;
            unusable(keyArn, kind, null, null, "key state is " + state);
        } else if (key.keyUsage() != KeyUsageType.ENCRYPT_DECRYPT
                || key.keySpec() != KeySpec.SYMMETRIC_DEFAULT) {
            unusable(
                    keyArn,
                    KmsErrorKind.INVALID_KEY_USAGE,
                    null,
                    null,
                    "key usage " + key.keyUsage() + ", key spec " + key.keySpec());
        } else {
            listener.onUsable(keyArn);
        }
    }

    private void unusable(
            String keyArn,
            KmsErrorKind kind,
            String awsErrorCode,
            String requestId,
            String detail) {
        listener.onUnusable(
                keyArn,
                new KmsCallException(
                        kind, "DescribeKey", keyArn, awsErrorCode, requestId, 1, detail, null));
    }

    private void checkRotation(String keyArn) {
        long start = System.nanoTime();
        clients.forRegion(regionOf(keyArn))
                .getKeyRotationStatus(r -> r.keyId(keyArn))
                .whenComplete(
                        (response, error) -> {
                            long nanos = System.nanoTime() - start;
                            if (error != null) {
                                calls.onAttempt(
                                        "GetKeyRotationStatus",
                                        KmsErrors.classify(error)
                                                .name()
                                                .toLowerCase(java.util.Locale.ROOT),
                                        nanos);
                                return;
                            }
                            calls.onAttempt("GetKeyRotationStatus", "ok", nanos);
                            listener.onRotationStatus(
                                    keyArn, Boolean.TRUE.equals(response.keyRotationEnabled()));
                        });
    }

    private static String regionOf(String keyArn) {
        return keyArn.split(":", 6)[3];
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
