package io.cmekflink.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cmekflink.config.ConfigException;
import io.cmekflink.config.JobConfig;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.junit.jupiter.api.Test;

class HotOrgsTest {

    private static final int MAX_PARALLELISM = 128;

    private static int instanceOf(String org, int salt, int parallelism) {
        return KeyGroupRangeAssignment.assignKeyToParallelOperator(
                HotOrgs.routingKey(org, salt), MAX_PARALLELISM, parallelism);
    }

    @Test
    void saltsAreExact() {
        HotOrgs hot = new HotOrgs(List.of("org-hot", "org-00000"), 0);

        assertThat(hot.salts(MAX_PARALLELISM, 2).of("org-hot")).containsExactly(0, 2);
        assertThat(hot.salts(MAX_PARALLELISM, 4).of("org-hot")).containsExactly(0, 2, 3, 4);
        assertThat(hot.salts(MAX_PARALLELISM, 2).of("org-00000")).containsExactly(0, 1);
        assertThat(hot.salts(MAX_PARALLELISM, 4).of("org-00000")).containsExactly(0, 1, 2, 11);
    }

    @Test
    void saltsReachDistinctInstances() {
        for (int parallelism = 1; parallelism <= 8; parallelism++) {
            for (int org = 0; org < 200; org++) {
                String id = "org-" + org;
                int[] salts = HotOrgs.choose(id, parallelism, MAX_PARALLELISM, parallelism);
                Set<Integer> instances = new HashSet<>();
                for (int salt : salts) {
                    instances.add(instanceOf(id, salt, parallelism));
                }
                assertThat(salts).as("salts of " + id).hasSize(parallelism);
                assertThat(instances).as("instances of " + id).hasSize(parallelism);
            }
        }
    }

    @Test
    void saltsAreTheSmallestThatReachANewInstance() {
        int parallelism = 4;
        int[] salts = HotOrgs.choose("org-hot", parallelism, MAX_PARALLELISM, parallelism);
        Set<Integer> reached = new HashSet<>();
        reached.add(instanceOf("org-hot", 0, parallelism));
        int next = 1;
        for (int salt = 1; salt <= salts[salts.length - 1]; salt++) {
            boolean isNew = reached.add(instanceOf("org-hot", salt, parallelism));
            if (isNew) {
                assertThat(salts[next++]).isEqualTo(salt);
            }
        }
        assertThat(next).isEqualTo(parallelism);
    }

    @Test
    void spreadCapsTheSaltCount() {
        HotOrgs hot = new HotOrgs(List.of("org-hot"), 2);

        assertThat(hot.saltCount(8)).isEqualTo(2);
        assertThat(hot.saltCount(1)).isEqualTo(1);
        assertThat(hot.salts(MAX_PARALLELISM, 8).of("org-hot")).hasSize(2);
        assertThat(new HotOrgs(List.of("org-hot"), 0).saltCount(8)).isEqualTo(8);
    }

    @Test
    void parallelismOneGivesSaltZero() {
        HotOrgs.Salts salts = new HotOrgs(List.of("org-hot"), 0).salts(MAX_PARALLELISM, 1);

        assertThat(salts.of("org-hot")).containsExactly(0);
        assertThat(salts.saltOf("org-hot", 0, 12345)).isZero();
    }

    @Test
    void coldOrgsGetSaltZero() {
        HotOrgs.Salts salts = new HotOrgs(List.of("org-hot"), 0).salts(MAX_PARALLELISM, 2);

        for (long offset = 0; offset < 100; offset++) {
            assertThat(salts.saltOf("org-cold", 0, offset)).isZero();
        }
        assertThat(salts.of("org-cold")).containsExactly(0);
    }

