package io.cmekflink.dek;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class DekKeyTest {

    @Test
    void multiRegionKeySharesOneIdentity() {
        String west = "arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd";
        String central = "arn:aws:kms:eu-central-1:111122223333:key/mrk-1234abcd";
        assertThat(DekKey.identityOf(west)).isEqualTo("aws:111122223333:key/mrk-1234abcd");
        assertThat(DekKey.identityOf(central)).isEqualTo(DekKey.identityOf(west));
        assertThat(DekKey.of("org-a", west)).isEqualTo(DekKey.of("org-a", central));
        assertThat(DekKey.of("org-a", west)).isNotEqualTo(DekKey.of("org-b", west));
    }

    @Test
    void singleRegionKeyIsItsArn() {
        String arn = "arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-aaaa-bbbb-cccc-000011112222";
        assertThat(DekKey.identityOf(arn)).isSameAs(arn);
        String other =
                "arn:aws:kms:eu-central-1:111122223333:key/0f1e2d3c-aaaa-bbbb-cccc-000011112222";
        assertThat(DekKey.of("org-a", arn)).isNotEqualTo(DekKey.of("org-a", other));
    }

    @Test
    void nonArnStringIsItsOwnIdentity() {
        for (String s :
                new String[] {
                    "", "key/mrk-1", "arn:aws:kms:eu-west-1:key/mrk-1", "a:b:c:d:e", "a:b:c:d:e:"
                }) {
            assertThat(DekKey.identityOf(s)).as(s).isEqualTo(s);
        }
        assertThat(DekKey.identityOf("a:b:c:d:e:key/mrk-x:y")).isEqualTo("b:e:key/mrk-x:y");
    }

    /** Returns the identity by splitting the ARN at its first five colons. */
    private static String bySplitting(String keyArn) {
        String[] parts = keyArn.split(":", 6);
        if (parts.length == 6 && parts[5].startsWith("key/mrk-")) {
            return parts[1] + ":" + parts[4] + ":" + parts[5];
        }
        return keyArn;
    }

    @Test
    void identityMatchesSplittingOnRandomArns() {
        Random random = new Random(42);
        String[] pieces = {"arn", "aws", "kms", "eu-west-1", "", "1111", "key/mrk-9", "key/k", ":"};
        for (int i = 0; i < 20_000; i++) {
            StringBuilder arn = new StringBuilder();
            int n = random.nextInt(9);
            for (int p = 0; p < n; p++) {
                arn.append(pieces[random.nextInt(pieces.length)]);
                if (random.nextBoolean()) {
                    arn.append(':');
                }
            }
            String s = arn.toString();
            assertThat(DekKey.identityOf(s)).as(s).isEqualTo(bySplitting(s));
        }
    }
}
