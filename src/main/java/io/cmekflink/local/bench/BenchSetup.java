package io.cmekflink.local.bench;

import io.cmekflink.link.KeyChangeEvent;
import io.cmekflink.link.KeyChangeSignatures;
import io.cmekflink.local.EmbeddedKafka;
import io.cmekflink.local.Topics;
import io.cmekflink.local.kms.KmsAction;
import io.cmekflink.local.kms.KmsEmulator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * The benchmark's fixtures: an in-JVM broker and KMS emulator, one key per org, signed key-change
 * events that link every org, and pre-loaded records topics. Each org's key lives in the org's own
 * AWS account, and its key policy allows the platform's account, as for a linked CMEK.
 */
final class BenchSetup implements AutoCloseable {

    static final String REGION = "eu-west-1";
    static final String KEY_CHANGES_TOPIC = "bench-key-changes";

    /** Partitions of every records topic: one per core of the machine the benchmark targets. */
    static final int PARTITIONS = 2;

    private final EmbeddedKafka kafka;
    private final KmsEmulator kms;
    private final KeyPair signingKey = KeyChangeSignatures.generateKeyPair();
    private final Path workDir;
    private final Path publicKeyFile;
    private final Path schemaFile;
    private int linkedOrgs;

    private BenchSetup(EmbeddedKafka kafka, KmsEmulator kms, Path workDir) throws Exception {
        this.kafka = kafka;
        this.kms = kms;
        this.workDir = workDir;
        this.publicKeyFile = workDir.resolve("signing-public.pem");
        Path privateFile = workDir.resolve("signing-key.pem");
        KeyChangeSignatures.writeKeyPair(signingKey, privateFile, publicKeyFile);
        Files.delete(privateFile);
        this.schemaFile = workDir.resolve("bench-api-log-entry.avsc");
        Files.writeString(schemaFile, BenchRecords.SCHEMA.toString(true));
    }

    /** Starts the broker and the emulator on ephemeral loopback ports. */
    static BenchSetup start() throws Exception {
        KmsEmulator.useDefaultAccountForSdkChain();
        Path workDir = Files.createTempDirectory("cmek-flink-bench");
        EmbeddedKafka kafka = EmbeddedKafka.start(0);
        KmsEmulator kms;
        try {
            kms = KmsEmulator.start();
        } catch (RuntimeException e) {
            kafka.close();
            throw e;
        }
        try {
            kafka.createCompactedTopics(1, List.of(KEY_CHANGES_TOPIC));
            return new BenchSetup(kafka, kms, workDir);
        } catch (Exception e) {
            kms.close();
            kafka.close();
            throw e;
        }
    }

    EmbeddedKafka kafka() {
        return kafka;
    }

    KmsEmulator kms() {
        return kms;
    }

    String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    Path publicKeyFile() {
        return publicKeyFile;
    }

    Path schemaFile() {
        return schemaFile;
    }

    /**
     * Returns the checkpoint directory of one run. Flink's default, JobManager memory, refuses task
     * state above 5 MiB, which the links of thousands of orgs and the records waiting for them
     * exceed: every checkpoint would fail and the job restart.
     */
    Path checkpointDir(String runId) {
        return workDir.resolve("checkpoints").resolve(runId).toAbsolutePath();
    }

    static String orgId(int index) {
        return String.format("org-%05d", index);
    }

    /** Returns the 12-digit AWS account of an org's key. */
    static String account(int index) {
        return String.format("%012d", 200_000_000_000L + index);
    }

