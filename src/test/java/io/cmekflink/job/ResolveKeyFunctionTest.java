package io.cmekflink.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.cmekflink.deadletter.DeadLetter;
import io.cmekflink.deadletter.ErrorCode;
import io.cmekflink.link.Geo;
import io.cmekflink.link.KeyChangeEvent;
import io.cmekflink.link.KeyChangeSignatures;
import io.cmekflink.link.KeyLinkRules;
import io.cmekflink.testing.TestSigning;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** The resolve step with its broadcast and keyed state, timers and snapshots. */
class ResolveKeyFunctionTest {

    private static final Duration LINK_WAIT = Duration.ofSeconds(60);
    private long nextOffset = 100;

    private static String arn() {
        return "arn:aws:kms:eu-west-1:111122223333:key/" + UUID.randomUUID();
    }

    private static ResolveKeyFunction function(
            Map<Integer, Long> targets, int maxPending, Duration catchUpTimeout) {
        return function(targets, maxPending, catchUpTimeout, null);
    }

    private static ResolveKeyFunction function(
            Map<Integer, Long> targets,
            int maxPending,
            Duration catchUpTimeout,
            String platformKeyArn) {
        return new ResolveKeyFunction(
                new KeyLinkRules(Geo.EU, 1000),
                targets,
                LINK_WAIT,
                maxPending,
                catchUpTimeout,
                false,
                TestSigning.signatures(),
                platformKeyArn);
    }

    private static KeyedBroadcastOperatorTestHarness<String, ParsedRecord, KeyChangeRecord, Routed>
            harness(ResolveKeyFunction function, OperatorSubtaskState restore) throws Exception {
        var h =
                new KeyedBroadcastOperatorTestHarness<
                        String, ParsedRecord, KeyChangeRecord, Routed>(
                        new CoBroadcastWithKeyedOperator<>(
                                function,
                                List.of(ResolveKeyFunction.LINKS, ResolveKeyFunction.REPLAY)),
                        r -> r.orgId,
                        Types.STRING,
                        128,
                        1,
                        0);
        h.setup();
        if (restore != null) {
            h.initializeState(restore);
        }
        h.open();
        return h;
    }

    private ParsedRecord record(String org) {
        ParsedRecord r = new ParsedRecord();
        r.orgId = org;
        r.topic = "records";
        r.offset = nextOffset++;
        r.recordIdTopic = "records";
        r.recordIdOffset = r.offset;
        r.avro = new byte[] {1, 2, 3};
        r.headerKeys = new String[0];
        r.headerValues = new byte[0][];
        return r;
    }

    private static KeyChangeRecord change(long offset, KeyChangeEvent event) {
        KeyChangeRecord r = new KeyChangeRecord();
        r.partition = 0;
        r.offset = offset;
        r.value = TestSigning.sign(event).toBytes();
        return r;
    }

    private static KeyChangeEvent link(String org, String arn, long version) {
        return KeyChangeEvent.linked(org, "k", arn, "eu-west-1", null, version, 1L);
    }

    private static List<Routed> routed(KeyedBroadcastOperatorTestHarness<?, ?, ?, Routed> h) {
        List<Routed> out = new ArrayList<>();
        for (Object o : h.getOutput()) {
            if (o instanceof StreamRecord<?> sr
                    && sr.getValue() instanceof Routed r
                    && r.kind == Routed.RECORD) {
                out.add(r);
            }
        }
        return out;
    }

    private static List<DeadLetter> deadLetters(
            KeyedBroadcastOperatorTestHarness<?, ?, ?, Routed> h) throws Exception {
        List<DeadLetter> out = new ArrayList<>();
        var side = h.getSideOutput(DeadLetters.TAG);
        if (side != null) {
            for (StreamRecord<OutputRecord> sr : side) {
                out.add(DeadLetter.fromBytes(sr.getValue().value));
            }
        }
        return out;
    }

    @Test
    void recordsWaitDuringReplayEvenWithALink() throws Exception {
        var h = harness(function(Map.of(0, 1L), 1000, Duration.ofMinutes(2)), null);
        String first = arn();
        String second = arn();
        h.processBroadcastElement(change(0, link("org-a", first, 1)), 1);
        h.processElement(record("org-a"), 1);
        assertThat(routed(h)).isEmpty();
        // The replay's last event relinks: the waiting record uses the newest link.
        h.processBroadcastElement(change(1, link("org-a", second, 2)), 1);
        assertThat(routed(h)).hasSize(1);
        assertThat(routed(h).get(0).keyArn).isEqualTo(second);
    }

