package io.cmekflink.link;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class KeyArnTest {

    private static final String MRK = "mrk-1234abcd12ab34cd56ef1234567890ab";
    private static final String UUID = "1234abcd-12ab-34cd-56ef-1234567890ab";

    private static KeyArn arn(String region, String account, String keyId) throws Exception {
        String partition = KeyArn.partitionOf(region);
        return KeyArn.parse(
                "arn:" + partition + ":kms:" + region + ":" + account + ":key/" + keyId);
    }

    @Test
    void multiRegionReplicaIsSameKey() throws Exception {
        KeyArn primary = arn("eu-central-1", "111122223333", MRK);

        assertThat(primary.sameKey(arn("eu-west-1", "111122223333", MRK))).isTrue();
        assertThat(primary.sameKey(arn("eu-central-1", "111122223333", MRK))).isTrue();
    }

    @Test
    void otherMultiRegionKeysDiffer() throws Exception {
        KeyArn primary = arn("eu-central-1", "111122223333", MRK);
        String otherId = "mrk-0badc0de12ab34cd56ef1234567890ab";

        assertThat(primary.sameKey(arn("eu-west-1", "111122223333", otherId))).isFalse();
        assertThat(primary.sameKey(arn("eu-west-1", "444455556666", MRK))).isFalse();
        assertThat(primary.sameKey(arn("cn-north-1", "111122223333", MRK))).isFalse();
    }

    @Test
    void singleRegionKeyInOtherRegionDiffers() throws Exception {
        KeyArn key = arn("eu-central-1", "111122223333", UUID);

        assertThat(key.sameKey(arn("eu-west-1", "111122223333", UUID))).isFalse();
        assertThat(key.sameKey(arn("eu-central-1", "111122223333", UUID))).isTrue();
    }
}
