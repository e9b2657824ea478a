package io.cmekflink.testing;

import io.cmekflink.config.JobConfig;
import io.cmekflink.deadletter.DeadLetter;
import io.cmekflink.job.EncryptJob;
import io.cmekflink.job.Jobs;
import io.cmekflink.link.KeyChangeEvent;
import io.cmekflink.local.EmbeddedKafka;
import io.cmekflink.local.Topics;
import io.cmekflink.local.scan.PlaintextScanner;
import io.cmekflink.local.scan.Scan;
import io.cmekflink.local.scan.ScanResult;
import io.cmekflink.local.scan.TopicBytes;
import io.cmekflink.testkit.CmekFlinkExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.generic.GenericRecord;
import org.apache.flink.api.common.JobID;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.IsolationLevel;

/** Topics, job definitions and running jobs of the integration tests. */
public final class JobHarness {

    private static final String KONG_SCHEMA = "schemas/kong-log-entry.avsc";

    private final EmbeddedKafka kafka;
    private final String suffix;

    /** Topics of one test, named with {@code suffix} so that tests never share them. */
    public JobHarness(EmbeddedKafka kafka, String suffix) throws Exception {
        this.kafka = kafka;
        this.suffix = suffix;
        kafka.createTopics(2, List.of(records(), encrypted(), deadLetters()));
        kafka.createCompactedTopics(1, List.of(keyChanges()));
    }

    /** Topics of one test, with {@code keyChangePartitions} partitions of the key-change topic. */
    public JobHarness(EmbeddedKafka kafka, String suffix, int keyChangePartitions)
            throws Exception {
        this.kafka = kafka;
        this.suffix = suffix;
        kafka.createTopics(2, List.of(records(), encrypted(), deadLetters()));
        kafka.createCompactedTopics(keyChangePartitions, List.of(keyChanges()));
    }

    /**
     * Polls until the broker lists this test's topics. A KRaft broker learns of a new topic when it
     * replays the metadata log, which can be after the create request has completed, so a job
     * started at once can find its topics missing.
     */
    public void awaitTopics(Duration timeout) throws Exception {
        List<String> topics = List.of(records(), encrypted(), deadLetters(), keyChanges());
        try (org.apache.kafka.clients.admin.Admin admin =
                org.apache.kafka.clients.admin.Admin.create(kafka.clientProperties())) {
            await(
                    "topics " + topics + " to be listed",
                    timeout,
                    () -> {
                        try {
                            return admin.listTopics().names().get().containsAll(topics);
                        } catch (java.util.concurrent.ExecutionException e) {
                            return false;
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new AssertionError("interrupted while listing topics");
                        }
                    });
        }
    }

    public String records() {
        return "records-" + suffix;
    }

    public String keyChanges() {
        return "key-changes-" + suffix;
    }

    public String encrypted() {
        return "encrypted-" + suffix;
    }

    public String deadLetters() {
        return "dead-letters-" + suffix;
    }

    /** An encrypt job definition over this test's topics; {@code extra} adds YAML lines. */
    public JobConfig config(String kmsEndpoint, String format, String extra) {
        return config(kmsEndpoint, format, KONG_SCHEMA, extra);
    }

    /** Returns an encrypt job definition over this test's topics with another records schema. */
    public JobConfig config(String kmsEndpoint, String format, String schemaFile, String extra) {
        return definition(
                kmsEndpoint,
                schemaFile,
                "job.type: encrypt\nkey-changes.topic: "
                        + keyChanges()
                        + "\nkey-changes.public-keys: [\""
                        + TestSigning.publicKeyFile()
                        + "\"]\n"
                        + extra,
                format,
                records(),
                encrypted(),
                deadLetters());
    }

    /** The plaintext topic of a decrypt job that reads {@link #encrypted()}. */
    public String plaintext() {
        return "plaintext-" + suffix;
    }