    @Test
    void linkedOrgOverflowDuringReplayRoutesUnderItsLink() throws Exception {
        var h = harness(function(Map.of(0, 1L), 3, Duration.ofMinutes(2)), null);
        String arn = arn();
        h.processBroadcastElement(change(0, link("org-a", arn, 1)), 1);
        for (int i = 0; i < 5; i++) {
            h.processElement(record("org-a"), 1);
        }
        assertThat(deadLetters(h)).isEmpty();
        assertThat(routed(h)).hasSize(4);
        h.processBroadcastElement(change(1, link("org-z", arn(), 1)), 1);
        assertThat(routed(h)).hasSize(5);
        List<Long> offsets = routed(h).stream().map(r -> r.record.offset).toList();
        assertThat(offsets).containsExactly(100L, 101L, 102L, 103L, 104L);
        assertThat(deadLetters(h)).isEmpty();
    }

    @Test
    void unlinkedOrgOverflowDuringReplayIsRetriable() throws Exception {
        var h = harness(function(Map.of(0, 5L), 2, Duration.ofMinutes(2)), null);
        for (int i = 0; i < 3; i++) {
            h.processElement(record("org-n"), 1);
        }
        List<DeadLetter> letters = deadLetters(h);
        assertThat(letters).hasSize(1);
        assertThat(letters.get(0).errorCode()).isEqualTo(ErrorCode.NO_KEY_LINKED);
        assertThat(letters.get(0).retriable()).isTrue();
        assertThat(letters.get(0).message())
                .isEqualTo(
                        "org org-n has no key link: the org already has 2 records waiting for a"
                                + " key link, the maximum, while the key-change replay had not"
                                + " caught up");
    }

    @Test
    void noLinkWithinTheWaitIsNoKeyLinked() throws Exception {
        var h = harness(function(Map.of(), 1000, Duration.ofMinutes(2)), null);
        h.setProcessingTime(1_000);
        h.processElement(record("org-n"), 1);
        h.processElement(record("org-n"), 1);
        h.setProcessingTime(1_000 + LINK_WAIT.toMillis() - 1);
        assertThat(deadLetters(h)).isEmpty();
        h.setProcessingTime(1_000 + LINK_WAIT.toMillis());
        List<DeadLetter> letters = deadLetters(h);
        assertThat(letters).hasSize(2);
        assertThat(letters.get(0).errorCode()).isEqualTo(ErrorCode.NO_KEY_LINKED);
        assertThat(letters.get(0).retriable()).isFalse();
        assertThat(letters.get(0).message())
                .isEqualTo("org org-n has no key link: no key link arrived within 1m");
    }

    @Test
    void waitingOffDeadLettersAtOnce() throws Exception {
        var h = harness(function(Map.of(), 0, Duration.ofMinutes(2)), null);
        h.processElement(record("org-off"), 1);
        h.processElement(record("org-off"), 1);
        List<DeadLetter> letters = deadLetters(h);
        assertThat(letters).hasSize(2);
        assertThat(letters)
                .allSatisfy(
                        l -> {
                            assertThat(l.errorCode()).isEqualTo(ErrorCode.NO_KEY_LINKED);
                            assertThat(l.retriable()).isFalse();
                            assertThat(l.message())
                                    .isEqualTo(
                                            "org org-off has no key link: waiting for a key link"
                                                    + " is turned off");
                        });
        assertThat(h.numProcessingTimeTimers()).isZero();
        h.processBroadcastElement(change(0, link("org-off", arn(), 1)), 1);
        h.processElement(record("org-off"), 1);
        assertThat(routed(h)).hasSize(1);
        assertThat(deadLetters(h)).hasSize(2);
    }

    @Test
    void unlinkedOrgGetsKeyUnlinkedAtOnce() throws Exception {
        var h = harness(function(Map.of(), 1000, Duration.ofMinutes(2)), null);
        h.processBroadcastElement(change(0, link("org-u", arn(), 1)), 1);
        h.processBroadcastElement(change(1, KeyChangeEvent.unlinked("org-u", 2, 2L)), 1);
        h.processElement(record("org-u"), 1);
        assertThat(routed(h)).isEmpty();
        assertThat(deadLetters(h))
                .extracting(DeadLetter::errorCode)
                .containsExactly(ErrorCode.KEY_UNLINKED);
    }

