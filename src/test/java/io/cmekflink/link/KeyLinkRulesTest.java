package io.cmekflink.link;

import static org.assertj.core.api.Assertions.assertThat;

import io.cmekflink.link.KeyLinkRules.Applied;
import io.cmekflink.link.KeyLinkRules.Decision;
import io.cmekflink.link.KeyLinkRules.Rejected;
import io.cmekflink.link.KeyLinkRules.Stale;
import org.junit.jupiter.api.Test;

class KeyLinkRulesTest {

    private static final String ARN_1 =
            "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    private static final String ARN_2 =
            "arn:aws:kms:eu-central-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";
    private static final String OTHER_ACCOUNT =
            "arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    private final KeyLinkRules rules = new KeyLinkRules(Geo.EU, 1000);

    private static KeyChangeEvent linked(String arn, String region, long version) {
        return KeyChangeEvent.linked("org-1", "main", arn, region, "d", version, 1000L);
    }

    @Test
    void firstLinkIsAppliedAndPinsAccount() {
        Decision d = rules.decide(null, linked(ARN_1, "eu-west-1", 1));
        assertThat(d).isInstanceOf(Applied.class);
        KeyLink link = ((Applied) d).link();
        assertThat(link.linked).isTrue();
        assertThat(link.keyArn).isEqualTo(ARN_1);
        assertThat(link.version).isEqualTo(1);
        assertThat(link.account).isEqualTo("111122223333");
    }

    @Test
    void versionsOutOfOrderKeepTheHighest() {
        KeyLink current = null;
        long[] arrival = {3, 1, 2, 5, 4, 5};
        for (long version : arrival) {
            String arn = version % 2 == 0 ? ARN_2 : ARN_1;
            String region = version % 2 == 0 ? "eu-central-1" : "eu-west-1";
            Decision d = rules.decide(current, linked(arn, region, version));
            if (d instanceof Applied applied) {
                current = applied.link();
            }
        }
        assertThat(current.version).isEqualTo(5);
        assertThat(current.keyArn).isEqualTo(ARN_1);
    }

    @Test
    void duplicateAndOlderVersionsAreStale() {
        KeyLink current = ((Applied) rules.decide(null, linked(ARN_1, "eu-west-1", 4))).link();
        assertThat(rules.decide(current, linked(ARN_2, "eu-central-1", 4))).isEqualTo(new Stale(4));
        assertThat(rules.decide(current, linked(ARN_2, "eu-central-1", 2))).isEqualTo(new Stale(4));
    }

    @Test
    void unlinkKeepsVersionAndAccount() {
        KeyLink current = ((Applied) rules.decide(null, linked(ARN_1, "eu-west-1", 1))).link();
        Decision d = rules.decide(current, KeyChangeEvent.unlinked("org-1", 2, 2000L));
        KeyLink unlinked = ((Applied) d).link();
        assertThat(unlinked.linked).isFalse();
        assertThat(unlinked.version).isEqualTo(2);
        assertThat(unlinked.account).isEqualTo("111122223333");
        assertThat(rules.decide(unlinked, linked(ARN_1, "eu-west-1", 1))).isEqualTo(new Stale(2));
    }

    @Test
    void versionJumpBeyondBoundIsRejected() {
        Decision d = rules.decide(null, linked(ARN_1, "eu-west-1", Long.MAX_VALUE));
        assertThat(d).isInstanceOf(Rejected.class);
        assertThat(((Rejected) d).reason())
                .isEqualTo(
                        "invalid version '9223372036854775807': more than 1000 ahead of the"
                                + " current version 0");
    }

    @Test
    void otherAccountNeedsExplicitEvent() {
        KeyLink current = ((Applied) rules.decide(null, linked(ARN_1, "eu-west-1", 1))).link();
        Decision refused = rules.decide(current, linked(OTHER_ACCOUNT, "eu-west-1", 2));
        assertThat(refused).isInstanceOf(Rejected.class);
        assertThat(((Rejected) refused).reason()).contains("pinned to account 111122223333");

        KeyChangeEvent explicit =
                new KeyChangeEvent(
                        "org-1",
                        "LINKED",
                        "main",
                        OTHER_ACCOUNT,
                        "eu-west-1",
                        null,
                        2,
                        1L,
                        true,
                        null);
        Decision moved = rules.decide(current, explicit);
        assertThat(((Applied) moved).link().account).isEqualTo("444455556666");
    }