    /** A decrypt job definition from {@code input} to {@link #plaintext()}. */
    public JobConfig decryptConfig(String kmsEndpoint, String input, String extra)
            throws Exception {
        kafka.createTopics(2, List.of(plaintext(), deadLetters() + "-decrypt"));
        return definition(
                kmsEndpoint,
                KONG_SCHEMA,
                "job.type: decrypt\n" + extra,
                "avro",
                input,
                plaintext(),
                deadLetters() + "-decrypt");
    }

    /** A re-wrap job definition for one org from {@link #encrypted()} to {@code output}. */
    public JobConfig rewrapConfig(
            String kmsEndpoint, String org, String fromArn, String toArn, String output)
            throws Exception {
        return rewrapConfig(kmsEndpoint, org, fromArn, toArn, output, "");
    }

    /** Returns a re-wrap job definition with {@code extra} YAML lines. */
    public JobConfig rewrapConfig(
            String kmsEndpoint,
            String org,
            String fromArn,
            String toArn,
            String output,
            String extra)
            throws Exception {
        kafka.createTopics(2, List.of(output, deadLetters() + "-rewrap"));
        return definition(
                kmsEndpoint,
                KONG_SCHEMA,
                "job.type: rewrap\nrewrap: {org: %s, from-key-arn: \"%s\", to-key-arn: \"%s\"}\n"
                                .formatted(org, fromArn, toArn)
                        + extra,
                "avro",
                encrypted(),
                output,
                deadLetters() + "-rewrap");
    }

    private JobConfig definition(
            String kmsEndpoint,
            String schemaFile,
            String extra,
            String format,
            String input,
            String output,
            String deadLetterTopic) {
        String yaml =
                """
                job.name: it-%s-%s
                job.parallelism: 2
                geo: EU
                records: {topic: %s, format: %s, schema: "%s"}
                output.topic: %s
                dead-letters.topic: %s
                checkpoint.interval: 500ms
                kms: {local-region: eu-west-1, endpoint: "%s"}
                kafka: {bootstrap.servers: "%s"}
                %s
                """
                        .formatted(
                                suffix,
                                output,
                                input,
                                format,
                                schemaFile,
                                output,
                                deadLetterTopic,
                                kmsEndpoint,
                                kafka.bootstrapServers(),
                                extra);
        return JobConfig.parse(yaml, "it-" + suffix + ".yaml", name -> null);
    }

    /** Builds the encrypt job and submits it to the mini cluster without waiting for it. */
    public static JobClient start(JobConfig config) throws Exception {
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(
                        EncryptJob.flinkConfiguration(config));
        Jobs.build(env, config);
        return env.executeAsync("it");
    }

    /** Sends one value to the records topic and returns where it landed. */
    public RecordMetadata send(
            KafkaProducer<byte[], byte[]> producer, int partition, String key, byte[] value)
            throws Exception {
        return producer.send(
                        new ProducerRecord<>(
                                records(),
                                partition,
                                key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                                value))
                .get();
    }

    /** Signs a key-change event with the tests' signing key and publishes it, keyed by org id. */
    public void publish(KafkaProducer<byte[], byte[]> producer, KeyChangeEvent unsigned)
            throws Exception {
        KeyChangeEvent event = TestSigning.sign(unsigned);
        producer.send(
                        new ProducerRecord<>(
                                keyChanges(),
                                event.orgId().getBytes(StandardCharsets.UTF_8),
                                event.toBytes()))
                .get();
    }

    /**
     * Signs a key-change event and sends it, keyed by org id, to one partition of the key-change
     * topic without waiting for the broker, so that thousands of events go out in batches. Call
     * {@code producer.flush()} and check the returned futures before relying on them.
     */
    public java.util.concurrent.Future<RecordMetadata> publishTo(
            KafkaProducer<byte[], byte[]> producer, int partition, KeyChangeEvent unsigned) {
        KeyChangeEvent event = TestSigning.sign(unsigned);
        return producer.send(
                new ProducerRecord<>(
                        keyChanges(),
                        partition,
                        event.orgId().getBytes(StandardCharsets.UTF_8),
                        event.toBytes()));
    }

