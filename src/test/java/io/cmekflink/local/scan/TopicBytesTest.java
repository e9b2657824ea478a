package io.cmekflink.local.scan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.cmekflink.local.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Reads topics of an in-JVM broker that contain one committed, one aborted and one open
 * transaction, and checks exactly which records each isolation level returns and where the scanner
 * finds values.
 *
 * <p>Layout of topic {@code enc} (2 partitions) and {@code dlq} (1 partition):
 *
 * <ul>
 *   <li>committed transaction: enc-0@0 (value), enc-0@1 (key), enc-1@0 (header value), then a
 *       commit marker in each partition at enc-0@2 and enc-1@1
 *   <li>aborted transaction: enc-0@3, enc-0@4 (values), then an abort marker at enc-0@5
 *   <li>open transaction: enc-0@6 (value, base64), never committed while the test reads
 *   <li>non-transactional: dlq-0@0 (header key, no value)
 * </ul>
 */
class TopicBytesTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private static final String COMMITTED_VALUE = "committed-secret-value";
    private static final String COMMITTED_KEY = "committed-secret-key";
    private static final String COMMITTED_HEADER = "committed-secret-header";
    private static final String ABORTED_VALUE = "aborted-secret-value";
    private static final String OPEN_VALUE = "open-transaction-secret";
    private static final String HEADER_KEY = "header-key-secret";

    private static EmbeddedKafka kafka;
    private static KafkaProducer<byte[], byte[]> openProducer;
    private static PlaintextScanner scanner;

    @BeforeAll
    static void writeTopics() throws Exception {
        kafka = EmbeddedKafka.start(0);
        kafka.createTopics(2, List.of("enc"));
        kafka.createTopics(1, List.of("dlq", "empty"));
        scanner =
                PlaintextScanner.of(
                        List.of(
                                COMMITTED_VALUE,
                                COMMITTED_KEY,
                                COMMITTED_HEADER,
                                ABORTED_VALUE,
                                OPEN_VALUE,
                                HEADER_KEY));

        try (KafkaProducer<byte[], byte[]> producer = transactionalProducer("committed")) {
            producer.beginTransaction();
            producer.send(record(0, null, "x" + COMMITTED_VALUE));
            producer.send(record(0, COMMITTED_KEY, "plain"));
            ProducerRecord<byte[], byte[]> withHeader = record(1, null, "plain");
            withHeader.headers().add("h", utf8(COMMITTED_HEADER));
            producer.send(withHeader);
            producer.commitTransaction();
        }
        try (KafkaProducer<byte[], byte[]> producer = transactionalProducer("aborted")) {
            producer.beginTransaction();
            producer.send(record(0, null, ABORTED_VALUE));
            producer.send(record(0, null, "--" + ABORTED_VALUE));
            producer.flush();
            producer.abortTransaction();
        }
        openProducer = transactionalProducer("open");
        openProducer.beginTransaction();
        String base64 = Base64.getEncoder().encodeToString(utf8("ab" + OPEN_VALUE));
        openProducer.send(record(0, null, base64)).get();

        try (KafkaProducer<byte[], byte[]> producer = plainProducer()) {
            ProducerRecord<byte[], byte[]> deadLetter = new ProducerRecord<>("dlq", 0, null, null);
            deadLetter.headers().add(new RecordHeader(HEADER_KEY, (byte[]) null));
            producer.send(deadLetter).get();
        }
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (openProducer != null) {
            openProducer.close(Duration.ZERO);
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void readUncommittedSeesEveryTransaction() {
        Scan scan = scanner.newScan();
        TopicBytes.ReadSummary summary =
                TopicBytes.read(
                        kafka.clientProperties(),
                        List.of("enc", "dlq"),
                        IsolationLevel.READ_UNCOMMITTED,
                        TIMEOUT,
                        scan);
        assertThat(summary.records()).isEqualTo(7);
        assertThat(summary.recordsPerTopic())
                .containsExactly(Map.entry("enc", 6L), Map.entry("dlq", 1L));

        ScanResult result = scan.result();
        assertThat(result.hits())
                .extracting(Hit::source, Hit::valueIndex, Hit::form, Hit::offset)
                .containsExactlyInAnyOrder(
                        tuple("enc-0@0/value", 0, Form.RAW, 1L),
                        tuple("enc-0@1/key", 1, Form.RAW, 0L),
                        tuple("enc-1@0/header/0/value", 2, Form.RAW, 0L),
                        tuple("enc-0@3/value", 3, Form.RAW, 0L),
                        tuple("enc-0@4/value", 3, Form.RAW, 2L),
                        tuple("enc-0@6/value", 4, Form.BASE64, 3L),
                        tuple("dlq-0@0/header/0/key", 5, Form.RAW, 0L));
        assertThat(result.hitCount()).isEqualTo(7);
    }

    @Test
    void readCommittedSeesOnlyCommitted() {
        Scan scan = scanner.newScan();
        TopicBytes.ReadSummary summary =
                TopicBytes.read(
                        kafka.clientProperties(),
                        List.of("enc", "dlq"),
                        IsolationLevel.READ_COMMITTED,
                        TIMEOUT,
                        scan);
        assertThat(summary.records()).isEqualTo(4);
        assertThat(summary.recordsPerTopic())
                .containsExactly(Map.entry("enc", 3L), Map.entry("dlq", 1L));

        ScanResult result = scan.result();
        assertThat(result.hits())
                .extracting(Hit::source)
                .containsExactlyInAnyOrder(
                        "enc-0@0/value",
                        "enc-0@1/key",
                        "enc-1@0/header/0/value",
                        "dlq-0@0/header/0/key");
        assertThat(result.hitCount()).isEqualTo(4);
    }

    @Test
    void bytesCountKeysValuesAndHeaders() {
        Scan scan = scanner.newScan();
        TopicBytes.ReadSummary summary =
                TopicBytes.read(
                        kafka.clientProperties(),
                        List.of("dlq"),
                        IsolationLevel.READ_UNCOMMITTED,
                        TIMEOUT,
                        scan);
        assertThat(summary.records()).isEqualTo(1);
        assertThat(summary.bytes()).isEqualTo(HEADER_KEY.length());
        assertThat(scan.result().sourceCount()).isEqualTo(1);
    }

    @Test
    void emptyTopicReadsNothing() {
        Scan scan = scanner.newScan();
        TopicBytes.ReadSummary summary =
                TopicBytes.read(
                        kafka.clientProperties(),
                        List.of("empty"),
                        IsolationLevel.READ_UNCOMMITTED,
                        TIMEOUT,
                        scan);
        assertThat(summary.records()).isZero();
        assertThat(summary.recordsPerTopic()).containsExactly(Map.entry("empty", 0L));
    }

    @Test
    void groupIdIgnored() {
        Properties props = kafka.clientProperties();
        props.put("group.id", "must-not-be-used");
        Scan scan = scanner.newScan();
        TopicBytes.ReadSummary summary =
                TopicBytes.read(
                        props, List.of("dlq"), IsolationLevel.READ_COMMITTED, TIMEOUT, scan);
        assertThat(summary.records()).isEqualTo(1);
    }

    @Test
    void missingTopicRejected() {
        Scan scan = scanner.newScan();
        assertThatThrownBy(
                        () ->
                                TopicBytes.read(
                                        kafka.clientProperties(),
                                        List.of("enc", "no-such-topic"),
                                        IsolationLevel.READ_UNCOMMITTED,
                                        Duration.ofSeconds(5),
                                        scan))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Topic no-such-topic not found; create it or fix the topic name");
    }

    private static KafkaProducer<byte[], byte[]> transactionalProducer(String id) {
        Properties props = kafka.clientProperties();
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "topic-bytes-test-" + id);
        KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
        producer.initTransactions();
        return producer;
    }

    private static KafkaProducer<byte[], byte[]> plainProducer() {
        return new KafkaProducer<>(
                kafka.clientProperties(), new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static ProducerRecord<byte[], byte[]> record(int partition, String key, String value) {
        return new ProducerRecord<>("enc", partition, key == null ? null : utf8(key), utf8(value));
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
