package io.cmekflink.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cmekflink.config.JobConfig;
import io.cmekflink.config.JobOptions;
import io.cmekflink.deadletter.DeadLetter;
import io.cmekflink.deadletter.ErrorCode;
import io.cmekflink.deadletter.PayloadKind;
import io.cmekflink.deadletter.Stage;
import io.cmekflink.deadletter.report.CommittedTopicReader;
import io.cmekflink.deadletter.report.DeadLetterFilter;
import io.cmekflink.local.EmbeddedKafka;
import io.cmekflink.local.Topics;
import io.cmekflink.testing.JobHarness;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Replays decrypt-stage dead letters, whose payload is the encrypted record, into the encrypted
 * topic of a decrypt job definition: no KMS call and no Flink job are needed.
 */
class ReplayerTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final Instant NOW = Instant.parse("2025-03-01T10:00:00Z");

    private static EmbeddedKafka kafka;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start(0);
    }

    @AfterAll
    static void stop() throws Exception {
        kafka.close();
    }

    /** A decrypt job definition whose dead-letter topic is still empty. */
    private static JobConfig decryptJob(String name) throws Exception {
        JobHarness harness = new JobHarness(kafka, name);
        JobConfig config = harness.decryptConfig("http://127.0.0.1:9", harness.encrypted(), "");
        harness.awaitTopics(TIMEOUT);
        return config;
    }

    /**
     * Writes a KEY_DISABLED dead letter to partition 0, with an encrypted record ending in {@code
     * marker} as its payload.
     */
    private static void deadLetter(JobConfig config, int marker) throws Exception {
        byte[] encryptedRecord = {(byte) 0xC3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, (byte) marker};
        DeadLetter letter =
                DeadLetter.builder(
                                Stage.DECRYPT,
                                ErrorCode.KEY_DISABLED,
                                config.get(JobOptions.RECORDS_TOPIC),
                                0,
                                marker,
                                1L)
                        .orgId("org-d")
                        .message("key disabled")
                        .payload(PayloadKind.ENCRYPTED_RECORD, encryptedRecord, null)
                        .build();
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            producer.send(
                            new ProducerRecord<>(
                                    config.get(JobOptions.DEAD_LETTERS_TOPIC),
                                    0,
                                    null,
                                    letter.toBytes()))
                    .get();
        }
    }

    private static Replayer replayer(JobConfig config, boolean dryRun, StringWriter log) {
        Replayer replayer =
                new Replayer(config, DeadLetterFilter.all(), dryRun, NOW, new PrintWriter(log));
        new CommittedTopicReader(kafka.bootstrapServers(), TIMEOUT)
                .read(config.get(JobOptions.DEAD_LETTERS_TOPIC), replayer::accept);
        return replayer;
    }

    private static Replayer.Summary replay(JobConfig config) {
        return replayer(config, false, new StringWriter()).finish(TIMEOUT);
    }

    /** Returns the last byte of each committed record of the encrypted topic, in offset order. */
    private static List<Integer> replayedMarkers(JobConfig config) {
        List<Integer> markers = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record :
                Topics.readAll(
                        kafka.bootstrapServers(),
                        config.get(JobOptions.RECORDS_TOPIC),
                        true,
                        TIMEOUT)) {
            markers.add((int) record.value()[record.value().length - 1]);
        }
        markers.sort(Integer::compare);
        return markers;
    }

    private static List<String> replayLogKeys(JobConfig config) {
        List<String> keys = new ArrayList<>();
        String topic = config.get(JobOptions.DEAD_LETTERS_TOPIC) + "-replayed";
        for (ConsumerRecord<byte[], byte[]> record :
                Topics.readAll(kafka.bootstrapServers(), topic, true, TIMEOUT)) {
            keys.add(new String(record.key(), StandardCharsets.UTF_8));
        }
        return keys;
    }

    @Test
    void secondReplayWritesNothing() throws Exception {
        JobConfig config = decryptJob("replay-twice");
        deadLetter(config, 41);
        deadLetter(config, 42);

        Replayer.Summary first = replay(config);
        Replayer.Summary second = replay(config);

        assertThat(first.replayed()).isEqualTo(2);
        assertThat(first.alreadyReplayed()).isZero();
        assertThat(second.replayed()).isZero();
        assertThat(second.alreadyReplayed()).isEqualTo(2);
        assertThat(replayedMarkers(config)).containsExactly(41, 42);
        String deadLetters = config.get(JobOptions.DEAD_LETTERS_TOPIC);
        assertThat(replayLogKeys(config))
                .containsExactly(deadLetters + "/0/0", deadLetters + "/0/1");
    }

    @Test
    void laterReplayTakesOnlyNewDeadLetters() throws Exception {
        JobConfig config = decryptJob("replay-new");
        deadLetter(config, 41);
        assertThat(replay(config).replayed()).isEqualTo(1);
        deadLetter(config, 43);

        Replayer.Summary second = replay(config);

        assertThat(second.replayed()).isEqualTo(1);
        assertThat(second.alreadyReplayed()).isEqualTo(1);
        assertThat(replayedMarkers(config)).containsExactly(41, 43);
    }

    @Test
    void dryRunCountsAlreadyReplayed() throws Exception {
        JobConfig config = decryptJob("replay-dry");
        deadLetter(config, 41);
        StringWriter before = new StringWriter();
        Replayer.Summary firstDryRun = replayer(config, true, before).finish(TIMEOUT);
        assertThat(replay(config).replayed()).isEqualTo(1);
        deadLetter(config, 42);
        StringWriter after = new StringWriter();

        Replayer.Summary dryRun = replayer(config, true, after).finish(TIMEOUT);

        assertThat(firstDryRun.replayed()).isEqualTo(1);
        assertThat(firstDryRun.alreadyReplayed()).isZero();
        assertThat(dryRun.replayed()).isEqualTo(1);
        assertThat(dryRun.alreadyReplayed()).isEqualTo(1);
        assertThat(after.toString())
                .isEqualTo(
                        "skipped "
                                + config.get(JobOptions.DEAD_LETTERS_TOPIC)
                                + "/0/0: an earlier replay re-published it"
                                + System.lineSeparator());
        assertThat(replayedMarkers(config)).containsExactly(41);
    }

    @Test
    void replayFailedBeforeCommitRunsAgain() throws Exception {
        JobConfig config = decryptJob("replay-interrupted");
        deadLetter(config, 41);
        Replayer interrupted = replayer(config, false, new StringWriter());
        interrupted.beforeCommit =
                () -> {
                    throw new IllegalStateException("stopped before the commit");
                };

        assertThatThrownBy(() -> interrupted.finish(TIMEOUT))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("stopped before the commit");
        assertThat(replayedMarkers(config)).isEmpty();
        Replayer.Summary again = replay(config);

        assertThat(again.replayed()).isEqualTo(1);
        assertThat(again.alreadyReplayed()).isZero();
        assertThat(replayedMarkers(config)).containsExactly(41);
        assertThat(replayLogKeys(config)).hasSize(1);
    }

    /**
     * A process that dies between its sends and its commit leaves its transaction open: it stays
     * invisible to read_committed readers and holds back their last stable offset until the next
     * replay aborts it.
     */
    @Test
    void replayCrashedBeforeCommitRunsAgain() throws Exception {
        JobConfig config = decryptJob("replay-crashed");
        deadLetter(config, 41);
        Replayer crashed = replayer(config, false, new StringWriter());
        crashed.beforeCommit =
                () -> {
                    throw new IllegalStateException("stopped before the commit");
                };
        assertThatThrownBy(() -> crashed.finish(TIMEOUT)).isInstanceOf(IllegalStateException.class);
        ReplayLog log =
                new ReplayLog(
                        config.get(JobOptions.DEAD_LETTERS_TOPIC),
                        config.bootstrapServers(),
                        config.kafkaProperties());
        leaveOpenTransaction(config, log);
        // The aborted entry is at offset 0 and its abort marker at 1, the open entry at 2.
        assertThat(endOffset(log.topic(), "read_committed")).isEqualTo(2);
        assertThat(endOffset(log.topic(), "read_uncommitted")).isEqualTo(3);

        Replayer.Summary again = replay(config);

        assertThat(again.replayed()).isEqualTo(1);
        assertThat(replayedMarkers(config)).containsExactly(41);
        assertThat(replayLogKeys(config)).hasSize(1);
    }

    private static long endOffset(String topic, String isolationLevel) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolationLevel);
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(
                        props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition partition = new TopicPartition(topic, 0);
            return consumer.endOffsets(List.of(partition), TIMEOUT).get(partition);
        }
    }

    /** Sends a replayed record and its log entry under the replay's id, and never commits. */
    private static void leaveOpenTransaction(JobConfig config, ReplayLog log) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, log.transactionalId());
        KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
        producer.initTransactions();
        producer.beginTransaction();
        byte[] copy = {(byte) 0xC3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 41};
        producer.send(new ProducerRecord<>(config.get(JobOptions.RECORDS_TOPIC), copy));
        String key = ReplayLog.key(config.get(JobOptions.DEAD_LETTERS_TOPIC), 0, 0);
        producer.send(log.entry(key, config.get(JobOptions.RECORDS_TOPIC), NOW));
        producer.flush();
        // A zero timeout closes without ending the transaction, as a killed process would.
        producer.close(Duration.ZERO);
    }
}
