package io.cmekflink.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cmekflink.link.Geo;
import io.cmekflink.link.InvalidKeyLinkException;
import io.cmekflink.link.KeyChangeEvent;
import io.cmekflink.link.KeyChangeSignatures;
import io.cmekflink.link.KeyLink;
import io.cmekflink.link.KeyLinkRules;
import io.cmekflink.local.EmbeddedKafka;
import io.cmekflink.local.Topics;
import io.cmekflink.local.kms.KmsAction;
import io.cmekflink.local.kms.KmsEmulator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code link-key} and {@code unlink-key} against a broker and a KMS emulator in this JVM.
 * Each test has its own compacted key-change topic of one partition, so offsets start at 0.
 *
 * <p>For {@code --verify}, the keys live in the org's account ({@link KmsEmulator#SECOND_ACCOUNT})
 * and the commands call KMS as the platform ({@link KmsEmulator#DEFAULT_ACCOUNT}), through the
 * SDK's default credentials provider chain.
 */
class KeyLinkCommandsKafkaTest {

    private static final Instant NOW = Instant.parse("2025-03-01T10:00:00Z");
    private static final String PLATFORM = KmsEmulator.DEFAULT_ACCOUNT;
    private static final String ORG_ACCOUNT = KmsEmulator.SECOND_ACCOUNT;
    private static final String REGION = "eu-west-1";
    private static final String ORG = "acme";
    private static final String ARN_A =
            "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    private static final String ARN_A2 =
            "arn:aws:kms:eu-central-1:111122223333:key/0badc0de-12ab-34cd-56ef-1234567890ab";
    private static final String ARN_B =
            "arn:aws:kms:eu-west-1:444455556666:key/5678efab-12ab-34cd-56ef-1234567890ab";
    private static final KmsAction[] CRYPTO = {
        KmsAction.ENCRYPT,
        KmsAction.DECRYPT,
        KmsAction.RE_ENCRYPT_FROM,
        KmsAction.RE_ENCRYPT_TO,
        KmsAction.GENERATE_DATA_KEY
    };

    @TempDir static Path keys;

    private static EmbeddedKafka kafka;
    private static KmsEmulator kms;
    private static Path signingKey;
    private static Path publicKey;
    private static Path otherPublicKey;
    private static final AtomicInteger TOPICS = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start(0);
        kms = KmsEmulator.start(0);
        KmsEmulator.useDefaultAccountForSdkChain();
        KeyPair pair = KeyChangeSignatures.generateKeyPair();
        signingKey = keys.resolve("signing.pem");
        publicKey = keys.resolve("signing.pub.pem");
        KeyChangeSignatures.writeKeyPair(pair, signingKey, publicKey);
        otherPublicKey = keys.resolve("other.pub.pem");
        KeyChangeSignatures.writeKeyPair(
                KeyChangeSignatures.generateKeyPair(), keys.resolve("other.pem"), otherPublicKey);
    }

    @AfterAll
    static void stop() throws Exception {
        kms.close();
        kafka.close();
    }

    private static String newTopic() throws Exception {
        String topic = "key-changes-" + TOPICS.incrementAndGet();
        kafka.createCompactedTopics(1, List.of(topic));
        return topic;
    }

    private static List<String> topicArgs(String topic) {
        List<String> args = new ArrayList<>(topicArgsWithoutPublicKey(topic));
        args.addAll(List.of("--public-key", publicKey.toString()));
        return args;
    }

    private static List<String> topicArgsWithoutPublicKey(String topic) {
        return List.of(
                "--bootstrap",
                kafka.bootstrapServers(),
                "--topic",
                topic,
                "--signing-key",
                signingKey.toString(),
                "--timeout",
                "20s");
    }

    private static CommandRun link(String topic, String arn, String... extra) {
        List<String> args = new ArrayList<>();
        String region = arn.split(":")[3];
        args.addAll(
                List.of(
                        "--org",
                        ORG,
                        "--name",
                        "prod",
                        "--arn",
                        arn,
                        "--region",
                        region,
                        "--geo",
                        "EU"));
        if (topic != null) {
            args.addAll(topicArgs(topic));
        }
        args.addAll(List.of(extra));
        LinkKeyCommand command = new LinkKeyCommand();
        command.clock = Clock.fixed(NOW, ZoneOffset.UTC);
        return CommandRun.of(command, args.toArray(String[]::new));
    }

    private static CommandRun unlink(String topic, String... extra) {
        List<String> args = new ArrayList<>(List.of("--org", ORG));
        args.addAll(topicArgs(topic));
        args.addAll(List.of(extra));
        UnlinkKeyCommand command = new UnlinkKeyCommand();
        command.clock = Clock.fixed(NOW.plusSeconds(60), ZoneOffset.UTC);
        return CommandRun.of(command, args.toArray(String[]::new));
    }

    private static CommandRun verify(String arn, String... extra) {
        List<String> args = new ArrayList<>(List.of("--dry-run", "--verify", "--kms-endpoint"));
        args.add(kms.endpoint().toString());
        args.addAll(List.of(extra));
        return link(null, arn, args.toArray(String[]::new));
    }

    private static List<ConsumerRecord<byte[], byte[]>> records(String topic) {
        return Topics.readAll(kafka.bootstrapServers(), topic, true, Duration.ofSeconds(20));
    }

    private static List<KeyChangeEvent> events(String topic) throws InvalidKeyLinkException {
        List<KeyChangeEvent> events = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : records(topic)) {
            events.add(KeyChangeEvent.fromBytes(record.value()));
        }
        return events;
    }

    /** Produces an event signed with the private key of {@code publicKey}. */
    private static void produceSigned(String topic, KeyChangeEvent event) throws Exception {
        PrivateKey key = KeyChangeSignatures.readPrivateKey(signingKey);
        produce(topic, KeyChangeSignatures.sign(event, key).toBytes());
    }

    private static void produce(String topic, byte[] value) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            producer.send(new ProducerRecord<>(topic, ORG.getBytes(StandardCharsets.UTF_8), value))
                    .get();
        }
    }

    private static String published(
            String change, long version, String arn, String topic, long offset) {
        String key =
                arn == null
                        ? "\"key_name\":null,\"key_arn\":null,\"region\":null,"
                        : "\"key_name\":\"prod\",\"key_arn\":\""
                                + arn
                                + "\",\"region\":\""
                                + arn.split(":")[3]
                                + "\",";
        Instant changedAt = arn == null ? NOW.plusSeconds(60) : NOW;
        return "{\"org_id\":\"acme\",\"change\":\""
                + change
                + "\",\"version\":"
                + version
                + ","
                + key
                + "\"changed_at\":\""
                + changedAt
                + "\",\"allow_account_change\":false,\"dry_run\":false,\"topic\":\""
                + topic
                + "\",\"partition\":0,\"offset\":"
                + offset
                + "}"
                + System.lineSeparator();
    }

    /** Creates a key in the org's account whose policy allows the platform what the job needs. */
    private static String orgKey(boolean orgCondition, boolean purposeCondition) {
        String arn = kms.createKey(ORG_ACCOUNT, REGION);
        grantPlatform(arn, orgCondition, purposeCondition);
        kms.setKeyRotationEnabled(arn, true);
        return arn;
    }

    private static void grantPlatform(String arn, boolean orgCondition, boolean purposeCondition) {
        kms.policy(arn)
                .allow(PLATFORM, CRYPTO)
                .allow(PLATFORM, KmsAction.DESCRIBE_KEY, KmsAction.GET_KEY_ROTATION_STATUS);
        if (orgCondition) {
            kms.policy(arn).denyUnlessEncryptionContext(PLATFORM, "org_id", ORG, CRYPTO);
        }
        if (purposeCondition) {
            kms.policy(arn)
                    .denyUnlessEncryptionContext(PLATFORM, "purpose", "cmek-flink/v1", CRYPTO);
        }
    }

    @Test
    void versionsFollowTheTopic() throws Exception {
        String topic = newTopic();

        CommandRun first = link(topic, ARN_A);
        CommandRun second = link(topic, ARN_A2);
        CommandRun third = unlink(topic);

        assertThat(first.exitCode()).isZero();
        assertThat(first.stderr()).isEmpty();
        assertThat(first.stdout()).isEqualTo(published("LINKED", 1, ARN_A, topic, 0));
        assertThat(second.exitCode()).isZero();
        assertThat(second.stdout()).isEqualTo(published("LINKED", 2, ARN_A2, topic, 1));
        assertThat(third.exitCode()).isZero();
        assertThat(third.stderr()).isEmpty();
        assertThat(third.stdout()).isEqualTo(published("UNLINKED", 3, null, topic, 2));
    }

    @Test
    void publishedEventsVerifyAndCarryTheLink() throws Exception {
        String topic = newTopic();
        assertThat(link(topic, ARN_A, "--description", "production key").exitCode()).isZero();
        assertThat(unlink(topic).exitCode()).isZero();

        List<ConsumerRecord<byte[], byte[]>> records = records(topic);
        List<KeyChangeEvent> events = events(topic);
        KeyChangeSignatures signatures = KeyChangeSignatures.fromPublicKeyFiles(List.of(publicKey));

        assertThat(records).hasSize(2);
        for (ConsumerRecord<byte[], byte[]> record : records) {
            assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo(ORG);
        }
        KeyChangeEvent linked = events.get(0);
        assertThat(signatures.verifies(linked)).isTrue();
        assertThat(linked.signature()).hasSize(64);
        assertThat(linked.orgId()).isEqualTo(ORG);
        assertThat(linked.change()).isEqualTo(KeyChangeEvent.LINKED);
        assertThat(linked.keyName()).isEqualTo("prod");
        assertThat(linked.keyArn()).isEqualTo(ARN_A);
        assertThat(linked.region()).isEqualTo(REGION);
        assertThat(linked.description()).isEqualTo("production key");
        assertThat(linked.version()).isEqualTo(1);
        assertThat(linked.changedAt()).isEqualTo(NOW.toEpochMilli());
        assertThat(linked.allowAccountChange()).isFalse();
        KeyChangeEvent unlinked = events.get(1);
        assertThat(signatures.verifies(unlinked)).isTrue();
        assertThat(unlinked.change()).isEqualTo(KeyChangeEvent.UNLINKED);
        assertThat(unlinked.version()).isEqualTo(2);
        assertThat(unlinked.keyArn()).isNull();
        assertThat(unlinked.changedAt()).isEqualTo(NOW.plusSeconds(60).toEpochMilli());
        assertThat(KeyChangeSignatures.fromPublicKeyFiles(List.of(otherPublicKey)).verifies(linked))
                .isFalse();
    }

    @Test
    void otherAccountNeedsAllowAccountChange() throws Exception {
        String topic = newTopic();
        assertThat(link(topic, ARN_A).exitCode()).isZero();

        CommandRun rejected = link(topic, ARN_B);

        assertThat(rejected.exitCode()).isEqualTo(2);
        assertThat(rejected.stdout()).isEmpty();
        assertThat(rejected.stderr())
                .isEqualTo(
                        "error: invalid key_arn '"
                                + ARN_B
                                + "': the keys of org acme are pinned to AWS account"
                                + " 111122223333, and this key is in account 444455556666; pass"
                                + " --allow-account-change to move the org to account"
                                + " 444455556666"
                                + System.lineSeparator());
        assertThat(records(topic)).hasSize(1);

        CommandRun moved = link(topic, ARN_B, "--allow-account-change");

        assertThat(moved.exitCode()).isZero();
        assertThat(moved.stdout()).contains("\"version\":2,", "\"allow_account_change\":true,");
        KeyChangeEvent event = events(topic).get(1);
        assertThat(event.allowAccountChange()).isTrue();
        assertThat(event.keyArn()).isEqualTo(ARN_B);

        CommandRun back = link(topic, ARN_A);

        assertThat(back.exitCode()).isEqualTo(2);
        assertThat(back.firstErrLine()).contains("pinned to AWS account 444455556666");
    }

    @Test
    void accountStaysPinnedAcrossUnlink() throws Exception {
        String topic = newTopic();
        assertThat(link(topic, ARN_A).exitCode()).isZero();
        assertThat(unlink(topic).exitCode()).isZero();

        CommandRun rejected = link(topic, ARN_B);

        assertThat(rejected.exitCode()).isEqualTo(2);
        assertThat(rejected.firstErrLine()).contains("pinned to AWS account 111122223333");
        assertThat(link(topic, ARN_A).stdout()).contains("\"version\":3,");
    }

    @Test
    void versionAtOrBelowCurrentIsStale() throws Exception {
        String topic = newTopic();
        assertThat(link(topic, ARN_A).exitCode()).isZero();

        CommandRun run = link(topic, ARN_A2, "--version", "1");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.stderr())
                .isEqualTo(
                        "error: invalid version '1': not above the org's current version 1, so"
                                + " the job would ignore the event as stale"
                                + System.lineSeparator());
        assertThat(records(topic)).hasSize(1);
    }

    @Test
    void versionJumpIsBounded() throws Exception {
        String topic = newTopic();

        CommandRun rejected = link(topic, ARN_A, "--version", "1001");
        CommandRun accepted = link(topic, ARN_A, "--version", "1000");

        assertThat(rejected.exitCode()).isEqualTo(2);
        assertThat(rejected.stderr())
                .isEqualTo(
                        "error: invalid version '1001': more than 1000 ahead of the current"
                                + " version 0"
                                + System.lineSeparator());
        assertThat(accepted.exitCode()).isZero();
        assertThat(events(topic)).extracting(KeyChangeEvent::version).containsExactly(1000L);
    }

    @Test
    void unlinkNeedsALinkedOrg() throws Exception {
        String topic = newTopic();

        CommandRun unknown = unlink(topic);

        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.stderr())
                .isEqualTo(
                        "error: org acme has no key-change events on topic "
                                + topic
                                + ", so there is no link to remove; check the org id and the"
                                + " topic"
                                + System.lineSeparator());

        assertThat(link(topic, ARN_A).exitCode()).isZero();
        assertThat(unlink(topic).exitCode()).isZero();
        CommandRun twice = unlink(topic);

        assertThat(twice.exitCode()).isEqualTo(2);
        assertThat(twice.firstErrLine())
                .isEqualTo(
                        "error: org acme is not linked: its latest event on topic "
                                + topic
                                + " (version 2) is UNLINKED");
        assertThat(records(topic)).hasSize(2);
    }

    @Test
    void unlinkVersionMustBeAboveLatest() throws Exception {
        String topic = newTopic();
        assertThat(link(topic, ARN_A).exitCode()).isZero();

        CommandRun stale = unlink(topic, "--version", "1");
        CommandRun jump = unlink(topic, "--version", "1002");

        assertThat(stale.exitCode()).isEqualTo(2);
        assertThat(stale.firstErrLine())
                .isEqualTo(
                        "error: invalid version '1': not above the org's latest version 1, so"
                                + " the job would ignore the event as stale");
        assertThat(jump.exitCode()).isEqualTo(2);
        assertThat(jump.firstErrLine())
                .isEqualTo(
                        "error: invalid version '1002': more than 1000 ahead of the current"
                                + " version 1");
    }

    @Test
    void garbageAndOtherOrgsAreSkippedWithAWarning() throws Exception {
        String topic = newTopic();
        produce(topic, "not an event".getBytes(StandardCharsets.UTF_8));
        produce(topic, KeyChangeEvent.linked("other", "k", ARN_A, REGION, null, 41, 1L).toBytes());

        CommandRun run = link(topic, ARN_A);

        assertThat(run.exitCode()).isZero();
        assertThat(run.stderr())
                .isEqualTo(
                        "warning: skipped 1 of 2 records of topic "
                                + topic
                                + " that are not key-change events"
                                + System.lineSeparator());
        assertThat(run.stdout()).isEqualTo(published("LINKED", 1, ARN_A, topic, 2));
    }

    @Test
    void eventsTheJobRejectsAreListed() throws Exception {
        String topic = newTopic();
        String usArn =
                "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        produceSigned(topic, KeyChangeEvent.linked(ORG, "us", usArn, "us-west-2", null, 1, 1L));

        CommandRun run = link(topic, ARN_A);

        assertThat(run.exitCode()).isZero();
        assertThat(run.errLines())
                .containsExactly(
                        "warning: the job's rules reject 1 events of org acme on topic "
                                + topic
                                + "; they are ignored:",
                        "warning:   version 1: invalid region 'us-west-2': outside geo EU, whose"
                                + " regions are [eu-central-1, eu-west-1]");
        assertThat(run.stdout()).contains("\"version\":1,");
    }

    @Test
    void unsignedEventsAreSkipped() throws Exception {
        String topic = newTopic();
        produce(topic, KeyChangeEvent.linked(ORG, "k", ARN_A, REGION, null, 5, 1L).toBytes());

        CommandRun run = link(topic, ARN_A);

        assertThat(run.exitCode()).isZero();
        assertThat(run.stderr())
                .isEqualTo(
                        "warning: skipped 1 events of org acme that no --public-key verifies"
                                + System.lineSeparator());
        assertThat(run.stdout()).contains("\"version\":1,");
    }

    @Test
    void forgedEventNeitherSetsVersionNorLink() throws Exception {
        String topic = newTopic();
        assertThat(link(topic, ARN_A).exitCode()).isZero();
        // Written by anyone who can write the topic, one version past the job's maximum jump.
        produce(topic, KeyChangeEvent.linked(ORG, "x", ARN_A, REGION, null, 1001, 0L).toBytes());

        CommandRun relink = link(topic, ARN_A2);

        assertThat(relink.exitCode()).isZero();
        assertThat(relink.stdout()).isEqualTo(published("LINKED", 2, ARN_A2, topic, 2));
        KeyLink jobLink = jobView(topic);
        assertThat(jobLink.keyArn).isEqualTo(ARN_A2);
        assertThat(jobLink.version).isEqualTo(2);
    }

    @Test
    void forgedEventDoesNotBlockUnlink() throws Exception {
        String topic = newTopic();
        assertThat(link(topic, ARN_A).exitCode()).isZero();
        produce(topic, KeyChangeEvent.linked(ORG, "x", ARN_A, REGION, null, 5000, 0L).toBytes());

        CommandRun unlink = unlink(topic);

        assertThat(unlink.exitCode()).isZero();
        assertThat(unlink.stdout()).isEqualTo(published("UNLINKED", 2, null, topic, 2));
        KeyLink jobLink = jobView(topic);
        assertThat(jobLink.linked).isFalse();
        assertThat(jobLink.version).isEqualTo(2);
    }

    @Test
    void publishingNeedsPublicKey() throws Exception {
        String topic = newTopic();
        String expected =
                "Missing required option: '--public-key=FILE' (only --dry-run runs without it):"
                        + " pass the job's key-changes.public-keys, so that events on the topic"
                        + " that the job rejects as unsigned or badly signed are not counted";
        List<String> linkArgs =
                new ArrayList<>(
                        List.of(
                                "--org",
                                ORG,
                                "--name",
                                "prod",
                                "--arn",
                                ARN_A,
                                "--region",
                                REGION,
                                "--geo",
                                "EU"));
        linkArgs.addAll(topicArgsWithoutPublicKey(topic));
        List<String> unlinkArgs = new ArrayList<>(List.of("--org", ORG));
        unlinkArgs.addAll(topicArgsWithoutPublicKey(topic));

        CommandRun link = CommandRun.of(new LinkKeyCommand(), linkArgs.toArray(String[]::new));
        CommandRun unlink =
                CommandRun.of(new UnlinkKeyCommand(), unlinkArgs.toArray(String[]::new));

        assertThat(link.exitCode()).isEqualTo(2);
        assertThat(link.stdout()).isEmpty();
        assertThat(link.firstErrLine()).isEqualTo(expected);
        assertThat(unlink.exitCode()).isEqualTo(2);
        assertThat(unlink.firstErrLine()).isEqualTo(expected);
        assertThat(records(topic)).isEmpty();
    }

    /** Applies the topic's events in offset order as the job does: signature first, then rules. */
    private static KeyLink jobView(String topic) {
        KeyChangeSignatures signatures = KeyChangeSignatures.fromPublicKeyFiles(List.of(publicKey));
        KeyLinkRules rules = new KeyLinkRules(Geo.parse("EU"), 1000);
        KeyLink current = null;
        for (ConsumerRecord<byte[], byte[]> record : records(topic)) {
            KeyChangeEvent event;
            try {
                event = KeyChangeEvent.fromBytes(record.value());
            } catch (InvalidKeyLinkException e) {
                continue;
            }
            if (signatures.verifies(event)
                    && rules.decide(current, event) instanceof KeyLinkRules.Applied applied) {
                current = applied.link();
            }
        }
        return current;
    }

    @Test
    void signingKeyMustMatchAPublicKey() throws Exception {
        String topic = newTopic();

        List<String> args =
                new ArrayList<>(
                        List.of(
                                "--org",
                                ORG,
                                "--name",
                                "prod",
                                "--arn",
                                ARN_A,
                                "--region",
                                REGION,
                                "--geo",
                                "EU"));
        args.addAll(topicArgsWithoutPublicKey(topic));
        args.addAll(List.of("--public-key", otherPublicKey.toString()));

        CommandRun run = CommandRun.of(new LinkKeyCommand(), args.toArray(String[]::new));

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.stderr())
                .isEqualTo(
                        "error: no --public-key verifies a signature of --signing-key "
                                + signingKey
                                + ", so the job would reject the event: sign with the private"
                                + " key of one of the job's public keys"
                                + System.lineSeparator());
        assertThat(records(topic)).isEmpty();
    }

    @Test
    void missingTopicIsReported() {
        CommandRun run = link("no-such-topic", ARN_A);

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.stderr())
                .isEqualTo(
                        "error: topic 'no-such-topic' does not exist on "
                                + kafka.bootstrapServers()
                                + "; check the topic name and the bootstrap servers"
                                + System.lineSeparator());
    }

    @Test
    void topicWithoutCompactionWarns() throws Exception {
        String topic = "key-changes-deleted-" + TOPICS.incrementAndGet();
        kafka.createTopics(1, List.of(topic));

        CommandRun run = link(topic, ARN_A);

        assertThat(run.exitCode()).isZero();
        assertThat(run.stderr())
                .isEqualTo(
                        "warning: topic "
                                + topic
                                + " has cleanup.policy=delete, expected compact: retention will"
                                + " delete links, and a job that starts without state will not"
                                + " see them"
                                + System.lineSeparator());
    }

    @Test
    void verifyPassesForKeyWithOrgCondition() throws Exception {
        String topic = newTopic();
        String arn = orgKey(true, true);

        CommandRun run = link(topic, arn, "--verify", "--kms-endpoint", kms.endpoint().toString());

        assertThat(run.exitCode()).isZero();
        assertThat(run.stderr())
                .isEqualTo(
                        "warning: key "
                                + arn
                                + " is a single-region key: a multi-region key (mrk-) replicated"
                                + " to both regions of geo EU [eu-central-1, eu-west-1] is"
                                + " recommended for disaster recovery"
                                + System.lineSeparator());
        JsonNode json = new ObjectMapper().readTree(run.stdout());
        assertThat(json.get("offset").asLong()).isZero();
        assertThat(json.get("verification").toString())
                .isEqualTo(
                        "{\"key_state\":\"Enabled\",\"key_spec\":\"SYMMETRIC_DEFAULT\","
                                + "\"key_usage\":\"ENCRYPT_DECRYPT\",\"multi_region\":false,"
                                + "\"regions\":[\"eu-west-1\"],\"rotation_enabled\":true,"
                                + "\"other_org_denied\":true,\"purpose_enforced\":true,"
                                + "\"warnings\":1}");
        assertThat(events(topic)).extracting(KeyChangeEvent::keyArn).containsExactly(arn);
    }

    @Test
    void pinnedAccountIsCheckedBeforeKms() throws Exception {
        String topic = newTopic();
        assertThat(link(topic, ARN_A).exitCode()).isZero();
        String arn = orgKey(true, true);
        long describeCalls = kms.callCount("DescribeKey");
        long dataKeyCalls = kms.callCount("GenerateDataKey");

        CommandRun run = link(topic, arn, "--verify", "--kms-endpoint", kms.endpoint().toString());

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.firstErrLine()).contains("pinned to AWS account 111122223333");
        assertThat(kms.callCount("DescribeKey")).isEqualTo(describeCalls);
        assertThat(kms.callCount("GenerateDataKey")).isEqualTo(dataKeyCalls);
    }

    @Test
    void verifyOfReplicatedMultiRegionKey() {
        String arn = kms.createMultiRegionKey(ORG_ACCOUNT, REGION, "acme prod");
        String replica = kms.replicateKey(arn, "eu-central-1");
        grantPlatform(arn, true, true);
        kms.setKeyRotationEnabled(arn, true);

        CommandRun run = verify(arn);
        CommandRun viaReplica = verify(replica);

        assertThat(run.exitCode()).isZero();
        assertThat(run.stderr()).isEmpty();
        assertThat(run.stdout())
                .contains("\"multi_region\":true,\"regions\":[\"eu-west-1\",\"eu-central-1\"],");
        assertThat(viaReplica.exitCode()).isEqualTo(2);
        assertThat(viaReplica.firstErrLine())
                .startsWith("error: DescribeKey of key " + replica + " failed with")
                .contains("AccessDeniedException")
                .endsWith(
                        "; the key policy must allow the platform role kms:DescribeKey"
                                + " (docs/key-policy.md)");
    }

    @Test
    void verifyRejectsDisabledKey() throws Exception {
        String topic = newTopic();
        String arn = orgKey(true, true);
        kms.disableKey(arn);

        CommandRun run = link(topic, arn, "--verify", "--kms-endpoint", kms.endpoint().toString());

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.stdout()).isEmpty();
        assertThat(run.stderr())
                .isEqualTo(
                        "error: key "
                                + arn
                                + " has key state Disabled, expected Enabled: enable the key, or"
                                + " cancel its deletion and enable it, before linking it"
                                + System.lineSeparator());
        assertThat(records(topic)).isEmpty();
    }

    @Test
    void verifyRejectsKeyThatServesOtherOrgs() throws Exception {
        String topic = newTopic();
        String arn = orgKey(false, true);

        CommandRun run = link(topic, arn, "--verify", "--kms-endpoint", kms.endpoint().toString());

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.stdout()).isEmpty();
        assertThat(run.stderr())
                .isEqualTo(
                        "error: key "
                                + arn
                                + " generated a data key for another org (encryption context"
                                + " {org_id=acme-probe, purpose=cmek-flink/v1}), so it could serve"
                                + " other orgs' data: its key policy must allow the platform role"
                                + " the cryptographic actions only under the condition"
                                + " StringEquals \"kms:EncryptionContext:org_id\": \"acme\""
                                + " (docs/key-policy.md)"
                                + System.lineSeparator());
        assertThat(records(topic)).isEmpty();
    }

    @Test
    void verifyWarnsForMissingPurposeConditionAndRotation() {
        String arn = orgKey(true, false);
        kms.setKeyRotationEnabled(arn, false);

        CommandRun run = verify(arn);

        assertThat(run.exitCode()).isZero();
        assertThat(run.errLines())
                .containsExactly(
                        "warning: automatic rotation is off for key "
                                + arn
                                + ": turn it on with aws kms enable-key-rotation --key-id "
                                + arn
                                + " (rotation keeps the key ARN, so the link stays valid)",
                        "warning: key "
                                + arn
                                + " generated a data key for org acme with purpose"
                                + " cmek-flink/probe: add the condition StringEquals"
                                + " \"kms:EncryptionContext:purpose\": \"cmek-flink/v1\" to its key"
                                + " policy (docs/key-policy.md)",
                        "warning: key "
                                + arn
                                + " is a single-region key: a multi-region key (mrk-) replicated"
                                + " to both regions of geo EU [eu-central-1, eu-west-1] is"
                                + " recommended for disaster recovery");
        assertThat(run.stdout())
                .contains(
                        "\"rotation_enabled\":false,\"other_org_denied\":true,"
                                + "\"purpose_enforced\":false,\"warnings\":3}");
    }

    @Test
    void verifyRejectsDeniedDataKey() {
        String arn = kms.createKey(ORG_ACCOUNT, REGION);
        kms.policy(arn).allow(PLATFORM, KmsAction.DESCRIBE_KEY, KmsAction.GET_KEY_ROTATION_STATUS);

        CommandRun run = verify(arn);

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.firstErrLine())
                .startsWith(
                        "error: GenerateDataKey with the encryption context {org_id=acme,"
                                + " purpose=cmek-flink/v1} of key "
                                + arn
                                + " failed with")
                .endsWith(
                        "; the key policy must allow the platform role kms:GenerateDataKey* under"
                                + " this context (docs/key-policy.md)");
    }
}
