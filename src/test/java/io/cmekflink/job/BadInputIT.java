package io.cmekflink.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cmekflink.config.JobConfig;
import io.cmekflink.crypto.Decrypter;
import io.cmekflink.crypto.RecordId;
import io.cmekflink.crypto.RecordOpener;
import io.cmekflink.deadletter.DeadLetter;
import io.cmekflink.deadletter.ErrorCode;
import io.cmekflink.deadletter.PayloadKind;
import io.cmekflink.deadletter.Stage;
import io.cmekflink.ingest.AvroBinaryValueDecoder;
import io.cmekflink.ingest.DecoderOptions;
import io.cmekflink.ingest.IngestException;
import io.cmekflink.link.KeyChangeEvent;
import io.cmekflink.local.EmbeddedKafka;
import io.cmekflink.local.Topics;
import io.cmekflink.local.demo.GeneratedKongEntry;
import io.cmekflink.local.demo.KongLogGenerator;
import io.cmekflink.local.kms.KmsEmulator;
import io.cmekflink.schema.DerivedSchemaRegistry;
import io.cmekflink.testing.JobChecks;
import io.cmekflink.testing.JobHarness;
import io.cmekflink.testing.TestAws;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * Poison input on the mini cluster, the in-JVM broker and the KMS emulator: Avro and JSON values
 * that do not parse or nest too deep, records too large once encrypted, and key-change events that
 * must not change a link. Each bad value is sent between valid records.
 *
 * <p>Each bad record must end as exactly one dead letter whose message names the problem and no
 * field value. Each bad key-change event must be counted and logged once per parallel instance.
 * Meanwhile the job keeps running with restarts turned off, the valid records decrypt to what was
 * sent, and no byte of the output topics contains a sensitive value.
 */
class BadInputIT {

