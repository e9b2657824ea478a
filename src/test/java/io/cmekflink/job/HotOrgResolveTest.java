package io.cmekflink.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.cmekflink.deadletter.DeadLetter;
import io.cmekflink.deadletter.ErrorCode;
import io.cmekflink.link.Geo;
import io.cmekflink.link.KeyChangeEvent;
import io.cmekflink.link.KeyLinkRules;
import io.cmekflink.testing.TestSigning;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** The resolve step keyed by org and salt: links and unlinks reach every salt of a hot org. */
class HotOrgResolveTest {

    private static final Duration LINK_WAIT = Duration.ofSeconds(60);
    private static final String HOT = "org-hot";
    private static final String ARN =
            "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    private static final int MAX_PARALLELISM = 128;

    private long nextOffset = 100;

    private static ResolveKeyFunction function(Map<Integer, Long> targets, int maxPending) {
        return new ResolveKeyFunction(
                        new KeyLinkRules(Geo.EU, 1000),
                        targets,
                        LINK_WAIT,
                        maxPending,
                        Duration.ofMinutes(2),
                        false,
                        TestSigning.signatures(),
                        null)
                .withHotOrgs(new HotOrgs(List.of(HOT), 0));
    }

    private static KeyedBroadcastOperatorTestHarness<String, ParsedRecord, KeyChangeRecord, Routed>
            harness(ResolveKeyFunction function, int parallelism, int subtask) throws Exception {
        return harness(function, parallelism, subtask, null);
    }

    private static KeyedBroadcastOperatorTestHarness<String, ParsedRecord, KeyChangeRecord, Routed>
            harness(
                    ResolveKeyFunction function,
                    int parallelism,
                    int subtask,
                    org.apache.flink.runtime.checkpoint.OperatorSubtaskState restore)
                    throws Exception {
        var h =
                new KeyedBroadcastOperatorTestHarness<
                        String, ParsedRecord, KeyChangeRecord, Routed>(
                        new CoBroadcastWithKeyedOperator<>(
                                function,
                                List.of(ResolveKeyFunction.LINKS, ResolveKeyFunction.REPLAY)),
                        r -> HotOrgs.routingKey(r.orgId, r.salt),
                        Types.STRING,
                        MAX_PARALLELISM,
                        parallelism,
                        subtask);
        h.setup();
        if (restore != null) {
            h.initializeState(restore);
        }
        h.open();
        return h;
    }