    @Test
    void catchUpFlushesManyOrgs() throws Exception {
        var h = harness(function(Map.of(0, 49L), 1000, Duration.ofMinutes(2)), null);
        for (int org = 0; org < 50; org++) {
            h.processElement(record("org-" + org), 1);
            h.processElement(record("org-" + org), 1);
        }
        for (int org = 0; org < 50; org++) {
            h.processBroadcastElement(change(org, link("org-" + org, arn(), 1)), 1);
        }
        assertThat(routed(h)).hasSize(100);
    }

    @Test
    void restoreKeepsWaitingRecordsAndLinks() throws Exception {
        var h = harness(function(Map.of(0, 1L), 1000, Duration.ofMinutes(2)), null);
        h.processBroadcastElement(change(0, link("org-a", arn(), 1)), 1);
        h.processElement(record("org-a"), 1);
        h.processElement(record("org-b"), 1);
        OperatorSubtaskState snapshot = h.snapshot(1, 1);
        h.close();
        var restored = harness(function(Map.of(0, 2L), 1000, Duration.ofMinutes(2)), snapshot);
        restored.processBroadcastElement(change(1, link("org-b", arn(), 1)), 1);
        restored.processBroadcastElement(change(2, link("org-c", arn(), 1)), 1);
        assertThat(routed(restored)).hasSize(2);
    }

    @Test
    void timedOutCatchUpIsRecordedForRestores() throws Exception {
        var h = harness(function(Map.of(0, 10L), 1000, Duration.ZERO), null);
        h.processBroadcastElement(change(0, link("org-a", arn(), 1)), 1);
        assertThat(h.getBroadcastState(ResolveKeyFunction.REPLAY).contains(-1)).isTrue();
        OperatorSubtaskState snapshot = h.snapshot(1, 1);
        h.close();
        var restored = harness(function(Map.of(0, 10L), 1000, Duration.ofMinutes(2)), snapshot);
        restored.processElement(record("org-a"), 1);
        assertThat(routed(restored)).hasSize(1);
    }

    private static KeyChangeRecord raw(long offset, KeyChangeEvent event) {
        KeyChangeRecord r = new KeyChangeRecord();
        r.partition = 0;
        r.offset = offset;
        r.value = event.toBytes();
        return r;
    }

    @Test
    void unsignedAndForgedEventsAreRejected() throws Exception {
        var h = harness(function(Map.of(), 1000, Duration.ofMinutes(2)), null);
        String genuine = arn();
        h.processBroadcastElement(change(0, link("org-s", genuine, 1)), 1);
        // Unsigned.
        h.processBroadcastElement(raw(1, link("org-s", arn(), 2)), 1);
        // Signed by a key that is not the control plane's.
        KeyChangeEvent forged =
                KeyChangeSignatures.sign(
                        link("org-s", arn(), 3),
                        KeyChangeSignatures.generateKeyPair().getPrivate());
        h.processBroadcastElement(raw(2, forged), 1);
        // Signed, then changed.
        KeyChangeEvent altered =
                TestSigning.sign(link("org-s", arn(), 4))
                        .withSignature(TestSigning.sign(link("org-s", arn(), 4)).signature());
        KeyChangeEvent moved =
                new KeyChangeEvent(
                        altered.orgId(),
                        altered.change(),
                        altered.keyName(),
                        arn(),
                        altered.region(),
                        altered.description(),
                        altered.version(),
                        altered.changedAt(),
                        false,
                        altered.signature());
        h.processBroadcastElement(raw(3, moved), 1);
        h.processElement(record("org-s"), 1);
        assertThat(routed(h)).hasSize(1);
        assertThat(routed(h).get(0).keyArn).isEqualTo(genuine);
    }

