package io.cmekflink.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.cmekflink.config.JobConfig;
import io.cmekflink.crypto.Decrypter;
import io.cmekflink.crypto.RecordOpener;
import io.cmekflink.deadletter.DeadLetter;
import io.cmekflink.deadletter.ErrorCode;
import io.cmekflink.deadletter.PayloadKind;
import io.cmekflink.deadletter.Stage;
import io.cmekflink.link.KeyChangeEvent;
import io.cmekflink.local.EmbeddedKafka;
import io.cmekflink.local.Topics;
import io.cmekflink.local.demo.GeneratedKongEntry;
import io.cmekflink.local.demo.KongLogGenerator;
import io.cmekflink.local.kms.KmsEmulator;
import io.cmekflink.schema.DerivedSchemaRegistry;
import io.cmekflink.schema.SingleObjectEncoding;
import io.cmekflink.testing.JobHarness;
import io.cmekflink.testing.TestAws;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
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
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * The encrypt job on the Flink mini cluster, the in-JVM Kafka broker and the KMS emulator through
 * the real SDK client.
 */
class EncryptJobIT {

    private static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .setConfiguration(REPORTER.addToConfiguration(new Configuration()))
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

    @Test
    void encryptsLinkedOrgsAndDeadLettersTheRest() throws Exception {
        JobHarness h = new JobHarness(kafka, "main");
        String keyLinked = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
        String keyLate = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
        Map<String, GenericRecord> sent = new HashMap<>();
        List<String> sensitive = new ArrayList<>();
        long malformedOffset;
        int linkedCount = 20;
        int lateCount = 10;
        int neverCount = 5;
        long calls = kms.callCount("GenerateDataKey");

        JobConfig config = h.config(kms.endpoint().toString(), "avro", "link.wait: 3s");
        JobClient job;
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            h.publish(
                    producer,
                    KeyChangeEvent.linked(
                            "org-linked", "main", keyLinked, "eu-west-1", null, 1, 1L));
            job = JobHarness.start(config);

            // The late org's records arrive first and wait for its link.
            sendAll(h, producer, "org-late", lateCount, 11, sent, sensitive);
            sendAll(h, producer, "org-never", neverCount, 12, sent, sensitive);
            sendAll(h, producer, "org-linked", linkedCount / 2, 13, sent, sensitive);
            malformedOffset =
                    h.send(
                                    producer,
                                    0,
                                    "org-linked",
                                    "not avro at all".getBytes(StandardCharsets.UTF_8))
                            .offset();
            sendAll(h, producer, "org-linked", linkedCount / 2, 14, sent, sensitive);

            JobHarness.await(
                    "the late org's records to wait in state",
                    TIMEOUT,
                    () ->
                            JobHarness.counter(REPORTER, job.getJobID(), "recordsWaitedForLink")
                                    >= lateCount);
            h.publish(
                    producer,
                    KeyChangeEvent.linked("org-late", "late", keyLate, "eu-west-1", null, 1, 2L));
        }

        int expectedEncrypted = linkedCount + lateCount;
        int expectedDeadLetters = neverCount + 1;
        List<ConsumerRecord<byte[], byte[]>> encrypted =
                Topics.readUntil(
                        kafka.bootstrapServers(),
                        h.encrypted(),
                        r -> r.size() >= expectedEncrypted,
                        TIMEOUT);
        List<ConsumerRecord<byte[], byte[]>> deadLetters =
                Topics.readUntil(
                        kafka.bootstrapServers(),
                        h.deadLetters(),
                        r -> r.size() >= expectedDeadLetters,
                        TIMEOUT);
        job.cancel().get();

        assertThat(encrypted).hasSize(expectedEncrypted);
        assertThat(deadLetters).hasSize(expectedDeadLetters);

