package io.cmekflink.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cmekflink.deadletter.ErrorCode;
import io.cmekflink.local.kms.FaultInjector;
import io.cmekflink.local.kms.KmsAction;
import io.cmekflink.local.kms.KmsEmulator;
import io.cmekflink.local.kms.KmsErrorType;
import io.cmekflink.local.kms.KmsOperation;
import io.cmekflink.testing.TestAws;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** KMS error mapping and retries, over the real async SDK client and the emulator. */
class KmsDataKeysTest {

    private static final Map<String, String> CONTEXT =
            Map.of("org_id", "org-1", "purpose", "cmek-flink/v1");

    private static KmsEmulator kms;
    private static KmsClients clients;
    private static final CopyOnWriteArrayList<String> attempts = new CopyOnWriteArrayList<>();
    private static KmsDataKeys dataKeys;

    private String keyArn;

    @BeforeAll
    static void start() {
        kms = KmsEmulator.start(0);
        clients =
                TestAws.clients(
                        kms,
                        new RetryPolicy(
                                5,
                                Duration.ofMillis(10),
                                Duration.ofMillis(40),
                                Duration.ofSeconds(30)));
        dataKeys =
                new KmsDataKeys(
                        clients,
                        Set.of("eu-west-1", "eu-central-1"),
                        (operation, outcome, nanos) -> attempts.add(operation + ":" + outcome));
    }

    @AfterAll
    static void stop() {
        clients.close();
        kms.close();
    }

    @BeforeEach
    void newKey() {
        kms.faults().clear();
        attempts.clear();
        keyArn = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
    }

    private KmsCallException failure() {
        Throwable t =
                org.assertj.core.api.Assertions.catchThrowable(
                        () -> dataKeys.generateDataKey(keyArn, CONTEXT).join());
        assertThat(t).isInstanceOf(CompletionException.class);
        assertThat(t.getCause()).isInstanceOf(KmsCallException.class);
        return (KmsCallException) t.getCause();
    }

    @Test
    void generatedKeyIsCheckedAndDecrypts() {
        GeneratedDataKey key = dataKeys.generateDataKey(keyArn, CONTEXT).join();
        assertThat(key.keyArn()).isEqualTo(keyArn);
        assertThat(key.plaintext()).hasSize(32);
        assertThat(key.edek()).hasSize(184);
        assertThat(key.attempts()).isEqualTo(1);
        byte[] again = dataKeys.decrypt(keyArn, key.edek(), CONTEXT).join();
        assertThat(again).isEqualTo(key.plaintext());
    }

    @Test
    void disabledKey() {
        kms.disableKey(keyArn);
        KmsCallException e = failure();
        assertThat(e.kind()).isEqualTo(KmsErrorKind.DISABLED);
        assertThat(e.awsErrorCode()).isEqualTo("DisabledException");
        assertThat(e.attempts()).isEqualTo(1);
        assertThat(ErrorCode.fromKms(e.kind())).isEqualTo(ErrorCode.KEY_DISABLED);
        assertThat(ErrorCode.fromKms(e.kind()).retriable()).isFalse();
    }

    @Test
    void keyPendingDeletion() {
        kms.scheduleKeyDeletion(keyArn, 7);
        KmsCallException e = failure();
        assertThat(e.kind()).isEqualTo(KmsErrorKind.PENDING_DELETION);
        assertThat(e.awsErrorCode()).isEqualTo("KMSInvalidStateException");
        assertThat(ErrorCode.fromKms(e.kind())).isEqualTo(ErrorCode.KEY_PENDING_DELETION);
    }

    @Test
    void deletedKey() {
        kms.deleteKeyNow(keyArn);
        KmsCallException e = failure();
        assertThat(e.kind()).isEqualTo(KmsErrorKind.NOT_FOUND);
        assertThat(e.awsErrorCode()).isEqualTo("NotFoundException");
        assertThat(ErrorCode.fromKms(e.kind())).isEqualTo(ErrorCode.KEY_NOT_FOUND);
    }

    @Test
    void policyThatDeniesTheCaller() {
        kms.policy(keyArn).deny(KmsEmulator.DEFAULT_ACCOUNT, KmsAction.values());
        KmsCallException e = failure();
        assertThat(e.kind()).isEqualTo(KmsErrorKind.ACCESS_DENIED);
        assertThat(e.awsErrorCode()).isEqualTo("AccessDeniedException");
        assertThat(ErrorCode.fromKms(e.kind())).isEqualTo(ErrorCode.ACCESS_DENIED);
    }

    @Test
    void wrongEncryptionContextOnDecrypt() {
        GeneratedDataKey key = dataKeys.generateDataKey(keyArn, CONTEXT).join();
        assertThatThrownBy(
                        () ->
                                dataKeys.decrypt(
                                                keyArn,
                                                key.edek(),
                                                Map.of(
                                                        "org_id",
                                                        "org-2",
                                                        "purpose",
                                                        "cmek-flink/v1"))
                                        .join())
                .cause()
                .isInstanceOfSatisfying(
                        KmsCallException.class,
                        e -> {
                            assertThat(e.kind()).isEqualTo(KmsErrorKind.INVALID_CIPHERTEXT);
                            assertThat(e.awsErrorCode()).isEqualTo("InvalidCiphertextException");
                        });
    }

