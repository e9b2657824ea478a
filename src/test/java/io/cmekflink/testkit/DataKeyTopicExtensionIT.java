package io.cmekflink.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.cmekflink.datakey.DataKeyEntry;
import io.cmekflink.local.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A job definition that sets {@code encryption.data-key-topic}: the extension creates the topic
 * compacted before the job starts, and the reader resolves the records' data-key references.
 */
class DataKeyTopicExtensionIT {

    private static final String DATA_KEY_TOPIC = "invoice-data-keys";
    private static final Duration TIMEOUT = Duration.ofMinutes(2);

    private static final Schema INVOICE =
            new Schema.Parser()
                    .parse(
                            """
                            {"type": "record", "name": "Invoice", "namespace": "com.example.billing",
                             "fields": [
                               {"name": "org_id", "type": "string"},
                               {"name": "billing_email", "type": "string", "sensitive": true},
                               {"name": "amount_cents", "type": "long"}]}
                            """);

    @RegisterExtension
    static final CmekFlinkExtension CMEK =
            CmekFlinkExtension.builder()
                    .linkOrgs("org-a")
                    .schema(INVOICE)
                    .option("encryption.data-key-topic", DATA_KEY_TOPIC)
                    .build();

    @Test
    void readerDecryptsReferencedRecords() throws Exception {
        List<GenericRecord> sent =
                List.of(
                        invoice("ana@example.com", 1200),
                        invoice("abe@example.com", 4500),
                        invoice("al@example.com", 99));
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(CMEK.bootstrapServers())) {
            for (GenericRecord invoice : sent) {
                byte[] key = "org-a".getBytes(StandardCharsets.UTF_8);
                producer.send(
                                new ProducerRecord<>(
                                        CMEK.recordsTopic(),
                                        key,
                                        CmekFlinkExtension.avroBinary(invoice)))
                        .get();
            }
        }

        JobOutput output = CMEK.reader().awaitOutput(sent.size(), TIMEOUT);

        assertThat(output.records()).containsExactlyInAnyOrderElementsOf(sent);
        assertThat(output.deadLetters()).isEmpty();
        // Records of format version 2 carry a reference in place of the key ARN and the EDEK.
        String keyArn = CMEK.keyArn("org-a");
        for (byte[] value : output.encryptedValues()) {
            assertThat(new String(value, StandardCharsets.ISO_8859_1)).doesNotContain(keyArn);
        }
        // The one DEK of the org is in the data-key topic, once.
        List<ConsumerRecord<byte[], byte[]>> entries =
                Topics.readAll(CMEK.bootstrapServers(), DATA_KEY_TOPIC, true, TIMEOUT);
        assertThat(entries).hasSize(1);
        DataKeyEntry entry = DataKeyEntry.decode(entries.get(0).value());
        assertThat(entry.orgId()).isEqualTo("org-a");
        assertThat(entry.keyArn()).isEqualTo(keyArn);
    }

    @Test
    void dataKeyTopicIsCompacted() throws Exception {
        assertThat(CMEK.dataKeyTopic()).isEqualTo(DATA_KEY_TOPIC);
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, DATA_KEY_TOPIC);
        try (Admin admin =
                Admin.create(
                        Map.of(
                                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                                CMEK.bootstrapServers()))) {
            Config config = admin.describeConfigs(List.of(resource)).all().get().get(resource);

            assertThat(config.get(TopicConfig.CLEANUP_POLICY_CONFIG).value())
                    .isEqualTo(TopicConfig.CLEANUP_POLICY_COMPACT);
        }
    }

    private static GenericRecord invoice(String billingEmail, long amountCents) {
        GenericRecord record = new GenericData.Record(INVOICE);
        record.put("org_id", "org-a");
        record.put("billing_email", billingEmail);
        record.put("amount_cents", amountCents);
        return record;
    }
}