        // Every encrypted record decrypts, with a fresh decrypter, to exactly what was sent.
        DerivedSchemaRegistry registry = new DerivedSchemaRegistry();
        registry.register(JobSchemas.of(config).derived(0));
        Decrypter decrypter = new Decrypter(registry, region -> kmsClient);
        RecordOpener opener = RecordOpener.create(registry);
        Map<String, Integer> perOrg = new HashMap<>();
        List<Long> encryptedOffsets = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : encrypted) {
            assertThat(SingleObjectEncoding.isSingleObject(r.value())).isTrue();
            assertThat(
                            new String(
                                    r.headers().lastHeader("cmek-format").value(),
                                    StandardCharsets.UTF_8))
                    .isEqualTo("cmek-flink/v1");
            GenericRecord derived = opener.decode(r.value());
            var envelope = RecordOpener.envelopeOf(derived);
            String id =
                    envelope.recordId().topic()
                            + "@"
                            + envelope.recordId().partition()
                            + "/"
                            + envelope.recordId().offset();
            GenericRecord original = decrypter.decrypt(r.value());
            assertThat(original.equals(sent.get(id)))
                    .as(id + " decrypts to what was sent")
                    .isTrue();
            String org = original.get("org_id").toString();
            assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(org);
            assertThat(envelope.keyArn()).isEqualTo(org.equals("org-late") ? keyLate : keyLinked);
            perOrg.merge(org, 1, Integer::sum);
            if (envelope.recordId().partition() == 0) {
                encryptedOffsets.add(envelope.recordId().offset());
            }
        }
        assertThat(perOrg).isEqualTo(Map.of("org-linked", linkedCount, "org-late", lateCount));
        assertThat(decrypter.kmsCalls()).isEqualTo(2);

        // The malformed record is one dead letter; its neighbours were encrypted.
        Map<ErrorCode, Integer> codes = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : deadLetters) {
            DeadLetter letter = DeadLetter.fromBytes(r.value());
            codes.merge(letter.errorCode(), 1, Integer::sum);
            assertThat(letter.payloadKind()).isEqualTo(PayloadKind.DROPPED);
            assertThat(letter.payload()).isNull();
            if (letter.errorCode() == ErrorCode.MALFORMED_RECORD) {
                assertThat(letter.stage()).isEqualTo(Stage.PARSE);
                assertThat(letter.sourceOffset()).isEqualTo(malformedOffset);
                assertThat(letter.sourcePartition()).isZero();
                assertThat(letter.message()).contains("kong");
            } else {
                assertThat(letter.errorCode()).isEqualTo(ErrorCode.NO_KEY_LINKED);
                assertThat(letter.orgId()).isEqualTo("org-never");
                assertThat(letter.stage()).isEqualTo(Stage.RESOLVE);
            }
        }
        assertThat(codes)
                .isEqualTo(
                        Map.of(ErrorCode.MALFORMED_RECORD, 1, ErrorCode.NO_KEY_LINKED, neverCount));
        assertThat(encryptedOffsets).contains(malformedOffset - 1, malformedOffset + 1);

        // One GenerateDataKey per (org, key ARN) within the DEK lifetime.
        assertThat(kms.callCount("GenerateDataKey") - calls).isEqualTo(2);

        // No sensitive value in any byte written to either topic, uncommitted data included.
        int searched =
                h.assertNoPlaintext(sensitive, List.of(h.encrypted(), h.deadLetters()), TIMEOUT);
        assertThat(searched).isGreaterThan(100);
    }

    @Test
    void relinkUnlinkAndReencryptedInput() throws Exception {
        JobHarness h = new JobHarness(kafka, "relink");
        String first = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
        String second = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
        Map<String, GenericRecord> sent = new HashMap<>();
        List<String> sensitive = new ArrayList<>();
        JobConfig config = h.config(kms.endpoint().toString(), "avro", "");
        JobClient job;
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            h.publish(
                    producer,
                    KeyChangeEvent.linked("org-r", "k1", first, "eu-west-1", null, 1, 1L));
            job = JobHarness.start(config);
            sendAll(h, producer, "org-r", 5, 21, sent, sensitive);
            Topics.readUntil(kafka.bootstrapServers(), h.encrypted(), r -> r.size() >= 5, TIMEOUT);

            h.publish(
                    producer,
                    KeyChangeEvent.linked("org-r", "k2", second, "eu-west-1", null, 2, 2L));
            JobHarness.await(
                    "the relink to be applied",
                    TIMEOUT,
                    () -> JobHarness.counter(REPORTER, job.getJobID(), "linksApplied") >= 2 * 2);
            sendAll(h, producer, "org-r", 5, 22, sent, sensitive);
            Topics.readUntil(kafka.bootstrapServers(), h.encrypted(), r -> r.size() >= 10, TIMEOUT);

            h.publish(producer, KeyChangeEvent.unlinked("org-r", 3, 3L));
            JobHarness.await(
                    "the unlink to be applied",
                    TIMEOUT,
                    () -> JobHarness.counter(REPORTER, job.getJobID(), "linksApplied") >= 3 * 2);
            sendAll(h, producer, "org-r", 3, 23, sent, sensitive);
        }
        List<ConsumerRecord<byte[], byte[]>> deadLetters =
                Topics.readUntil(
                        kafka.bootstrapServers(), h.deadLetters(), r -> r.size() >= 3, TIMEOUT);
        List<ConsumerRecord<byte[], byte[]>> encrypted =
                Topics.readAll(kafka.bootstrapServers(), h.encrypted(), true, TIMEOUT);
        job.cancel().get();

        assertThat(encrypted).hasSize(10);
        assertThat(deadLetters).hasSize(3);
        for (ConsumerRecord<byte[], byte[]> r : deadLetters) {
            DeadLetter letter = DeadLetter.fromBytes(r.value());
            assertThat(letter.errorCode()).isEqualTo(ErrorCode.KEY_UNLINKED);
            assertThat(letter.retriable()).isFalse();
            assertThat(letter.orgId()).isEqualTo("org-r");
        }
        DerivedSchemaRegistry registry = new DerivedSchemaRegistry();
        registry.register(JobSchemas.of(config).derived(0));
        RecordOpener opener = RecordOpener.create(registry);
        Decrypter decrypter = new Decrypter(registry, region -> kmsClient);
        List<String> arns = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : encrypted) {
            arns.add(RecordOpener.envelopeOf(opener.decode(r.value())).keyArn());
            GenericRecord original = decrypter.decrypt(r.value());
            assertThat(original.get("org_id").toString()).isEqualTo("org-r");
        }
        // Records keep the order of their partition, so the relink splits them cleanly.
        assertThat(arns.subList(0, 5)).containsOnly(first);
        assertThat(arns.subList(5, 10)).containsOnly(second);

        // Encrypted records fed back as input pass through unchanged: nothing is encrypted twice.
        JobHarness again = new JobHarness(kafka, "reinput");
        long calls = kms.callCount("GenerateDataKey");
        JobConfig reinput = again.config(kms.endpoint().toString(), "avro", "");
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            for (ConsumerRecord<byte[], byte[]> r : encrypted) {
                producer.send(
                                new org.apache.kafka.clients.producer.ProducerRecord<>(
                                        again.records(), 0, r.key(), r.value(), r.headers()))
                        .get();
            }
        }
        JobClient passJob = JobHarness.start(reinput);
        List<ConsumerRecord<byte[], byte[]>> passed =
                Topics.readUntil(
                        kafka.bootstrapServers(), again.encrypted(), r -> r.size() >= 10, TIMEOUT);
        passJob.cancel().get();
        assertThat(passed).hasSize(10);
        for (int i = 0; i < 10; i++) {
            assertThat(passed.get(i).value()).isEqualTo(encrypted.get(i).value());
        }
        assertThat(kms.callCount("GenerateDataKey")).isEqualTo(calls);
        assertThat(Topics.readAll(kafka.bootstrapServers(), again.deadLetters(), true, TIMEOUT))
                .isEmpty();
    }

    @Test
    void onlyAllowlistedHeadersPassThrough() throws Exception {
        JobHarness h = new JobHarness(kafka, "headers");
        String key = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
        JobConfig config =
                h.config(
                        kms.endpoint().toString(), "avro", "records.headers-allowlist: [trace-id]");
        JobClient job;
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            h.publish(producer, KeyChangeEvent.linked("org-h", "k", key, "eu-west-1", null, 1, 1L));
            job = JobHarness.start(config);
            var record =
                    new org.apache.kafka.clients.producer.ProducerRecord<>(
                            h.records(),
                            0,
                            "the-key".getBytes(StandardCharsets.UTF_8),
                            avro(
                                    new KongLogGenerator(schema, List.of("org-h"), 61)
                                            .next()
                                            .record()));
            record.headers().add("trace-id", "t-1".getBytes(StandardCharsets.UTF_8));
            record.headers()
                    .add("x-user-email", "someone@example.com".getBytes(StandardCharsets.UTF_8));
            producer.send(record).get();
        }
        List<ConsumerRecord<byte[], byte[]>> encrypted =
                Topics.readUntil(
                        kafka.bootstrapServers(), h.encrypted(), r -> r.size() >= 1, TIMEOUT);
        job.cancel().get();
        ConsumerRecord<byte[], byte[]> out = encrypted.get(0);
        assertThat(new String(out.key(), StandardCharsets.UTF_8)).isEqualTo("the-key");
        List<String> names = new ArrayList<>();
        out.headers().forEach(header -> names.add(header.key()));
        assertThat(names).containsExactly("trace-id", "cmek-format");
        assertThat(new String(out.headers().lastHeader("trace-id").value(), StandardCharsets.UTF_8))
                .isEqualTo("t-1");
    }

    private void sendAll(
            JobHarness h,
            KafkaProducer<byte[], byte[]> producer,
            String org,
            int count,
            long seed,
            Map<String, GenericRecord> sent,
            List<String> sensitive)
            throws Exception {
        KongLogGenerator generator = new KongLogGenerator(schema, List.of(org), seed);
        for (GeneratedKongEntry entry : generator.next(count)) {
            RecordMetadata meta = h.send(producer, 0, org, avro(entry.record()));
            sent.put(meta.topic() + "@" + meta.partition() + "/" + meta.offset(), entry.record());
            for (String s : entry.sensitiveValues()) {
                sensitive.add(s);
            }
        }
    }

    private static byte[] avro(GenericRecord record) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(record.getSchema(), GenericData.get())
                .write(record, encoder);
        encoder.flush();
        return out.toByteArray();
    }
}
