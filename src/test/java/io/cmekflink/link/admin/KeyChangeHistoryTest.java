package io.cmekflink.link.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.cmekflink.link.Geo;
import io.cmekflink.link.KeyChangeEvent;
import io.cmekflink.link.KeyChangeSignatures;
import io.cmekflink.link.KeyLinkRules;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.util.List;
import org.junit.jupiter.api.Test;

class KeyChangeHistoryTest {

    private static final KeyPair PAIR = KeyChangeSignatures.generateKeyPair();
    private static final KeyLinkRules RULES = new KeyLinkRules(Geo.EU, 1000);
    private static final String KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab";

    private static String arn(String account, String region) {
        return "arn:aws:kms:" + region + ":" + account + ":key/" + KEY_ID;
    }

    private static KeyChangeEvent linked(String org, long version, String account) {
        return KeyChangeEvent.linked(
                org, "prod", arn(account, "eu-west-1"), "eu-west-1", null, version, 1000L);
    }

    private static byte[] signed(KeyChangeEvent event) {
        return KeyChangeSignatures.sign(event, PAIR.getPrivate()).toBytes();
    }

    @Test
    void emptyTopicHasNoLink() {
        KeyChangeHistory history = new KeyChangeHistory("acme", null);

        assertThat(history.latest()).isEmpty();
        assertThat(history.replay(RULES).current()).isNull();
        assertThat(history.replay(RULES).rejections()).isEmpty();
    }

    @Test
    void replayAppliesEventsInVersionOrder() {
        KeyChangeHistory history = new KeyChangeHistory("acme", null);
        history.accept(signed(linked("acme", 2, "111122223333")));
        history.accept(signed(linked("acme", 1, "111122223333")));
        history.accept(signed(KeyChangeEvent.unlinked("acme", 3, 2000L)));

        KeyChangeHistory.Replay replay = history.replay(RULES);

        assertThat(replay.current().version).isEqualTo(3);
        assertThat(replay.current().linked).isFalse();
        assertThat(replay.current().account).isEqualTo("111122223333");
        assertThat(replay.rejections()).isEmpty();
        assertThat(history.latest().orElseThrow().version()).isEqualTo(3);
        assertThat(history.events()).isEqualTo(3);
    }

    @Test
    void otherOrgsAndGarbageAreSkipped() {
        KeyChangeHistory history = new KeyChangeHistory("acme", null);
        history.accept(signed(linked("other", 9, "111122223333")));
        history.accept("not an event".getBytes(StandardCharsets.UTF_8));
        history.accept((byte[]) null);
        history.accept(signed(linked("acme", 1, "111122223333")));

        assertThat(history.records()).isEqualTo(4);
        assertThat(history.undecodable()).isEqualTo(2);
        assertThat(history.events()).isEqualTo(1);
        assertThat(history.latest().orElseThrow().version()).isEqualTo(1);
    }

    @Test
    void rejectedEventsKeepTheLink() {
        KeyChangeHistory history = new KeyChangeHistory("acme", null);
        history.accept(signed(linked("acme", 1, "111122223333")));
        history.accept(
                signed(
                        KeyChangeEvent.linked(
                                "acme",
                                "us",
                                arn("111122223333", "us-west-2"),
                                "us-west-2",
                                null,
                                2,
                                1000L)));
        history.accept(signed(linked("acme", 3, "444455556666")));

        KeyChangeHistory.Replay replay = history.replay(RULES);

        assertThat(replay.current().version).isEqualTo(1);
        assertThat(replay.rejections())
                .containsExactly(
                        "version 2: invalid region 'us-west-2': outside geo EU, whose regions are"
                                + " [eu-central-1, eu-west-1]",
                        "version 3: invalid key_arn '"
                                + arn("444455556666", "eu-west-1")
                                + "': the org's keys are pinned to account 111122223333; an event"
                                + " with allow_account_change=true is needed to move it");
        assertThat(history.latest().orElseThrow().version()).isEqualTo(3);
    }

    @Test
    void equalVersionsKeepTheFirstRead() {
        KeyChangeHistory history = new KeyChangeHistory("acme", null);
        history.accept(signed(linked("acme", 1, "111122223333")));
        history.accept(signed(linked("acme", 1, "444455556666")));

        assertThat(history.replay(RULES).current().account).isEqualTo("111122223333");
        assertThat(history.latest().orElseThrow().keyArn())
                .isEqualTo(arn("111122223333", "eu-west-1"));
    }

    @Test
    void publicKeysSkipUnsignedAndForeignEvents() {
        KeyChangeSignatures signatures = KeyChangeSignatures.of(List.of(PAIR.getPublic()));
        KeyPair other = KeyChangeSignatures.generateKeyPair();
        KeyChangeHistory history = new KeyChangeHistory("acme", signatures);
        history.accept(signed(linked("acme", 1, "111122223333")));
        history.accept(linked("acme", 2, "111122223333").toBytes());
        history.accept(
                KeyChangeSignatures.sign(linked("acme", 3, "111122223333"), other.getPrivate())
                        .toBytes());

        assertThat(history.unverified()).isEqualTo(2);
        assertThat(history.events()).isEqualTo(1);
        assertThat(history.latest().orElseThrow().version()).isEqualTo(1);
    }
}