    @Test
    void invalidEventsAreRejectedWithFieldAndRule() {
        assertThat(reason(linked(ARN_1, "eu-central-1", 1)))
                .isEqualTo(
                        "invalid region 'eu-central-1': differs from the region 'eu-west-1' of the"
                                + " key ARN");
        assertThat(
                        reason(
                                linked(
                                        "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                                        "us-west-2",
                                        1)))
                .isEqualTo(
                        "invalid region 'us-west-2': outside geo EU, whose regions are"
                                + " [eu-central-1, eu-west-1]");
        assertThat(reason(linked("arn:aws:kms:eu-west-1:111122223333:alias/main", "eu-west-1", 1)))
                .startsWith(
                        "invalid key_arn 'arn:aws:kms:eu-west-1:111122223333:alias/main':"
                                + " alias ARNs are not accepted");
        assertThat(reason(linked("1234abcd-12ab-34cd-56ef-1234567890ab", "eu-west-1", 1)))
                .contains("expected arn:<partition>:kms:<region>:<12-digit account>:key/<key id>");
        assertThat(
                        reason(
                                linked(
                                        "arn:aws-cn:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                                        "eu-west-1",
                                        1)))
                .contains("partition 'aws-cn' does not match region 'eu-west-1'");
        assertThat(reason(linked(ARN_1, "eu-west-1", -3)))
                .isEqualTo("invalid version '-3': must be at least 1");
        assertThat(
                        reason(
                                new KeyChangeEvent(
                                        "org-1", "UNKNOWN", null, null, null, null, 1, 1L, false,
                                        null)))
                .isEqualTo("invalid change 'UNKNOWN': expected LINKED or UNLINKED");
        assertThat(reason(KeyChangeEvent.linked("org-1", null, ARN_1, "eu-west-1", null, 1, 1L)))
                .isEqualTo("invalid key_name 'null': a key name is required on LINKED");
        assertThat(reason(KeyChangeEvent.unlinked("", 1, 1L)))
                .isEqualTo("invalid org_id '': an org id is required");
        assertThat(
                        reason(
                                KeyChangeEvent.linked(
                                        "org-1", "k", ARN_1, "eu-west-1", "x".repeat(1025), 1, 1L)))
                .isEqualTo("invalid description '1025 characters': at most 1024 characters");
    }

    @Test
    void rejectedEventNeverReplacesCurrentLink() {
        KeyLink current = ((Applied) rules.decide(null, linked(ARN_1, "eu-west-1", 1))).link();
        Decision d = rules.decide(current, linked("garbage", "eu-west-1", 2));
        assertThat(d).isInstanceOf(Rejected.class);
        assertThat(current.keyArn).isEqualTo(ARN_1);
        assertThat(current.version).isEqualTo(1);
    }

    @Test
    void eventsRoundTripThroughSingleObjectEncoding() throws Exception {
        KeyChangeEvent event = linked(ARN_1, "eu-west-1", 7);
        byte[] bytes = event.toBytes();
        assertThat(bytes[0]).isEqualTo((byte) 0xC3);
        assertThat(bytes[1]).isEqualTo((byte) 0x01);
        KeyChangeEvent back = KeyChangeEvent.fromBytes(bytes);
        assertThat(back.orgId()).isEqualTo("org-1");
        assertThat(back.change()).isEqualTo("LINKED");
        assertThat(back.keyArn()).isEqualTo(ARN_1);
        assertThat(back.version()).isEqualTo(7);
        assertThat(back.changedAt()).isEqualTo(1000L);
    }

    private String reason(KeyChangeEvent event) {
        Decision d = rules.decide(null, event);
        assertThat(d).isInstanceOf(Rejected.class);
        return ((Rejected) d).reason();
    }
}
