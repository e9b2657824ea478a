package io.cmekflink.kms;

import static org.assertj.core.api.Assertions.assertThat;

import io.cmekflink.local.kms.KmsEmulator;
import io.cmekflink.testing.TestAws;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class KeyHealthCheckerTest {

    private static final Duration INTERVAL = Duration.ofMillis(500);
    private static final int KEYS = 10;

    /** 10 keys every 500 ms need 20 DescribeKey calls per second: the whole budget. */
    private static final double BUDGET_PER_SECOND = 20;

    private static KmsEmulator kms;
    private static KmsClients clients;

    @BeforeAll
    static void start() {
        kms = KmsEmulator.start(0);
        clients =
                TestAws.clients(
                        kms,
                        new RetryPolicy(
                                1,
                                Duration.ofMillis(10),
                                Duration.ofMillis(40),
                                Duration.ofSeconds(5)));
    }

    @AfterAll
    static void stop() {
        clients.close();
        kms.close();
    }

    /** Counts results per key ARN and DescribeKey attempts. */
    private static final class Recorder implements KeyHealthChecker.Listener, KmsCallListener {
        final Map<String, AtomicLong> usable = new ConcurrentHashMap<>();
        final Map<String, AtomicLong> unusable = new ConcurrentHashMap<>();
        final AtomicLong describeKeyCalls = new AtomicLong();

        @Override
        public void onUnusable(String keyArn, KmsCallException reason) {
            unusable.computeIfAbsent(keyArn, k -> new AtomicLong()).incrementAndGet();
        }

        @Override
        public void onUsable(String keyArn) {
            usable.computeIfAbsent(keyArn, k -> new AtomicLong()).incrementAndGet();
        }

        @Override
        public void onAttempt(String operation, String outcome, long nanos) {
            if (operation.equals("DescribeKey")) {
                describeKeyCalls.incrementAndGet();
            }
        }

        long usableChecks() {
            return usable.values().stream().mapToLong(AtomicLong::get).sum();
        }
    }

    private static List<String> createKeys() {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < KEYS; i++) {
            keys.add(kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, TestAws.REGION));
        }
        return keys;
    }

    private static KeyHealthChecker checker(Recorder recorder) {
        return new KeyHealthChecker(
                clients, INTERVAL, 4, new RequestBudget(BUDGET_PER_SECOND, 1), recorder, recorder);
    }

    private static boolean await(BooleanSupplier condition, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    @Test
    void checksKeepPaceWithFullBudget() throws Exception {
        Recorder recorder = new Recorder();
        List<String> keys = createKeys();
        try (KeyHealthChecker checker = checker(recorder)) {
            keys.forEach(checker::watch);
            // The first round includes the SDK client's start-up, so the pace is measured after it.
            assertThat(await(() -> recorder.usable.size() == KEYS, Duration.ofSeconds(10)))
                    .as("every key checked once")
                    .isTrue();
            long firstRound = recorder.usableChecks();
            long calls = recorder.describeKeyCalls.get();
            long started = System.nanoTime();

            // 4 s at 20 per second allow 80 checks. A check cycle is one interval plus the
            // DescribeKey latency, so about 18 checks per second run against the emulator, and
            // 40 leave room for a loaded machine.
            boolean reached =
                    await(() -> recorder.usableChecks() - firstRound >= 40, Duration.ofSeconds(4));

            long elapsedMillis = Duration.ofNanos(System.nanoTime() - started).toMillis();
            assertThat(reached).as("40 checks within 4 s after the first round").isTrue();
            assertThat(recorder.unusable).isEmpty();
            for (String key : keys) {
                assertThat(recorder.usable.get(key).get()).as("checks of %s", key).isGreaterThan(2);
            }
            // The budget still holds: one call per 50 ms slot, plus the 4 concurrent calls that
            // may have been sent before the measurement started.
            long allowed = elapsedMillis / 50 + 4;
            assertThat(recorder.describeKeyCalls.get() - calls).isLessThanOrEqualTo(allowed);
        }
    }

    @Test
    void disabledKeyFoundAfterChecksWaited() throws Exception {
        Recorder recorder = new Recorder();
        List<String> keys = createKeys();
        String disabled = keys.get(0);
        try (KeyHealthChecker checker = checker(recorder)) {
            keys.forEach(checker::watch);
            // Two rounds of checks: by then most of them have had to wait for a slot.
            assertThat(await(() -> recorder.usableChecks() >= 2 * KEYS, Duration.ofSeconds(4)))
                    .isTrue();

            kms.disableKey(disabled);

            // Found within about two intervals, and 3 s leaves room for a slow machine.
            assertThat(await(() -> recorder.unusable.containsKey(disabled), Duration.ofSeconds(3)))
                    .as("disabled key reported unusable")
                    .isTrue();
            assertThat(recorder.unusable).containsOnlyKeys(disabled);
        }
    }

    /**
     * The encrypt job calls the replica in its own region but checks the ARN that the org linked,
     * so disabling the linked primary stops encryption. In AWS KMS each replica has its own key
     * state, and the emulator keeps it the same way: the replica stays enabled.
     */
    @Test
    void disabledPrimaryFoundWhileReplicaEnabled() throws Exception {
        Recorder recorder = new Recorder();
        String primary =
                kms.createMultiRegionKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-central-1", "linked");
        String replica = kms.replicateKey(primary, TestAws.REGION);
        try (KeyHealthChecker checker = checker(recorder)) {
            checker.watch(primary);
            assertThat(await(() -> recorder.usable.containsKey(primary), Duration.ofSeconds(5)))
                    .as("primary checked once")
                    .isTrue();

            kms.disableKey(primary);

            assertThat(await(() -> recorder.unusable.containsKey(primary), Duration.ofSeconds(3)))
                    .as("disabled primary reported unusable")
                    .isTrue();
            assertThat(kms.keyState(replica).toString()).isEqualTo("ENABLED");
        }
    }
}