    /**
     * Polls until the job's consumer group has committed offsets up to the end of the records
     * topic, so that a job started later with the same group does not read those records again.
     */
    public void awaitCommitted(JobConfig config, Duration timeout) throws Exception {
        String group = config.get(io.cmekflink.config.JobOptions.JOB_NAME);
        String topic = config.get(io.cmekflink.config.JobOptions.RECORDS_TOPIC);
        try (org.apache.kafka.clients.admin.Admin admin =
                org.apache.kafka.clients.admin.Admin.create(kafka.clientProperties())) {
            await(
                    "offsets of group " + group + " committed to the end of " + topic,
                    timeout,
                    () -> {
                        try {
                            var committed =
                                    admin.listConsumerGroupOffsets(group)
                                            .partitionsToOffsetAndMetadata()
                                            .get();
                            var partitions =
                                    admin.describeTopics(List.of(topic))
                                            .allTopicNames()
                                            .get()
                                            .get(topic)
                                            .partitions();
                            Map<
                                            org.apache.kafka.common.TopicPartition,
                                            org.apache.kafka.clients.admin.OffsetSpec>
                                    latest = new java.util.HashMap<>();
                            for (var p : partitions) {
                                latest.put(
                                        new org.apache.kafka.common.TopicPartition(
                                                topic, p.partition()),
                                        org.apache.kafka.clients.admin.OffsetSpec.latest());
                            }
                            var ends = admin.listOffsets(latest).all().get();
                            for (var e : ends.entrySet()) {
                                var c = committed.get(e.getKey());
                                long committedOffset = c == null ? 0 : c.offset();
                                if (committedOffset < e.getValue().offset()) {
                                    return false;
                                }
                            }
                            return true;
                        } catch (Exception e) {
                            return false;
                        }
                    });
        }
    }

    /** Sums a counter over all parallel instances of a job. */
    public static long counter(InMemoryReporter reporter, JobID job, String name) {
        long sum = 0;
        for (Map.Entry<String, Metric> e : reporter.findMetrics(job, name).entrySet()) {
            if (e.getKey().endsWith("." + name) && e.getValue() instanceof Counter c) {
                sum += c.getCount();
            }
        }
        return sum;
    }

    /** Polls until a condition holds. */
    public static void await(
            String what, Duration timeout, java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what);
            }
        }
    }

    /**
     * Encodes a record as Avro binary under its own schema, as a producer of the input writes it.
     */
    public static byte[] avro(GenericRecord record) {
        return CmekFlinkExtension.avroBinary(record);
    }

    /**
     * Scans every byte of {@code topics}, uncommitted data included, for the sensitive values and
     * fails with the scan's report when one is found. The scanner must first find a value planted
     * in a sample, so that a broken scanner cannot pass.
     *
     * @return how many distinct values the scan searched for
     */
    public int assertNoPlaintext(List<String> sensitive, List<String> topics, Duration timeout) {
        PlaintextScanner scanner = PlaintextScanner.of(sensitive);
        if (scanner.selfTest() <= 0) {
            throw new AssertionError("the plaintext scanner did not find its planted value");
        }
        Scan scan = scanner.newScan();
        Properties props = kafka.clientProperties();
        props.put("max.partition.fetch.bytes", String.valueOf(16 << 20));
        TopicBytes.read(props, topics, IsolationLevel.READ_UNCOMMITTED, timeout, scan);
        ScanResult result = scan.result();
        if (result.hitCount() != 0) {
            throw new AssertionError(
                    result.hitCount()
                            + " sensitive values found in "
                            + topics
                            + ": "
                            + result.report());
        }
        return scanner.searchedValueCount();
    }

    /** Reads every committed dead letter of {@code topic}. */
    public List<DeadLetter> readDeadLetters(String topic, Duration timeout) throws IOException {
        List<DeadLetter> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r :
                Topics.readAll(kafka.bootstrapServers(), topic, true, timeout)) {
            out.add(DeadLetter.fromBytes(r.value()));
        }
        return out;
    }
}
