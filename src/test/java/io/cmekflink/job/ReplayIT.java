package io.cmekflink.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.cmekflink.config.JobConfig;
import io.cmekflink.crypto.Decrypter;
import io.cmekflink.crypto.RecordOpener;
import io.cmekflink.deadletter.DeadLetter;
import io.cmekflink.deadletter.ErrorCode;
import io.cmekflink.deadletter.PayloadKind;
import io.cmekflink.deadletter.report.CommittedTopicReader;
import io.cmekflink.deadletter.report.DeadLetterFilter;
import io.cmekflink.link.KeyChangeEvent;
import io.cmekflink.local.EmbeddedKafka;
import io.cmekflink.local.Topics;
import io.cmekflink.local.demo.GeneratedKongEntry;
import io.cmekflink.local.demo.KongLogGenerator;
import io.cmekflink.local.kms.KmsEmulator;
import io.cmekflink.schema.DerivedSchemaRegistry;
import io.cmekflink.testing.JobHarness;
import io.cmekflink.testing.TestAws;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * Sealed dead letters and their replay, on the mini cluster, the in-JVM broker and the KMS emulator
 * through the real SDK: encrypt-side dead letters keep their input sealed under the platform key
 * and replay with their record id once the org links its key; decrypt-side dead letters replay into
 * the encrypted topic once the key is enabled again; dropped payloads are refused.
 */
class ReplayIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    private static EmbeddedKafka kafka;
    private static KmsEmulator kms;
    private static KmsClient kmsClient;
    private static Schema schema;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start(0);
        kms = KmsEmulator.start(0);
        TestAws.useEmulatorCredentials();
        kmsClient = TestAws.syncClient(kms, TestAws.REGION);
        schema = new Schema.Parser().parse(new java.io.File("schemas/kong-log-entry.avsc"));
    }

    @AfterAll
    static void stop() throws Exception {
        kmsClient.close();
        kms.close();
        kafka.close();
    }

    private static byte[] avro(GenericRecord record) throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(record.getSchema(), GenericData.get())
                .write(record, encoder);
        encoder.flush();
        return out.toByteArray();
    }

    private static List<DeadLetter> letters(String topic) throws Exception {
        List<DeadLetter> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r :
                Topics.readAll(kafka.bootstrapServers(), topic, true, TIMEOUT)) {
            out.add(DeadLetter.fromBytes(r.value()));
        }
        return out;
    }

    private static Replayer.Summary replay(JobConfig config, StringWriter log) {
        Replayer replayer =
                new Replayer(
                        config,
                        DeadLetterFilter.all(),
                        false,
                        Instant.now(),
                        new PrintWriter(log, true));
        new CommittedTopicReader(kafka.bootstrapServers(), TIMEOUT)
                .read(
                        config.get(io.cmekflink.config.JobOptions.DEAD_LETTERS_TOPIC),
                        replayer::accept);
        return replayer.finish(TIMEOUT);
    }

    @Test
    void sealedDeadLettersReplayWithTheirRecordId() throws Exception {
        JobHarness h = new JobHarness(kafka, "replay-encrypt");
        String platformKey = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
        String orgKey = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
        JobConfig config =
                h.config(
                        kms.endpoint().toString(),
                        "avro",
                        "link.wait: 2s\ndead-letters.platform-key-arn: \"" + platformKey + "\"\n");
        Map<Long, GenericRecord> sent = new HashMap<>();
        List<String> sensitive = new ArrayList<>();
        JobClient job;
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            h.publish(
                    producer,
                    KeyChangeEvent.linked("org-u", "k", orgKey, "eu-west-1", null, 1, 1L));
            h.publish(producer, KeyChangeEvent.unlinked("org-u", 2, 2L));
            job = JobHarness.start(config);
            for (GeneratedKongEntry entry :
                    new KongLogGenerator(schema, List.of("org-p"), 41).next(3)) {
                long offset = h.send(producer, 0, "org-p", avro(entry.record())).offset();
                sent.put(offset, entry.record());
                sensitive.addAll(entry.sensitiveValues());
            }
            GeneratedKongEntry unlinked = new KongLogGenerator(schema, List.of("org-u"), 42).next();
            h.send(producer, 0, "org-u", avro(unlinked.record()));
            sensitive.addAll(unlinked.sensitiveValues());
        }
        Topics.readUntil(kafka.bootstrapServers(), h.deadLetters(), r -> r.size() >= 4, TIMEOUT);
        h.awaitCommitted(config, TIMEOUT);
        job.cancel().get();

        List<DeadLetter> letters = letters(h.deadLetters());
        assertThat(letters).hasSize(4);
        for (DeadLetter letter : letters) {
            if (letter.orgId().equals("org-p")) {
                assertThat(letter.errorCode()).isEqualTo(ErrorCode.NO_KEY_LINKED);
                assertThat(letter.payloadKind()).isEqualTo(PayloadKind.SEALED);
                assertThat(letter.retainUntil()).isGreaterThan(System.currentTimeMillis());
            } else {
                assertThat(letter.errorCode()).isEqualTo(ErrorCode.KEY_UNLINKED);
                assertThat(letter.payloadKind()).isEqualTo(PayloadKind.DROPPED);
            }
        }
        // The sealed payloads keep no sensitive value readable.
        h.assertNoPlaintext(sensitive, List.of(h.deadLetters()), TIMEOUT);

        // The org links its key; the replay feeds the sealed records back, the dropped one not.
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            h.publish(
                    producer,
                    KeyChangeEvent.linked("org-p", "k", orgKey, "eu-west-1", null, 1, 3L));
        }
        StringWriter log = new StringWriter();
        Replayer.Summary summary = replay(config, log);
        assertThat(summary.replayed()).isEqualTo(3);
        assertThat(summary.refusedDropped()).isEqualTo(1);
        assertThat(log.toString()).contains("(KEY_UNLINKED): its payload was dropped");

        JobClient again = JobHarness.start(config);
        List<ConsumerRecord<byte[], byte[]>> encrypted =
                Topics.readUntil(
                        kafka.bootstrapServers(), h.encrypted(), r -> r.size() >= 3, TIMEOUT);
        again.cancel().get();
        assertThat(encrypted).hasSize(3);
        DerivedSchemaRegistry registry = new DerivedSchemaRegistry();
        registry.register(JobSchemas.of(config).derived(0));
        RecordOpener opener = RecordOpener.create(registry);
        Decrypter decrypter = new Decrypter(registry, region -> kmsClient);
        for (ConsumerRecord<byte[], byte[]> r : encrypted) {
            var envelope = RecordOpener.envelopeOf(opener.decode(r.value()));
            // The record id is the position of the first attempt, not of the replay.
            assertThat(envelope.recordId().topic()).isEqualTo(h.records());
            long offset = envelope.recordId().offset();
            assertThat(sent).containsKey(offset);
            assertThat(decrypter.decrypt(r.value()).equals(sent.get(offset)))
                    .as("replayed record " + offset + " decrypts to what was sent")
                    .isTrue();
        }
    }

    @Test
    void decryptDeadLettersReplayIntoTheEncryptedTopic() throws Exception {
        JobHarness h = new JobHarness(kafka, "replay-decrypt");
        String key = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
        JobConfig encrypt = h.config(kms.endpoint().toString(), "avro", "");
        JobClient job;
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            h.publish(producer, KeyChangeEvent.linked("org-d", "k", key, "eu-west-1", null, 1, 1L));
            job = JobHarness.start(encrypt);
            for (GeneratedKongEntry entry :
                    new KongLogGenerator(schema, List.of("org-d"), 51).next(4)) {
                h.send(producer, 0, "org-d", avro(entry.record()));
            }
        }
        Topics.readUntil(kafka.bootstrapServers(), h.encrypted(), r -> r.size() >= 4, TIMEOUT);
        job.cancel().get();

        kms.disableKey(key);
        // Without remembered refusals, so that the replay right after the key is enabled again
        // reaches KMS instead of the remembered KEY_DISABLED.
        JobConfig decrypt =
                h.decryptConfig(kms.endpoint().toString(), h.encrypted(), "dek.failure-ttl: 0s");
        JobClient decryptJob = JobHarness.start(decrypt);
        Topics.readUntil(
                kafka.bootstrapServers(),
                h.deadLetters() + "-decrypt",
                r -> r.size() >= 4,
                TIMEOUT);
        List<DeadLetter> letters = letters(h.deadLetters() + "-decrypt");
        assertThat(letters).extracting(DeadLetter::errorCode).containsOnly(ErrorCode.KEY_DISABLED);
        assertThat(letters)
                .extracting(DeadLetter::payloadKind)
                .containsOnly(PayloadKind.ENCRYPTED_RECORD);

        kms.enableKey(key);
        Replayer.Summary summary = replay(decrypt, new StringWriter());
        assertThat(summary.replayed()).isEqualTo(4);
        List<ConsumerRecord<byte[], byte[]>> plaintext =
                Topics.readUntil(
                        kafka.bootstrapServers(), h.plaintext(), r -> r.size() >= 4, TIMEOUT);
        decryptJob.cancel().get();
        assertThat(plaintext).hasSize(4);
    }
}