    @Test
    void edekOfAnotherKeyIsAMismatch() {
        String other = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
        GeneratedDataKey key = dataKeys.generateDataKey(other, CONTEXT).join();
        assertThatThrownBy(() -> dataKeys.decrypt(keyArn, key.edek(), CONTEXT).join())
                .cause()
                .isInstanceOfSatisfying(
                        KmsCallException.class,
                        e -> {
                            assertThat(e.kind()).isEqualTo(KmsErrorKind.KEY_MISMATCH);
                            assertThat(e.awsErrorCode()).isEqualTo("IncorrectKeyException");
                        });
    }

    @Test
    void delayedCallsStartNoThreadEach() {
        KmsDataKeys budgeted =
                new KmsDataKeys(
                        clients, Set.of("eu-west-1"), (o, outcome, nanos) -> {}, 500, false);
        budgeted.generateDataKey(keyArn, CONTEXT).join();
        java.lang.management.ThreadMXBean threads =
                java.lang.management.ManagementFactory.getThreadMXBean();
        long startedBefore = threads.getTotalStartedThreadCount();

        // At 500 per second, all but the first few of 100 calls wait for the budget. A thread per
        // delayed call shows only on machines with fewer than three cores, where
        // CompletableFuture's default delayed executor starts one per task.
        java.util.List<java.util.concurrent.CompletableFuture<GeneratedDataKey>> calls =
                new java.util.ArrayList<>();
        for (int i = 0; i < 100; i++) {
            calls.add(budgeted.generateDataKey(keyArn, CONTEXT));
        }
        calls.forEach(java.util.concurrent.CompletableFuture::join);

        assertThat(threads.getTotalStartedThreadCount() - startedBefore)
                .as("threads started by 100 budget-delayed calls")
                .isLessThan(10);
    }

    @Test
    void throttlingIsRetriedUntilSuccess() {
        kms.faults().throttleNext(3, KmsOperation.GENERATE_DATA_KEY);
        GeneratedDataKey key = dataKeys.generateDataKey(keyArn, CONTEXT).join();
        assertThat(key.attempts()).isEqualTo(4);
        assertThat(attempts)
                .containsExactly(
                        "GenerateDataKey:throttled",
                        "GenerateDataKey:throttled",
                        "GenerateDataKey:throttled",
                        "GenerateDataKey:ok");
    }

    @Test
    void internalErrorsAreRetried() {
        kms.faults().failNext(2, KmsErrorType.KMS_INTERNAL, KmsOperation.GENERATE_DATA_KEY);
        assertThat(dataKeys.generateDataKey(keyArn, CONTEXT).join().attempts()).isEqualTo(3);
    }

    @Test
    void outageLongerThanRetriesIsUnavailable() {
        kms.faults().startOutage(FaultInjector.OutageMode.HTTP_503);
        KmsCallException e = failure();
        assertThat(e.kind()).isEqualTo(KmsErrorKind.UNAVAILABLE);
        assertThat(e.attempts()).isEqualTo(5);
        assertThat(ErrorCode.fromKms(e.kind())).isEqualTo(ErrorCode.KMS_UNAVAILABLE);
        assertThat(ErrorCode.fromKms(e.kind()).retriable()).isTrue();
    }

    @Test
    void refusedConnectionsAreUnavailable() {
        kms.faults().startOutage(FaultInjector.OutageMode.CLOSE_CONNECTION);
        KmsCallException e = failure();
        assertThat(e.kind()).isEqualTo(KmsErrorKind.UNAVAILABLE);
        assertThat(e.awsErrorCode()).isNull();
        assertThat(e.attempts()).isEqualTo(5);
    }

    @Test
    void throttlingBeyondAttemptsIsThrottled() {
        kms.faults().throttleNext(10, KmsOperation.GENERATE_DATA_KEY);
        KmsCallException e = failure();
        assertThat(e.kind()).isEqualTo(KmsErrorKind.THROTTLED);
        assertThat(e.awsErrorCode()).isEqualTo("ThrottlingException");
        assertThat(e.attempts()).isEqualTo(5);
        assertThat(ErrorCode.fromKms(e.kind())).isEqualTo(ErrorCode.KMS_THROTTLED);
    }

    @Test
    void keyIdentityAcceptsOnlyTheSameKey() {
        KeyIdentity identity = new KeyIdentity(Set.of("eu-west-1", "eu-central-1"));
        String mrk = "arn:aws:kms:eu-west-1:111122223333:key/mrk-0123456789abcdef0123456789abcdef";
        assertThat(identity.sameKey(mrk, mrk.replace("eu-west-1", "eu-central-1"))).isTrue();
        assertThat(identity.sameKey(mrk, mrk.replace("eu-west-1", "us-east-2"))).isFalse();
        assertThat(identity.sameKey(mrk, mrk.replace("111122223333", "444455556666"))).isFalse();
        String single =
                "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        assertThat(identity.sameKey(single, single)).isTrue();
        assertThat(identity.sameKey(single, single.replace("eu-west-1", "eu-central-1"))).isFalse();
        assertThat(identity.sameKey(single, null)).isFalse();
    }
}
