package io.cmekflink.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

class EmbeddedKafkaTest {

    @Test
    void ephemeralPortBrokerListensOnLoopback() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(0)) {
            assertThat(kafka.bootstrapServers()).matches("127\\.0\\.0\\.1:[1-9][0-9]*");
            assertThat(roundTrip(kafka)).isEqualTo("v");
        }
    }

    @Test
    void fixedPortBrokerRoundTripsOneRecord() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        try (EmbeddedKafka kafka = EmbeddedKafka.start(port)) {
            assertThat(kafka.bootstrapServers()).isEqualTo("127.0.0.1:" + port);
            assertThat(roundTrip(kafka)).isEqualTo("v");
        }
    }

    private static String roundTrip(EmbeddedKafka kafka) throws Exception {
        kafka.createTopics(1, List.of("t"));
        Properties props = kafka.clientProperties();
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>("t", "v".getBytes(StandardCharsets.UTF_8))).get();
        }
        props.put("group.id", "g");
        props.put("auto.offset.reset", "earliest");
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(
                        props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of("t"));
            ConsumerRecords<byte[], byte[]> records = ConsumerRecords.empty();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (records.isEmpty() && System.nanoTime() < deadline) {
                records = consumer.poll(Duration.ofMillis(200));
            }
            assertThat(records.count()).isEqualTo(1);
            return new String(records.iterator().next().value(), StandardCharsets.UTF_8);
        }
    }
}
