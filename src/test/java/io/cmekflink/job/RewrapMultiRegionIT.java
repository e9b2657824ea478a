package io.cmekflink.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.cmekflink.config.JobConfig;
import io.cmekflink.crypto.Decrypter;
import io.cmekflink.crypto.EncryptionContext;
import io.cmekflink.crypto.RecordId;
import io.cmekflink.crypto.RecordOpener;
import io.cmekflink.crypto.RecordSealer;
import io.cmekflink.dek.Dek;
import io.cmekflink.local.EmbeddedKafka;
import io.cmekflink.local.Topics;
import io.cmekflink.local.demo.KongLogGenerator;
import io.cmekflink.local.kms.KmsEmulator;
import io.cmekflink.schema.DerivedSchemaRegistry;
import io.cmekflink.testing.JobHarness;
import io.cmekflink.testing.TestAws;
import java.io.File;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.DataKeySpec;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyResponse;

/**
 * Re-wraps an org linked to a multi-region key whose primary is in eu-central-1. The encrypt job in
 * eu-west-1 seals through the replica there and names it in the envelope. A job that fell back to
 * the linked region names the primary.
 */
class RewrapMultiRegionIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    private static final java.time.Duration TIMEOUT = java.time.Duration.ofSeconds(90);
    private static final String ORG = "org-m";

    @Test
    void rewrapFromPrimaryMovesReplicaRecords() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(0);
                KmsEmulator kms = KmsEmulator.start(0);
                KmsClient west = TestAws.syncClient(kms, "eu-west-1");
                KmsClient central = TestAws.syncClient(kms, "eu-central-1")) {
            TestAws.useEmulatorCredentials();
            String primary =
                    kms.createMultiRegionKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-central-1", "mrk");
            String replica = kms.replicateKey(primary, "eu-west-1");
            String otherPrimary =
                    kms.createMultiRegionKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-central-1", "other");
            String otherReplica = kms.replicateKey(otherPrimary, "eu-west-1");
            String newKey = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
            JobHarness h = new JobHarness(kafka, "rewrap-mrk");
            JobConfig encryptConfig = h.config(kms.endpoint().toString(), "avro", "");
            RecordSealer sealer = RecordSealer.create(JobSchemas.of(encryptConfig).derived(0));
            Schema schema = new Schema.Parser().parse(new File("schemas/kong-log-entry.avsc"));
            KongLogGenerator generator = new KongLogGenerator(schema, List.of(ORG), 300);
            h.awaitTopics(TIMEOUT);

            Map<Long, GenericRecord> inputs = new HashMap<>();
            try (KafkaProducer<byte[], byte[]> producer =
                    Topics.producer(kafka.bootstrapServers())) {
                Dek viaReplica = dataKey(west, replica);
                Dek viaPrimary = dataKey(central, primary);
                Dek otherKey = dataKey(west, otherReplica);
                Dek[] deks = {viaReplica, viaReplica, viaPrimary, otherKey};
                for (int offset = 0; offset < deks.length; offset++) {
                    GenericRecord input = generator.next().record();
                    inputs.put((long) offset, input);
                    byte[] value =
                            sealer.sealToBytes(
                                    input, ORG, new RecordId(h.records(), 0, offset), deks[offset]);
                    producer.send(new ProducerRecord<>(h.encrypted(), 0, null, value)).get();
                }
            }

            JobConfig rewrap =
                    h.rewrapConfig(kms.endpoint().toString(), ORG, primary, newKey, "rewrapped-m");
            JobHarness.start(rewrap).getJobExecutionResult().get();

            List<ConsumerRecord<byte[], byte[]>> moved =
                    Topics.readAll(kafka.bootstrapServers(), "rewrapped-m", true, TIMEOUT);
            int deadLetters =
                    Topics.readAll(
                                    kafka.bootstrapServers(),
                                    h.deadLetters() + "-rewrap",
                                    true,
                                    TIMEOUT)
                            .size();
            assertThat(deadLetters).isZero();
            assertThat(moved).hasSize(3);
            DerivedSchemaRegistry registry = new DerivedSchemaRegistry();
            registry.register(JobSchemas.of(encryptConfig).derived(0));
            RecordOpener opener = RecordOpener.create(registry);
            // The old key goes: the moved records decrypt under the new key alone.
            kms.disableKey(primary);
            kms.disableKey(replica);
            Decrypter decrypter = new Decrypter(registry, region -> west);
            for (ConsumerRecord<byte[], byte[]> record : moved) {
                var envelope = RecordOpener.envelopeOf(opener.decode(record.value()));
                long offset = envelope.recordId().offset();
                assertThat(offset).isBetween(0L, 2L);
                assertThat(envelope.keyArn()).isEqualTo(newKey);
                assertThat(decrypter.decrypt(record.value()).equals(inputs.get(offset)))
                        .as("re-wrapped record %d decrypts to what was sealed", offset)
                        .isTrue();
            }
        }
    }

    /** Generates a data key as the encrypt job does, under the org's encryption context. */
    private static Dek dataKey(KmsClient client, String keyArn) {
        GenerateDataKeyResponse key =
                client.generateDataKey(
                        r ->
                                r.keyId(keyArn)
                                        .keySpec(DataKeySpec.AES_256)
                                        .encryptionContext(EncryptionContext.of(ORG)));
        assertThat(key.keyId()).isEqualTo(keyArn);
        return Dek.takeOwnershipForEncryption(
                key.plaintext().asByteArray(), key.ciphertextBlob().asByteArray(), keyArn, 10, 7);
    }
}
