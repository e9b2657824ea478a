package io.cmekflink.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.cmekflink.deadletter.DeadLetter;
import io.cmekflink.deadletter.ErrorCode;
import io.cmekflink.ingest.ValueFormat;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A service's sign-up events pass through the encrypt job: the example of the testing guide. */
class ExampleServiceIT {

    private static final Schema SIGNUP =
            new Schema.Parser()
                    .parse(
                            """
                            {"type": "record", "name": "Signup", "namespace": "com.example",
                             "fields": [
                               {"name": "org_id", "type": "string"},
                               {"name": "email", "type": "string", "sensitive": true},
                               {"name": "plan", "type": "string"}]}
                            """);

    @RegisterExtension
    static final CmekFlinkExtension CMEK =
            CmekFlinkExtension.builder()
                    .linkOrgs("org-a", "org-b")
                    .schema(SIGNUP)
                    .format(ValueFormat.AVRO)
                    .build();

    @Test
    void signupsAreEncryptedPerOrg() throws Exception {
        List<GenericRecord> linked =
                List.of(
                        signup("org-a", "ana@example.com", "free"),
                        signup("org-a", "abe@example.com", "team"),
                        signup("org-b", "bo@example.com", "enterprise"));
        GenericRecord unlinked = signup("org-c", "cy@example.com", "free");

        // The service under test writes here; a plain producer stands in for it.
        try (KafkaProducer<byte[], byte[]> service = producer(CMEK.bootstrapServers())) {
            for (GenericRecord signup : linked) {
                send(service, signup);
            }
            send(service, unlinked);
        }

        JobOutput output = CMEK.reader().awaitOutput(linked.size() + 1, Duration.ofMinutes(2));

        // Every record of a linked org decrypts to exactly what was sent. Records of different
        // orgs may come out in any order: the job keeps the order of one org's records from one
        // partition only.
        assertThat(output.records()).containsExactlyInAnyOrderElementsOf(linked);
        // The stored bytes hold no e-mail address in clear.
        for (byte[] value : output.encryptedValues()) {
            assertThat(new String(value, StandardCharsets.ISO_8859_1)).doesNotContain("@example");
        }
        // Only the org without a key link got a dead letter, and it carries no plaintext.
        assertThat(output.deadLetters()).hasSize(1);
        DeadLetter letter = output.deadLetters().get(0);
        assertThat(letter.errorCode()).isEqualTo(ErrorCode.NO_KEY_LINKED);
        assertThat(letter.orgId()).isEqualTo("org-c");
        assertThat(letter.payload()).isNull();
    }

    private static GenericRecord signup(String org, String email, String plan) {
        GenericRecord record = new GenericData.Record(SIGNUP);
        record.put("org_id", org);
        record.put("email", email);
        record.put("plan", plan);
        return record;
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, GenericRecord signup)
            throws Exception {
        byte[] key = signup.get("org_id").toString().getBytes(StandardCharsets.UTF_8);
        byte[] value = CmekFlinkExtension.avroBinary(signup);
        producer.send(new ProducerRecord<>(CMEK.recordsTopic(), key, value)).get();
    }

    private static KafkaProducer<byte[], byte[]> producer(String bootstrapServers) {
        return new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers),
                new ByteArraySerializer(),
                new ByteArraySerializer());
    }
}