    private static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .setConfiguration(REPORTER.addToConfiguration(new Configuration()))
                            .build());

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String REGION = "eu-west-1";
    private static final String ORG = "org-p";

    /** The default of {@code output.max-record-bytes}, which the jobs of this class keep. */
    private static final int MAX_RECORD_BYTES = 1_000_000;

    private static final String SCHEMA_NAME = "io.cmekflink.kong.KongLogEntry";

    /** A 16-digit card number (a well-known test number) as a long field of another schema. */
    private static final long CARD_NUMBER = 4_111_111_111_111_111L;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A top-level record whose tree of nodes can nest as deep as a value's bytes allow. */
    private static final Schema TREE_SCHEMA =
            new Schema.Parser()
                    .parse(
                            """
                            {"type": "record", "name": "TreeEntry", "namespace": "io.cmekflink.test",
                             "fields": [
                               {"name": "org_id", "type": "string"},
                               {"name": "secret", "type": "string", "sensitive": true},
                               {"name": "tree", "type": {
                                 "type": "record", "name": "Node",
                                 "fields": [
                                   {"name": "label", "type": "string", "sensitive": true},
                                   {"name": "children", "type": {"type": "array", "items": "Node"}}]}}]}
                            """);

    private static EmbeddedKafka kafka;
    private static KmsEmulator kms;
    private static KmsClient kmsClient;
    private static Schema schema;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start(0);
        kms = KmsEmulator.start(0);
        TestAws.useEmulatorCredentials();
        kmsClient = TestAws.syncClient(kms, REGION);
        schema = new Schema.Parser().parse(new java.io.File("schemas/kong-log-entry.avsc"));
    }

    @AfterAll
    static void stop() throws Exception {
        kmsClient.close();
        kms.close();
        kafka.close();
    }

    @Test
    void avroJobDeadLettersBadBinary() throws Exception {
        JobHarness h = new JobHarness(kafka, "bad-avro");
        // The broker's default limit is about 1 MB; the 10 MB value needs a larger one.
        kafka.setTopicConfig(h.records(), "max.message.bytes", String.valueOf(16 << 20));
        String key = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);
        JobConfig config = h.config(kms.endpoint().toString(), "avro", JobChecks.NO_RESTARTS);
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            h.publish(producer, KeyChangeEvent.linked(ORG, "k", key, REGION, null, 1, 1L));
            JobClient job = JobHarness.start(config);
            try {
                Feed feed = new Feed(h, producer, false, 11);
                feed.valid(ORG, 2, 201, key);

                byte[] whole = JobHarness.avro(feed.base(202).record());
                feed.bad(
                        "truncated Avro",
                        Arrays.copyOf(whole, whole.length / 2),
                        ErrorCode.MALFORMED_RECORD,
                        Stage.PARSE,
                        null,
                        "bytes remain",
                        "$.request.body",
                        SCHEMA_NAME);
                feed.valid(ORG, 1, 203, key);

                long foreignOffset =
                        feed.bad(
                                "bytes of another Avro schema",
                                otherSchemaValue(feed.plant("holder")),
                                ErrorCode.MALFORMED_RECORD,
                                Stage.PARSE,
                                null,
                                "bytes remain",
                                "$.request.uri",
                                SCHEMA_NAME);
                feed.valid(ORG, 1, 204, key);

                byte[] trailing =
                        concat(JobHarness.avro(feed.base(205).record()), new byte[] {1, 2, 3});
                feed.bad(
                        "valid record with trailing bytes",
                        trailing,
                        ErrorCode.MALFORMED_RECORD,
                        Stage.PARSE,
                        null,
                        "3 trailing bytes",
                        SCHEMA_NAME);
                feed.valid(ORG, 1, 206, key);

                GenericRecord tenMegabytes = feed.base(211).record();
                ((GenericRecord) tenMegabytes.get("request"))
                        .put("body", feed.plant("10mb") + " " + "a".repeat(10_000_000));
                feed.bad(
                        "10 MB request body",
                        JobHarness.avro(tenMegabytes),
                        ErrorCode.RECORD_TOO_LARGE,
                        Stage.ENCRYPT,
                        ORG,
                        "the encrypted record has",
                        "above output.max-record-bytes (1000000)");
                feed.valid(ORG, 1, 212, key);

                byte[] gib = declaredGibBody(feed.base(207).record(), feed.plant("gib"));
                feed.bad(
                        "string declaring 1 GiB",
                        gib,
                        ErrorCode.MALFORMED_RECORD,
                        Stage.PARSE,
                        null,
                        "bytes remain",
                        "$.request.body",
                        SCHEMA_NAME);
                feed.valid(ORG, 1, 208, key);

                // The envelope's size is measured on the records encrypted so far, so that the
                // next record fits the limit as input and exceeds it only once encrypted.
                int overhead = feed.envelopeOverhead(config, job);
                int inputSize = MAX_RECORD_BYTES - overhead / 2;
                byte[] nearLimit = sized(feed.base(209).record(), inputSize, feed.plant("near"));
                assertThat(nearLimit).hasSize(inputSize);
                long nearLimitOffset =
                        feed.bad(
                                "record over the limit only once encrypted",
                                nearLimit,
                                ErrorCode.RECORD_TOO_LARGE,
                                Stage.ENCRYPT,
                                ORG,
                                "the encrypted record has",
                                "above output.max-record-bytes (1000000)");
                feed.valid(ORG, 2, 210, key);

                List<DeadLetter> letters = feed.verify(config, job);
                DeadLetter tooLarge = letterAt(letters, nearLimitOffset);
                int encryptedSize = sizeInMessage(tooLarge.message());
                assertThat(encryptedSize).isGreaterThan(MAX_RECORD_BYTES);
                assertThat(encryptedSize - inputSize).isBetween(overhead - 8, overhead + 8);
                assertThat(tooLarge.keyArn()).isEqualTo(key);

                // Decoded under the wrong schema, the card number field is read as the length
                // of request.uri, so the message must not print the declared length.
                assertThat(letterAt(letters, foreignOffset).message())
                        .as("message of the dead letter of another schema's bytes")
                        .doesNotContain(String.valueOf(CARD_NUMBER));
            } finally {
                JobChecks.cancelQuietly(job);
            }
        }
    }

    /**
     * The encrypted topic accepts batches of at most 20,000 bytes, far below
     * output.max-record-bytes. The job reads that limit when it is built, so records above it
     * become dead letters before the sink, which would otherwise fail on the broker's rejection and
     * stop the job.
     */
    @Test
    void outputTopicLimitDeadLetters() throws Exception {
        JobHarness h = new JobHarness(kafka, "topic-limit");
        int topicLimit = 20_000;
        setTopicConfigAndWait(h.encrypted(), "max.message.bytes", String.valueOf(topicLimit));
        String key = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);
        JobConfig config = h.config(kms.endpoint().toString(), "avro", JobChecks.NO_RESTARTS);
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            h.publish(producer, KeyChangeEvent.linked(ORG, "k", key, REGION, null, 1, 1L));
            JobClient job = JobHarness.start(config);
            try {
                Feed feed = new Feed(h, producer, false, 15);
                feed.valid(ORG, 2, 601, key);

                int overhead = feed.envelopeOverhead(config, job);
                // Below the topic's limit as input, above it once encrypted.
                int inputSize = topicLimit - overhead / 2;
                long nearLimitOffset =
                        feed.bad(
                                "record over the topic's limit only once encrypted",
                                sized(feed.base(602).record(), inputSize, feed.plant("near")),
                                ErrorCode.RECORD_TOO_LARGE,
                                Stage.ENCRYPT,
                                ORG,
                                "the encrypted record takes up to",
                                "bytes as a Kafka record batch, above the 20000 bytes that topic "
                                        + h.encrypted()
                                        + " accepts",
                                "max.message.bytes");
                feed.valid(ORG, 1, 603, key);

                feed.bad(
                        "record three times the topic's limit",
                        sized(feed.base(604).record(), 3 * topicLimit, feed.plant("triple")),
                        ErrorCode.RECORD_TOO_LARGE,
                        Stage.ENCRYPT,
                        ORG,
                        "above the 20000 bytes that topic " + h.encrypted() + " accepts");
                feed.valid(ORG, 2, 605, key);

                List<DeadLetter> letters = feed.verify(config, job);
                assertThat(letterAt(letters, nearLimitOffset).keyArn()).isEqualTo(key);
            } finally {
                JobChecks.cancelQuietly(job);
            }
        }
    }

    /**
     * A schema whose node record contains an array of nodes lets one value nest as deep as its
     * bytes allow. The decoder stops at records.json-max-depth (default 64), which bounds Avro
     * input too, instead of recursing until the task's stack overflows.
     */
    @Test
    void avroJobDeadLettersDeepNesting(@TempDir Path dir) throws Exception {
        Path schemaFile = dir.resolve("tree-entry.avsc");
        Files.writeString(schemaFile, TREE_SCHEMA.toString(true));
        JobHarness h = new JobHarness(kafka, "deep-avro");
        String key = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);
        JobConfig config =
                h.config(
                        kms.endpoint().toString(),
                        "avro",
                        schemaFile.toString(),
                        JobChecks.NO_RESTARTS);
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            h.publish(producer, KeyChangeEvent.linked(ORG, "k", key, REGION, null, 1, 1L));
            JobClient job = JobHarness.start(config);
            try {
                Feed feed = new Feed(h, producer, false, 16);
                feed.validRecord(ORG, treeEntry(feed, 1), key);
                feed.validRecord(ORG, treeEntry(feed, 20), key);

                feed.bad(
                        "tree nested 100,000 levels deep",
                        deepTree(feed.plant("deep-secret"), feed.plant("deep-label"), 100_000),
                        ErrorCode.MALFORMED_RECORD,
                        Stage.PARSE,
                        null,
                        "nesting is deeper than the max depth 64",
                        "$.tree.children[0].children[0]");
                feed.validRecord(ORG, treeEntry(feed, 3), key);
                feed.verify(config, job);
            } finally {
                JobChecks.cancelQuietly(job);
            }
        }
    }

    /**
     * The Avro decoder of the records path checks a declared length against the bytes the value
     * contains before it allocates, so a few bytes cannot make a task allocate a gigabyte. The
     * job's test heap of 3 GiB would survive that allocation, which is why it is measured here.
     */
    @Test
    void recordDecodingAllocationIsBounded() throws Exception {
        GeneratedKongEntry entry = new KongLogGenerator(schema, List.of(ORG), 401).next();
        byte[] value = declaredGibBody(entry.record(), "planted-allocation-probe");
        AvroBinaryValueDecoder decoder =
                new AvroBinaryValueDecoder(schema, DecoderOptions.defaults());

        long allocated =
                allocatedBy(
                        () -> {
                            try {
                                decoder.decode(value);
                                throw new AssertionError("a value declaring 1 GiB decoded");
                            } catch (IngestException expected) {
                                // The dead-letter path, as in the job.
                            }
                        });

        assertThat(allocated).isLessThan(1 << 20);
    }

    @Test
    void jsonJobDeadLettersBadJson() throws Exception {
        JobHarness h = new JobHarness(kafka, "bad-json");
        // The broker's default limit is about 1 MB; the 10 MB value needs a larger one.
        kafka.setTopicConfig(h.records(), "max.message.bytes", String.valueOf(16 << 20));
        String key = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);
        JobConfig config = h.config(kms.endpoint().toString(), "json", JobChecks.NO_RESTARTS);
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            h.publish(producer, KeyChangeEvent.linked(ORG, "k", key, REGION, null, 1, 1L));
            JobClient job = JobHarness.start(config);
            try {
                Feed feed = new Feed(h, producer, true, 12);
                feed.valid(ORG, 2, 301, key);
                sendBadJson(feed, key);
                feed.valid(ORG, 2, 399, key);
                feed.verify(config, job);
            } finally {
                JobChecks.cancelQuietly(job);
            }
        }
    }

    private void sendBadJson(Feed feed, String key) throws Exception {
        ObjectNode entry = jsonBase(feed, 302);
        request(entry).put("body", feed.plant("status"));
        response(entry).put("status", "200");
        feed.badJson(
                "string where an int is expected",
                entry,
                ErrorCode.MALFORMED_RECORD,
                null,
                "expected int, found JSON string",
                "$.response.status");
        feed.valid(ORG, 1, 303, key);

        entry = jsonBase(feed, 304);
        request(entry).putObject("method").put("token", feed.plant("method"));
        feed.badJson(
                "object where a string is expected",
                entry,
                ErrorCode.MALFORMED_RECORD,
                null,
                "expected string, found JSON object",
                "$.request.method");
        feed.valid(ORG, 1, 305, key);

        entry = jsonBase(feed, 306);
        entry.put("debug_dump", feed.plant("unknown"));
        feed.badJson(
                "unknown field",
                entry,
                ErrorCode.MALFORMED_RECORD,
                null,
                "unknown field",
                "$.debug_dump");
        feed.valid(ORG, 1, 307, key);

        entry = jsonBase(feed, 308);
        entry.remove("org_id");
        request(entry).put("body", feed.plant("no-org"));
        feed.badJson(
                "missing org id",
                entry,
                ErrorCode.MISSING_ORG_ID,
                null,
                "org id field is missing",
                "$.org_id");
        feed.valid(ORG, 1, 309, key);

        entry = jsonBase(feed, 310);
        entry.put("org_id", 4711);
        request(entry).put("body", feed.plant("number-org"));
        feed.badJson(
                "number as org id",
                entry,
                ErrorCode.MISSING_ORG_ID,
                null,
                "org id field is a JSON integer",
                "$.org_id");
        feed.valid(ORG, 1, 311, key);

        entry = jsonBase(feed, 312);
        entry.put("org_id", "");
        request(entry).put("body", feed.plant("empty-org"));
        feed.badJson(
                "empty org id",
                entry,
                ErrorCode.MISSING_ORG_ID,
                null,
                "org id field is empty or blank",
                "$.org_id");
        feed.valid(ORG, 1, 313, key);

        entry = jsonBase(feed, 314);
        request(entry).put("body", feed.plant("array"));
        feed.bad(
                "top-level array",
                concat(bytes("["), JSON.writeValueAsBytes(entry), bytes("]")),
                ErrorCode.MALFORMED_RECORD,
                Stage.PARSE,
                null,
                "top-level JSON value is an array");
        feed.valid(ORG, 1, 315, key);

        byte[] original = JSON.writeValueAsBytes(jsonBase(feed, 316));
        byte[] duplicate =
                concat(
                        bytes("{\"client_ip\":\"" + feed.plant("duplicate") + "\","),
                        Arrays.copyOfRange(original, 1, original.length));
        feed.bad(
                "duplicate key",
                duplicate,
                ErrorCode.MALFORMED_RECORD,
                Stage.PARSE,
                null,
                "duplicate key",
                "$.client_ip");
        feed.valid(ORG, 1, 317, key);

        entry = jsonBase(feed, 318);
        request(entry).put("body", feed.plant("utf8") + " @@");
        feed.bad(
                "invalid UTF-8",
                replace(JSON.writeValueAsBytes(entry), bytes("@@"), new byte[] {(byte) 0xff, 'x'}),
                ErrorCode.MALFORMED_RECORD,
                Stage.PARSE,
                null,
                "not well-formed JSON",
                "$.request.body");
        feed.valid(ORG, 1, 319, key);

        entry = jsonBase(feed, 320);
        request(entry).put("headers", "@DEEP@");
        String deep =
                "{\"x-planted\":\""
                        + feed.plant("deep")
                        + "\",\"x-deep\":"
                        + "[".repeat(1000)
                        + "]".repeat(1000)
                        + "}";
        feed.bad(
                "1,000 levels of nested arrays",
                replace(JSON.writeValueAsBytes(entry), bytes("\"@DEEP@\""), bytes(deep)),
                ErrorCode.MALFORMED_RECORD,
                Stage.PARSE,
                null,
                "expected string, found JSON array",
                "$.request.headers{1}[0]");
        feed.valid(ORG, 1, 321, key);

        entry = jsonBase(feed, 322);
        request(entry).put("body", feed.plant("10mb") + " " + "a".repeat(10_000_000));
        feed.badJson(
                "10 MB request body",
                entry,
                ErrorCode.RECORD_TOO_LARGE,
                ORG,
                "the encrypted record has",
                "above output.max-record-bytes (1000000)");
    }

    @Test
    void badKeyChangesAreRejected() throws Exception {
        JobHarness h = new JobHarness(kafka, "bad-keys");
        String a1 = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);
        String a2 = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);
        String b1 = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);
        String b2 = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, REGION);
        String otherPartition =
                "arn:aws-cn:kms:eu-west-1:"
                        + KmsEmulator.DEFAULT_ACCOUNT
                        + a2.substring(a2.indexOf(":key/"));
        JobConfig config =
                h.config(
                        kms.endpoint().toString(),
                        "avro",
                        "link.wait: 2s\n" + JobChecks.NO_RESTARTS);
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers());
                CapturedLog log = new CapturedLog(ResolveKeyFunction.class)) {
            h.publish(producer, KeyChangeEvent.linked("org-a", "k1", a1, REGION, null, 1, 1L));
            h.publish(producer, KeyChangeEvent.linked("org-b", "k1", b1, REGION, null, 1, 1L));
            JobClient job = JobHarness.start(config);
            try {
                JobID id = job.getJobID();
                Feed feed = new Feed(h, producer, false, 13);
                feed.valid("org-a", 2, 501, a1);
                feed.valid("org-b", 2, 502, b1);
                awaitEachInstance(job, "linksApplied", 2);

                int bad = 0;
                byte[] garbage = new byte[48];
                new Random(14).nextBytes(garbage);
                sendKeyChange(h, producer, "org-a", garbage);
                bad++;
                // org-a has a link at version 1; org-n never had one.
                for (String org : List.of("org-a", "org-n")) {
                    long version = org.equals("org-a") ? 2 : 1;
                    h.publish(
                            producer,
                            new KeyChangeEvent(
                                    org, "UNKNOWN", "k2", a2, REGION, null, version, 2L, false,
                                    null));
                    h.publish(
                            producer,
                            KeyChangeEvent.linked(
                                    org, "k2", otherPartition, REGION, null, version, 2L));
                    h.publish(producer, KeyChangeEvent.linked(org, "k2", a2, REGION, null, -1, 2L));
                    sendKeyChange(
                            h,
                            producer,
                            org,
                            KeyChangeEvent.linked(org, "k2", a2, REGION, null, version, 2L)
                                    .toBytes());
                    bad += 4;
                }
                // A valid event after the bad ones: the broadcast side still applies links.
                h.publish(producer, KeyChangeEvent.linked("org-b", "k2", b2, REGION, null, 2, 3L));
                awaitEachInstance(job, "linksApplied", 3);
                // The topic has one partition, so every bad event came before the last link.
                assertThat(JobChecks.counterPerInstance(REPORTER, id, "linksRejected"))
                        .containsExactly((long) bad, (long) bad);

                feed.valid("org-a", 1, 503, a1);
                feed.bad(
                        "record of an org whose links were all rejected",
                        JobHarness.avro(feed.base(504, "org-n").record()),
                        ErrorCode.NO_KEY_LINKED,
                        Stage.RESOLVE,
                        "org-n",
                        "org org-n has no key link",
                        "no key link arrived within 2s");
                feed.valid("org-b", 1, 505, b2);
                feed.bad(
                        "second record of the org without a link",
                        JobHarness.avro(feed.base(506, "org-n").record()),
                        ErrorCode.NO_KEY_LINKED,
                        Stage.RESOLVE,
                        "org-n",
                        "org org-n has no key link");
                feed.valid("org-a", 1, 507, a1);
                feed.valid("org-b", 1, 508, b2);
                feed.verify(config, job);

                assertThat(JobChecks.counterPerInstance(REPORTER, id, "linksRejected"))
                        .containsExactly((long) bad, (long) bad);
                assertThat(JobChecks.counterPerInstance(REPORTER, id, "linksApplied"))
                        .containsExactly(3L, 3L);
                List<String> rejections =
                        log.messages().stream().filter(m -> m.startsWith("rejected")).toList();
                // Each parallel instance reads the broadcast input, so each logs every rejection.
                List<String> expected = new ArrayList<>();
                expected.add(
                        "rejected key-change record at partition 0 offset 2: invalid value '48"
                                + " bytes': not a key-change event: it does not start with the"
                                + " single-object header (C3 01 and the fingerprint) of schema"
                                + " io.cmekflink.v1.KeyChangeEvent");
                for (String org : List.of("org-a", "org-n")) {
                    long version = org.equals("org-a") ? 2 : 1;
                    String event = "rejected key-change event of org " + org + " version ";
                    expected.add(
                            event
                                    + version
                                    + ": invalid change 'UNKNOWN': expected LINKED or UNLINKED");
                    expected.add(
                            event
                                    + version
                                    + ": invalid key_arn '"
                                    + otherPartition
                                    + "': partition 'aws-cn' does not match region 'eu-west-1'"
                                    + " (expected 'aws')");
                    expected.add(event + "-1: invalid version '-1': must be at least 1");
                    expected.add(event + version + ": it is not signed");
                }
                assertThat(expected).hasSize(bad);
                List<String> twice = new ArrayList<>(expected);
                twice.addAll(expected);
                assertThat(rejections).containsExactlyInAnyOrderElementsOf(twice);
            } finally {
                JobChecks.cancelQuietly(job);
            }
        }
    }

    /**
     * Sets a topic config and polls until the broker reports it, because a KRaft broker applies the
     * change when it replays the metadata log, which can be after the request has completed.
     */
    private static void setTopicConfigAndWait(String topic, String name, String value)
            throws Exception {
        kafka.setTopicConfig(topic, name, value);
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        try (Admin admin = Admin.create(kafka.clientProperties())) {
            JobHarness.await(
                    name + " of " + topic + " to be " + value,
                    TIMEOUT,
                    () -> {
                        try {
                            Config config =
                                    admin.describeConfigs(List.of(resource))
                                            .all()
                                            .get()
                                            .get(resource);
                            return value.equals(config.get(name).value());
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new AssertionError("interrupted while describing " + topic);
                        } catch (java.util.concurrent.ExecutionException e) {
                            return false;
                        }
                    });
        }
    }

    /**
     * The WARN and higher messages that one class logs while this is open, captured by an appender
     * added to its log4j logger. The mini cluster runs in the test JVM, so this receives the job's
     * own log. The logger's level is raised to WARN meanwhile, because the log4j2-test.properties
     * of flink-core's test jar comes first on the classpath and turns all logging off.
     */
    private static final class CapturedLog extends AbstractAppender implements AutoCloseable {
        private final List<String> messages = new CopyOnWriteArrayList<>();
        private final org.apache.logging.log4j.core.Logger logger;
        private final Level previousLevel;

        CapturedLog(Class<?> source) {
            super("captured-" + source.getSimpleName(), null, null, true, Property.EMPTY_ARRAY);
            logger = (org.apache.logging.log4j.core.Logger) LogManager.getLogger(source);
            previousLevel = logger.getLevel();
            Configurator.setLevel(source.getName(), Level.WARN);
            start();
            logger.addAppender(this);
        }

        @Override
        public void append(LogEvent event) {
            messages.add(event.getMessage().getFormattedMessage());
        }

        List<String> messages() {
            return List.copyOf(messages);
        }

        @Override
        public void close() {
            logger.removeAppender(this);
            Configurator.setLevel(logger.getName(), previousLevel);
            stop();
        }
    }

    /** Polls until every parallel instance of the job counts {@code expected} of a counter. */
    private static void awaitEachInstance(JobClient job, String counter, long expected) {
        JobHarness.await(
                "every instance to count " + expected + " " + counter,
                TIMEOUT,
                () -> {
                    JobChecks.assertNotFailed(job);
                    List<Long> counts =
                            JobChecks.counterPerInstance(REPORTER, job.getJobID(), counter);
                    return counts.size() == 2 && counts.stream().allMatch(c -> c >= expected);
                });
    }

    private static void sendKeyChange(
            JobHarness h, KafkaProducer<byte[], byte[]> producer, String org, byte[] value)
            throws Exception {
        // A compacted topic rejects records without a key.
        producer.send(
                        new ProducerRecord<>(
                                h.keyChanges(), org.getBytes(StandardCharsets.UTF_8), value))
                .get();
    }

    /**
     * Values sent to the records topic of one job, with what each must become: valid records must
     * decrypt to what was sent under the expected key ARN, and each bad value must become the one
     * dead letter described for it.
     */
    private final class Feed {
        private final JobHarness h;
        private final KafkaProducer<byte[], byte[]> producer;
        private final boolean json;
        private final Random random;
        private final Map<String, GenericRecord> sent = new HashMap<>();
        private final Map<String, String> arns = new HashMap<>();
        private final Map<String, Integer> inputSizes = new HashMap<>();
        private final Map<Long, BadValue> bad = new LinkedHashMap<>();
        private final List<String> sensitive = new ArrayList<>();
        private int total;

        Feed(JobHarness h, KafkaProducer<byte[], byte[]> producer, boolean json, long seed) {
            this.h = h;
            this.producer = producer;
            this.json = json;
            this.random = new Random(seed);
        }

        /**
         * Sends {@code count} generated entries of {@code org}, to be encrypted under {@code arn}.
         */
        void valid(String org, int count, long seed, String arn) throws Exception {
            for (GeneratedKongEntry entry :
                    new KongLogGenerator(schema, List.of(org), seed).next(count)) {
                byte[] value = json ? entry.json() : JobHarness.avro(entry.record());
                RecordMetadata meta = h.send(producer, 0, org, value);
                String id = idOf(meta.topic(), meta.partition(), meta.offset());
                sent.put(id, entry.record());
                arns.put(id, arn);
                inputSizes.put(id, value.length);
                sensitive.addAll(entry.sensitiveValues());
                total++;
            }
        }

        /**
         * Sends one record of the job's schema, to be encrypted under {@code arn}. The caller
         * plants its sensitive values with {@link #plant}.
         */
        void validRecord(String org, GenericRecord record, String arn) throws Exception {
            byte[] value = JobHarness.avro(record);
            RecordMetadata meta = h.send(producer, 0, org, value);
            String id = idOf(meta.topic(), meta.partition(), meta.offset());
            sent.put(id, record);
            arns.put(id, arn);
            inputSizes.put(id, value.length);
            total++;
        }

        /** Returns a generated entry of {@link #ORG} to build a bad value from. */
        GeneratedKongEntry base(long seed) {
            return base(seed, ORG);
        }

        GeneratedKongEntry base(long seed, String org) {
            GeneratedKongEntry entry = new KongLogGenerator(schema, List.of(org), seed).next();
            sensitive.addAll(entry.sensitiveValues());
            return entry;
        }

        /** Returns a new value that no dead letter may contain. */
        String plant(String label) {
            byte[] token = new byte[8];
            random.nextBytes(token);
            String value = "planted-" + label + "-" + HexFormat.of().formatHex(token);
            sensitive.add(value);
            return value;
        }

        /** Sends a JSON object that must become a dead letter of the parse step. */
        void badJson(String name, ObjectNode entry, ErrorCode code, String org, String... keywords)
                throws Exception {
            Stage stage = code == ErrorCode.RECORD_TOO_LARGE ? Stage.ENCRYPT : Stage.PARSE;
            bad(name, JSON.writeValueAsBytes(entry), code, stage, org, keywords);
        }

        /**
         * Sends a value that must become one dead letter with {@code code} and a message that
         * contains each of {@code keywords}, and returns its offset.
         */
        long bad(
                String name,
                byte[] value,
                ErrorCode code,
                Stage stage,
                String org,
                String... keywords)
                throws Exception {
            String key = org == null ? ORG : org;
            RecordMetadata meta = h.send(producer, 0, key, value);
            bad.put(meta.offset(), new BadValue(name, code, stage, org, List.of(keywords)));
            total++;
            return meta.offset();
        }

        /**
         * Waits for the valid records sent so far and returns the smallest number of bytes that
         * encryption added to one of them: envelope, single-object header and length prefixes.
         */
        int envelopeOverhead(JobConfig config, JobClient job) throws Exception {
            RecordOpener opener = RecordOpener.create(JobSchemas.of(config).derived(0));
            int min = Integer.MAX_VALUE;
            for (ConsumerRecord<byte[], byte[]> r :
                    readWhileRunning(h.encrypted(), sent.size(), job)) {
                RecordId id = RecordOpener.envelopeOf(opener.decode(r.value())).recordId();
                int input = inputSizes.get(idOf(id.topic(), id.partition(), id.offset()));
                min = Math.min(min, r.value().length - input);
            }
            assertThat(min).isBetween(100, 2000);
            return min;
        }

        /**
         * Checks everything the job wrote for this feed and returns the dead letters: exact counts,
         * a running job without restarts, decrypted values, each dead letter's fields, and no
         * sensitive value in any byte of either output topic.
         */
        List<DeadLetter> verify(JobConfig config, JobClient job) throws Exception {
            readWhileRunning(h.encrypted(), sent.size(), job);
            readWhileRunning(h.deadLetters(), bad.size(), job);
            JobChecks.assertRunning(job);
            JobID id = job.getJobID();
            assertThat(JobChecks.restarts(REPORTER, id)).isZero();
            assertThat(JobHarness.counter(REPORTER, id, "recordsIn")).isEqualTo(total);
            assertThat(JobHarness.counter(REPORTER, id, "recordsEncrypted")).isEqualTo(sent.size());
            job.cancel().get();

            String servers = kafka.bootstrapServers();
            List<ConsumerRecord<byte[], byte[]>> encrypted =
                    Topics.readAll(servers, h.encrypted(), true, TIMEOUT);
            List<ConsumerRecord<byte[], byte[]>> deadLetters =
                    Topics.readAll(servers, h.deadLetters(), true, TIMEOUT);
            assertThat(encrypted).hasSize(sent.size());
            assertThat(deadLetters).hasSize(bad.size());
            assertThat(encrypted.size() + deadLetters.size()).isEqualTo(total);

            List<String> encryptedIds = checkEncrypted(config, encrypted);
            List<DeadLetter> letters = checkDeadLetters(deadLetters);
            for (long offset : bad.keySet()) {
                for (long neighbour : List.of(offset - 1, offset + 1)) {
                    if (!bad.containsKey(neighbour) && neighbour < total) {
                        assertThat(encryptedIds)
                                .as("neighbour %d of bad value at %d", neighbour, offset)
                                .contains(idOf(h.records(), 0, neighbour));
                    }
                }
            }
            checkNoPlaintext();
            return letters;
        }

        private List<String> checkEncrypted(
                JobConfig config, List<ConsumerRecord<byte[], byte[]>> encrypted) throws Exception {
            DerivedSchemaRegistry registry = new DerivedSchemaRegistry();
            registry.register(JobSchemas.of(config).derived(0));
            RecordOpener opener = RecordOpener.create(registry);
            Decrypter decrypter = new Decrypter(registry, region -> kmsClient);
            List<String> ids = new ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> r : encrypted) {
                var envelope = RecordOpener.envelopeOf(opener.decode(r.value()));
                RecordId recordId = envelope.recordId();
                String id = idOf(recordId.topic(), recordId.partition(), recordId.offset());
                ids.add(id);
                GenericRecord original = decrypter.decrypt(r.value());
                // equals() rather than isEqualTo(), whose failure message would print plaintext.
                assertThat(original.equals(sent.get(id)))
                        .as(id + " decrypts to what was sent")
                        .isTrue();
                assertThat(envelope.keyArn()).as(id + " key ARN").isEqualTo(arns.get(id));
            }
            assertThat(ids).containsExactlyInAnyOrderElementsOf(sent.keySet());
            return ids;
        }

        private List<DeadLetter> checkDeadLetters(List<ConsumerRecord<byte[], byte[]>> records)
                throws Exception {
            List<DeadLetter> letters = new ArrayList<>();
            List<Long> offsets = new ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> r : records) {
                DeadLetter letter = DeadLetter.fromBytes(r.value());
                letters.add(letter);
                offsets.add(letter.sourceOffset());
                BadValue expected = bad.get(letter.sourceOffset());
                assertThat(expected)
                        .as("dead letter at offset " + letter.sourceOffset())
                        .isNotNull();
                String what = expected.name();
                System.out.println(
                        "dead letter of "
                                + what
                                + ": "
                                + letter.errorCode()
                                + ": "
                                + letter.message());
                assertThat(letter.errorCode()).as(what).isEqualTo(expected.code());
                assertThat(letter.stage()).as(what).isEqualTo(expected.stage());
                assertThat(letter.retriable()).as(what).isFalse();
                assertThat(letter.orgId()).as(what).isEqualTo(expected.org());
                assertThat(letter.sourceTopic()).as(what).isEqualTo(h.records());
                assertThat(letter.sourcePartition()).as(what).isZero();
                assertThat(letter.payloadKind()).as(what).isEqualTo(PayloadKind.DROPPED);
                assertThat(letter.payload()).as(what).isNull();
                for (String keyword : expected.keywords()) {
                    assertThat(letter.message()).as(what).contains(keyword);
                }
                for (String value : sensitive) {
                    assertThat(letter.message().contains(value))
                            .as(what + ": message contains a sensitive value")
                            .isFalse();
                }
            }
            assertThat(offsets).containsExactlyInAnyOrderElementsOf(bad.keySet());
            return letters;
        }

        /** Scans every byte of both output topics, uncommitted data included. */
        private void checkNoPlaintext() throws Exception {
            h.assertNoPlaintext(sensitive, List.of(h.encrypted(), h.deadLetters()), TIMEOUT);
        }
    }

    /** What one bad value must become. {@code org} is null where parsing fails first. */
    private record BadValue(
            String name, ErrorCode code, Stage stage, String org, List<String> keywords) {}

    private static List<ConsumerRecord<byte[], byte[]>> readWhileRunning(
            String topic, int count, JobClient job) {
        return Topics.readUntil(
                kafka.bootstrapServers(),
                topic,
                records -> {
                    JobChecks.assertNotFailed(job);
                    return records.size() >= count;
                },
                TIMEOUT);
    }

    private static DeadLetter letterAt(List<DeadLetter> letters, long offset) {
        return letters.stream()
                .filter(l -> l.sourceOffset() == offset)
                .findFirst()
                .orElseThrow(() -> new AssertionError("no dead letter at offset " + offset));
    }

    /** Reads N from "the encrypted record has N bytes, ...". */
    private static int sizeInMessage(String message) {
        java.util.regex.Matcher m =
                java.util.regex.Pattern.compile("has (\\d+) bytes").matcher(message);
        assertThat(m.find()).as(message).isTrue();
        return Integer.parseInt(m.group(1));
    }

    private static String idOf(String topic, int partition, long offset) {
        return topic + "@" + partition + "/" + offset;
    }

    private static ObjectNode jsonBase(Feed feed, long seed) throws Exception {
        return (ObjectNode) JSON.readTree(feed.base(seed).json());
    }

    private static ObjectNode request(ObjectNode entry) {
        return (ObjectNode) entry.get("request");
    }

    private static ObjectNode response(ObjectNode entry) {
        return (ObjectNode) entry.get("response");
    }

    /**
     * Returns an entry whose tree is a chain of {@code levels} nodes, each with a planted sensitive
     * label, built from the innermost node outwards so that no recursion depends on the depth.
     */
    private static GenericRecord treeEntry(Feed feed, int levels) {
        Schema nodeSchema = TREE_SCHEMA.getField("tree").schema();
        Schema children = nodeSchema.getField("children").schema();
        GenericRecord node = null;
        for (int level = levels; level >= 1; level--) {
            GenericRecord parent = new GenericData.Record(nodeSchema);
            // One planted value per record, so that 100,000 levels do not make 100,000 needles.
            parent.put("label", level == 1 ? feed.plant("label") : "n" + level);
            List<GenericRecord> items = node == null ? List.of() : List.of(node);
            parent.put("children", new GenericData.Array<>(children, items));
            node = parent;
        }
        GenericRecord entry = new GenericData.Record(TREE_SCHEMA);
        entry.put("org_id", ORG);
        entry.put("secret", feed.plant("secret"));
        entry.put("tree", node);
        return entry;
    }

    /**
     * Encodes a tree entry whose nodes form a chain of {@code levels}, written by hand because
     * Avro's datum writer recurses once per level and overflows the test's stack. Each node is its
     * label, then an array block of one child (or the empty array at the innermost node), and each
     * block of one child ends with a count of 0 once the child is written.
     */
    private static byte[] deepTree(String secret, String label, int levels) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        encoder.writeString(ORG);
        encoder.writeString(secret);
        for (int level = 1; level <= levels; level++) {
            encoder.writeString(level == 1 ? label : "n" + level);
            encoder.writeLong(level < levels ? 1 : 0);
        }
        for (int level = 1; level < levels; level++) {
            encoder.writeLong(0);
        }
        encoder.flush();
        return out.toByteArray();
    }

    /**
     * Encodes a record of an unrelated schema in plain Avro binary, whose third field, {@link
     * #CARD_NUMBER}, comes where the Kong schema expects the length of {@code request.uri}.
     */
    private static byte[] otherSchemaValue(String cardHolder) throws Exception {
        Schema payment =
                new Schema.Parser()
                        .parse(
                                """
                                {"type": "record", "name": "Payment", "namespace": "other",
                                 "fields": [
                                   {"name": "customer", "type": "string"},
                                   {"name": "card_holder", "type": "string"},
                                   {"name": "card_number", "type": "long"}]}
                                """);
        GenericRecord record = new GenericData.Record(payment);
        record.put("customer", "customer-4711");
        record.put("card_holder", cardHolder);
        record.put("card_number", CARD_NUMBER);
        return JobHarness.avro(record);
    }

    /**
     * Encodes a copy of {@code entry} whose request body is {@code marker}, with the body's length
     * prefix replaced by one that declares 1 GiB. The rest of the record follows unchanged.
     */
    private static byte[] declaredGibBody(GenericRecord entry, String marker) throws Exception {
        GenericRecord copy = GenericData.get().deepCopy(entry.getSchema(), entry);
        ((GenericRecord) copy.get("request")).put("body", marker);
        byte[] encoded = JobHarness.avro(copy);
        byte[] body = concat(varint(marker.length()), bytes(marker));
        return replace(encoded, body, concat(varint(1 << 30), bytes(marker)));
    }

    /** Encodes a copy of {@code entry} whose request body pads the encoding to {@code size}. */
    private static byte[] sized(GenericRecord entry, int size, String marker) throws Exception {
        GenericRecord copy = GenericData.get().deepCopy(entry.getSchema(), entry);
        GenericRecord request = (GenericRecord) copy.get("request");
        int padding = 0;
        for (int attempt = 0; attempt < 8; attempt++) {
            request.put("body", marker + " " + "a".repeat(padding));
            byte[] encoded = JobHarness.avro(copy);
            if (encoded.length == size) {
                return encoded;
            }
            padding += size - encoded.length;
        }
        throw new AssertionError("no body pads the record to " + size + " bytes");
    }

    /** Returns the bytes the current thread allocates while {@code action} runs. */
    private static long allocatedBy(Runnable action) {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        action.run();
        return threads.getCurrentThreadAllocatedBytes() - before;
    }

    private static byte[] varint(int value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        try {
            encoder.writeInt(value);
            encoder.flush();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    /** Replaces the one occurrence of {@code target} in {@code data}. */
    private static byte[] replace(byte[] data, byte[] target, byte[] replacement) {
        int at = -1;
        for (int i = 0; i + target.length <= data.length; i++) {
            if (Arrays.equals(data, i, i + target.length, target, 0, target.length)) {
                assertThat(at).as("occurrences of the replaced bytes").isEqualTo(-1);
                at = i;
            }
        }
        assertThat(at).as("position of the replaced bytes").isNotNegative();
        return concat(
                Arrays.copyOfRange(data, 0, at),
                replacement,
                Arrays.copyOfRange(data, at + target.length, data.length));
    }
}