    /**
     * Creates keys for orgs {@code 0..count-1} that are not linked yet and publishes their signed
     * links to the key-change topic. Orgs linked earlier keep their keys.
     */
    void linkOrgs(int count) throws Exception {
        if (count <= linkedOrgs) {
            return;
        }
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(bootstrapServers())) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (int i = linkedOrgs; i < count; i++) {
                String org = orgId(i);
                String arn = kms.createKey(account(i), REGION, "bench key of " + org);
                kms.policy(arn)
                        .allow(
                                KmsEmulator.DEFAULT_ACCOUNT,
                                KmsAction.GENERATE_DATA_KEY,
                                KmsAction.DECRYPT,
                                KmsAction.DESCRIBE_KEY,
                                KmsAction.GET_KEY_ROTATION_STATUS);
                KeyChangeEvent event =
                        KeyChangeSignatures.sign(
                                KeyChangeEvent.linked(
                                        org,
                                        org + "-key",
                                        arn,
                                        REGION,
                                        "bench key link",
                                        1,
                                        System.currentTimeMillis()),
                                signingKey.getPrivate());
                sent.add(
                        producer.send(
                                new ProducerRecord<>(
                                        KEY_CHANGES_TOPIC,
                                        org.getBytes(StandardCharsets.UTF_8),
                                        event.toBytes())));
            }
            for (Future<RecordMetadata> f : sent) {
                f.get();
            }
        }
        linkedOrgs = count;
    }

    /**
     * Creates a records topic and writes {@code records} records to it: org {@code i % orgs} for
     * record {@code i}, so that orgs are evenly interleaved, or with {@code hotShare} above 0 that
     * share of records from org 0 and the rest spread over the others.
     */
    void loadRecords(String topic, int records, int orgs, double hotShare, long seed)
            throws Exception {
        kafka.createTopics(PARTITIONS, List.of(topic));
        BenchRecords generator = new BenchRecords(seed);
        java.util.Random picks = new java.util.Random(seed + 1);
        try (KafkaProducer<byte[], byte[]> producer = loader()) {
            Future<RecordMetadata> last = null;
            for (int i = 0; i < records; i++) {
                int org = orgOf(i, orgs, hotShare, picks);
                String orgId = orgId(org);
                byte[] value = BenchRecords.encode(generator.next(orgId));
                last =
                        producer.send(
                                new ProducerRecord<>(
                                        topic,
                                        i % PARTITIONS,
                                        orgId.getBytes(StandardCharsets.UTF_8),
                                        value));
            }
            producer.flush();
            if (last != null) {
                last.get();
            }
        }
    }

    /**
     * Creates the producer that pre-loads records: large batches and one request in flight per
     * connection. With the shared producer settings (5 ms linger, 5 requests in flight), loading
     * 100,000 records on the in-JVM broker of a loaded machine once fell into a loop of {@code
     * OutOfOrderSequenceException} retries and slowed to about 60 records per second.
     */
    private KafkaProducer<byte[], byte[]> loader() {
        java.util.Properties props = new java.util.Properties();
        props.put("bootstrap.servers", bootstrapServers());
        props.put("acks", "all");
        props.put("enable.idempotence", "true");
        props.put("max.in.flight.requests.per.connection", "1");
        props.put("linger.ms", "20");
        props.put("batch.size", String.valueOf(256 * 1024));
        props.put("compression.type", "lz4");
        return new KafkaProducer<>(
                props,
                new org.apache.kafka.common.serialization.ByteArraySerializer(),
                new org.apache.kafka.common.serialization.ByteArraySerializer());
    }

    private static int orgOf(int i, int orgs, double hotShare, java.util.Random picks) {
        if (hotShare <= 0 || orgs == 1) {
            return i % orgs;
        }
        return picks.nextDouble() < hotShare ? 0 : 1 + picks.nextInt(orgs - 1);
    }

    /** Creates output topics whose records carry the broker's append time. */
    void createOutputTopics(String... topics) throws Exception {
        kafka.createTopics(PARTITIONS, List.of(topics));
        for (String topic : topics) {
            kafka.setTopicConfig(topic, "message.timestamp.type", "LogAppendTime");
        }
    }

    /**
     * Creates a data-key topic with {@code cleanup.policy=compact}, which the jobs check before
     * they start. One partition is enough for one entry per org and DEK.
     */
    void createDataKeyTopic(String topic) throws Exception {
        kafka.createCompactedTopics(1, List.of(topic));
    }

    /** Deletes topics whose data the benchmark no longer needs, to bound its disk use. */
    void deleteTopics(String... topics) throws Exception {
        try (var admin = org.apache.kafka.clients.admin.Admin.create(kafka.clientProperties())) {
            admin.deleteTopics(List.of(topics))
                    .all()
                    .get(30, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() throws Exception {
        try {
            kms.close();
        } finally {
            kafka.close();
            Files.deleteIfExists(schemaFile);
            Files.deleteIfExists(publicKeyFile);
            deleteTree(workDir.resolve("checkpoints"));
            Files.deleteIfExists(workDir);
        }
    }

    private static void deleteTree(Path root) throws java.io.IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (var paths = Files.walk(root)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