    @Test
    void saltIsAFunctionOfThePosition() {
        HotOrgs hot = new HotOrgs(List.of("org-hot"), 0);
        HotOrgs.Salts first = hot.salts(MAX_PARALLELISM, 4);
        HotOrgs.Salts second = hot.salts(MAX_PARALLELISM, 4);

        for (int partition = 0; partition < 3; partition++) {
            for (long offset = 0; offset < 1000; offset++) {
                assertThat(first.saltOf("org-hot", partition, offset))
                        .isEqualTo(second.saltOf("org-hot", partition, offset));
            }
        }
        // The salts of org-hot at parallelism 4 are [0, 2, 3, 4]; the finalizer maps 0 to 0.
        assertThat(first.saltOf("org-hot", 0, 0)).isEqualTo(0);
        assertThat(first.saltOf("org-hot", 0, 2)).isEqualTo(4);
        assertThat(first.saltOf("org-hot", 0, 3)).isEqualTo(3);
        assertThat(first.saltOf("org-hot", 1, 0)).isEqualTo(3);
    }

    @Test
    void pickSpreadsRegularOffsets() {
        // Every second offset, as when a hot org alternates with other orgs in a partition.
        int[] counts = new int[2];
        for (long offset = 0; offset < 20_000; offset += 2) {
            counts[HotOrgs.pick(2, 0, offset)]++;
        }
        assertThat(counts[0] + counts[1]).isEqualTo(10_000);
        // A fair coin stays within 4 standard deviations (200) of 5,000 with probability
        // above 0.9999; the hash is fixed, so this is checked once and stays true.
        assertThat(counts[0]).isBetween(4_800, 5_200);
    }

    @Test
    void routingKeySaltZeroPlain() {
        assertThat(HotOrgs.routingKey("org-a", 0)).isEqualTo("org-a");
        assertThat(HotOrgs.routingKey("org-a", 7)).isEqualTo("org-a\u00007");
    }

    @Test
    void routingKeysNeverCollide() {
        // An org id that looks like a salted key keeps a key of its own.
        String tricky = "org-a\u00007";
        Set<String> keys = new HashSet<>();
        for (String org : List.of("org-a", tricky, "org-a\u0000")) {
            for (int salt : new int[] {0, 1, 7, 70}) {
                String key = HotOrgs.routingKey(org, salt);
                assertThat(keys.add(key)).as("key of " + Arrays.asList(org, salt)).isTrue();
                assertThat(HotOrgs.orgOf(key)).isEqualTo(org);
            }
        }
    }

    @Test
    void configReadsIdsAndSpread() {
        HotOrgs hot = HotOrgs.of(config("hot-orgs: {ids: [org-x, org-y], spread: 3}"));

        assertThat(hot.isHot("org-x")).isTrue();
        assertThat(hot.isHot("org-y")).isTrue();
        assertThat(hot.isHot("org-z")).isFalse();
        assertThat(hot.saltCount(8)).isEqualTo(3);
    }

    @Test
    void duplicateIdIsRejected() {
        assertThatThrownBy(() -> HotOrgs.of(config("hot-orgs.ids: [org-x, org-x]")))
                .isInstanceOf(ConfigException.class)
                .hasMessage(
                        "hot.yaml: invalid value [org-x, org-x] for hot-orgs.ids: org id org-x is"
                                + " listed twice; list each hot org once");
    }

    @Test
    void blankIdIsRejected() {
        assertThatThrownBy(() -> HotOrgs.of(config("hot-orgs.ids: [org-x, \" \"]")))
                .isInstanceOf(ConfigException.class)
                .hasMessage(
                        "hot.yaml: invalid value [org-x,  ] for hot-orgs.ids: an org id is empty"
                                + " or blank; list each hot org id");
    }

    @Test
    void negativeSpreadIsRejected() {
        assertThatThrownBy(() -> config("hot-orgs.spread: -1"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("hot-orgs.spread")
                .hasMessageContaining("-1");
    }

    private static JobConfig config(String extra) {
        return JobConfig.parse(
                """
                job.type: encrypt
                geo: EU
                records: {topic: r, format: avro, schema: schemas/kong-log-entry.avsc}
                output.topic: o
                dead-letters.topic: d
                key-changes.topic: k
                key-changes.public-keys: ["unused.pem"]
                kms.local-region: eu-west-1
                kafka.bootstrap.servers: "127.0.0.1:1"
                """
                        + extra
                        + "\n",
                "hot.yaml",
                name -> null);
    }
}