    private ParsedRecord record(String org, int salt) {
        ParsedRecord r = new ParsedRecord();
        r.orgId = org;
        r.salt = salt;
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

    private static KeyChangeEvent link(String org, long version) {
        return KeyChangeEvent.linked(org, "k", ARN, "eu-west-1", null, version, 1L);
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
    void newLinkFlushesEverySalt() throws Exception {
        var h = harness(function(Map.of(), 1000), 1, 0);
        h.processElement(record(HOT, 0), 1);
        h.processElement(record(HOT, 2), 1);
        h.processElement(record(HOT, 2), 1);
        assertThat(routed(h)).isEmpty();

        h.processBroadcastElement(change(0, link(HOT, 1)), 1);

        assertThat(routed(h)).extracting(r -> r.record.salt).containsExactly(0, 2, 2);
        assertThat(routed(h)).extracting(r -> r.keyArn).containsOnly(ARN);
        assertThat(routed(h)).extracting(r -> r.orgId).containsOnly(HOT);
        // The wait state of both keys is gone: the timers find nothing to dead-letter.
        h.setProcessingTime(LINK_WAIT.toMillis() + 1);
        assertThat(deadLetters(h)).isEmpty();
    }

    @Test
    void unlinkDeadLettersEverySalt() throws Exception {
        // The replay of a fresh start links, then unlinks the org while its records wait.
        var h = harness(function(Map.of(0, 2L), 1000), 1, 0);
        h.processBroadcastElement(change(0, link(HOT, 1)), 1);
        h.processElement(record(HOT, 0), 1);
        h.processElement(record(HOT, 2), 1);
        h.processBroadcastElement(change(1, KeyChangeEvent.unlinked(HOT, 2, 2L)), 1);
        assertThat(deadLetters(h)).isEmpty();

        h.processBroadcastElement(change(2, link("org-other", 1)), 1);

        assertThat(routed(h)).isEmpty();
        assertThat(deadLetters(h))
                .extracting(DeadLetter::errorCode)
                .containsExactly(ErrorCode.KEY_UNLINKED, ErrorCode.KEY_UNLINKED);
        assertThat(deadLetters(h))
                .extracting(DeadLetter::sourceOffset)
                .containsExactlyInAnyOrder(100L, 101L);

        // Records after the unlink: KEY_UNLINKED at once, on every salt.
        h.processElement(record(HOT, 0), 1);
        h.processElement(record(HOT, 2), 1);
        assertThat(routed(h)).isEmpty();
        assertThat(deadLetters(h)).hasSize(4);
        assertThat(deadLetters(h))
                .extracting(DeadLetter::errorCode)
                .containsOnly(ErrorCode.KEY_UNLINKED);
    }

    @Test
    void linkWaitEndsOnEverySalt() throws Exception {
        var h = harness(function(Map.of(), 1000), 1, 0);
        h.setProcessingTime(1_000);
        h.processElement(record(HOT, 0), 1);
        h.processElement(record(HOT, 2), 1);

        h.setProcessingTime(1_000 + LINK_WAIT.toMillis());

        List<DeadLetter> letters = deadLetters(h);
        assertThat(letters).hasSize(2);
        assertThat(letters).extracting(DeadLetter::errorCode).containsOnly(ErrorCode.NO_KEY_LINKED);
        assertThat(letters)
                .extracting(DeadLetter::message)
                .containsOnly("org org-hot has no key link: no key link arrived within 1m");
    }

    @Test
    void waitBoundIsSplitOverSalts() throws Exception {
        // At parallelism 2 the hot org has 2 salts, so each keeps max(1, 4 / 2) = 2 records.
        int subtask = HotOrgs.instanceOf(HotOrgs.routingKey(HOT, 0), MAX_PARALLELISM, 2);
        var h = harness(function(Map.of(), 4), 2, subtask);
        for (int i = 0; i < 3; i++) {
            h.processElement(record(HOT, 0), 1);
        }

        List<DeadLetter> letters = deadLetters(h);
        assertThat(letters).hasSize(1);
        assertThat(letters.get(0).errorCode()).isEqualTo(ErrorCode.NO_KEY_LINKED);
        assertThat(letters.get(0).sourceOffset()).isEqualTo(102L);
        assertThat(letters.get(0).message())
                .isEqualTo(
                        "org org-hot has no key link: the org already has 2 records waiting for"
                                + " a key link, the maximum");
    }

    @Test
    void coldOrgKeepsTheWholeBound() throws Exception {
        int subtask = HotOrgs.instanceOf("org-cold", MAX_PARALLELISM, 2);
        var h = harness(function(Map.of(), 4), 2, subtask);
        for (int i = 0; i < 5; i++) {
            h.processElement(record("org-cold", 0), 1);
        }

        assertThat(deadLetters(h)).hasSize(1);
        assertThat(deadLetters(h).get(0).sourceOffset()).isEqualTo(104L);
    }

    @Test
    void rescaleKeepsEverySaltWaiting() throws Exception {
        var h = harness(function(Map.of(), 1000), 1, 0);
        h.processElement(record(HOT, 0), 1);
        h.processElement(record(HOT, 2), 1);
        h.processElement(record(HOT, 2), 1);
        var snapshot = h.snapshot(1, 1);
        h.close();

        // Restored at parallelism 2, each instance gets the salts of its key groups.
        List<Integer> salts = new ArrayList<>();
        for (int subtask = 0; subtask < 2; subtask++) {
            var state =
                    org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness
                            .repartitionOperatorState(snapshot, MAX_PARALLELISM, 1, 2, subtask);
            var restored = harness(function(Map.of(), 1000), 2, subtask, state);
            restored.processBroadcastElement(change(0, link(HOT, 1)), 1);
            List<Routed> routed = routed(restored);
            assertThat(routed).extracting(r -> r.keyArn).containsOnly(ARN);
            for (Routed r : routed) {
                String key = HotOrgs.routingKey(r.orgId, r.record.salt);
                assertThat(HotOrgs.instanceOf(key, MAX_PARALLELISM, 2)).isEqualTo(subtask);
                salts.add(r.record.salt);
            }
            restored.close();
        }
        assertThat(salts).containsExactlyInAnyOrder(0, 2, 2);
    }
}