    @Test
    void replayedOldEventDoesNotRollBack() throws Exception {
        var h = harness(function(Map.of(), 1000, Duration.ofMinutes(2)), null);
        String first = arn();
        String second = arn();
        KeyChangeRecord old = change(0, link("org-r", first, 1));
        h.processBroadcastElement(old, 1);
        h.processBroadcastElement(change(1, link("org-r", second, 2)), 1);
        // The genuine, signed version 1 again, as an attacker could re-publish it.
        h.processBroadcastElement(old, 1);
        h.processElement(record("org-r"), 1);
        assertThat(routed(h).get(0).keyArn).isEqualTo(second);
    }

    @Test
    void versionOfMaxLongIsRejected() throws Exception {
        var h = harness(function(Map.of(), 1000, Duration.ofMinutes(2)), null);
        String genuine = arn();
        h.processBroadcastElement(change(0, link("org-v", genuine, 1)), 1);
        h.processBroadcastElement(change(1, link("org-v", arn(), Long.MAX_VALUE)), 1);
        h.processBroadcastElement(
                change(2, KeyChangeEvent.unlinked("org-v", Long.MAX_VALUE, 2L)), 1);
        h.processElement(record("org-v"), 1);
        assertThat(routed(h)).hasSize(1);
        assertThat(routed(h).get(0).keyArn).isEqualTo(genuine);
        // A later genuine event still applies: the attack did not raise the version.
        String next = arn();
        h.processBroadcastElement(change(3, link("org-v", next, 2)), 1);
        h.processElement(record("org-v"), 1);
        assertThat(routed(h).get(1).keyArn).isEqualTo(next);
    }

    @Test
    void keyOfAnotherAccountNeedsAnExplicitEvent() throws Exception {
        var h = harness(function(Map.of(), 1000, Duration.ofMinutes(2)), null);
        String genuine = arn();
        String otherAccount = arn().replace("111122223333", "444455556666");
        h.processBroadcastElement(change(0, link("org-a", genuine, 1)), 1);
        h.processBroadcastElement(change(1, link("org-a", otherAccount, 2)), 1);
        h.processElement(record("org-a"), 1);
        assertThat(routed(h).get(0).keyArn).isEqualTo(genuine);
        KeyChangeEvent explicit =
                new KeyChangeEvent(
                        "org-a", "LINKED", "k", otherAccount, "eu-west-1", null, 2, 1L, true, null);
        h.processBroadcastElement(change(2, explicit), 1);
        h.processElement(record("org-a"), 1);
        assertThat(routed(h).get(1).keyArn).isEqualTo(otherAccount);
    }

    @Test
    void orgsWithoutALinkUseThePlatformKey() throws Exception {
        String platform = arn();
        var h = harness(function(Map.of(0, 1L), 1000, Duration.ofMinutes(2), platform), null);
        // Before the replay caught up, a record without a link waits: its link may still come.
        h.processElement(record("org-never"), 1);
        assertThat(routed(h)).isEmpty();
        String own = arn();
        h.processBroadcastElement(change(0, link("org-u", own, 1)), 1);
        h.processBroadcastElement(change(1, KeyChangeEvent.unlinked("org-u", 2, 2L)), 1);
        // Caught up: the waiting record goes under the platform key.
        assertThat(routed(h)).extracting(r -> r.keyArn).containsExactly(platform);
        h.processElement(record("org-never"), 1);
        h.processElement(record("org-u"), 1);
        assertThat(routed(h))
                .extracting(r -> r.keyArn)
                .containsExactly(platform, platform, platform);
        assertThat(deadLetters(h)).isEmpty();
    }

    @Test
    void garbageKeyChangesAreRejectedNotFatal() throws Exception {
        var h = harness(function(Map.of(), 1000, Duration.ofMinutes(2)), null);
        byte[] valid = KeyChangeEvent.unlinked("o", 1, 1L).toBytes();
        byte[] badUnion = Arrays.copyOf(valid, 13);
        badUnion[10] = 0x02;
        badUnion[11] = 0x6f;
        badUnion[12] = 0x12;
        for (byte[] value : List.of(badUnion, new byte[] {1, 2, 3}, new byte[0])) {
            KeyChangeRecord r = new KeyChangeRecord();
            r.value = value;
            h.processBroadcastElement(r, 1);
        }
        KeyChangeRecord tombstone = new KeyChangeRecord();
        h.processBroadcastElement(tombstone, 1);
        h.processBroadcastElement(change(1, link("org-a", arn(), 1)), 1);
        h.processElement(record("org-a"), 1);
        assertThat(routed(h)).hasSize(1);
    }
}
