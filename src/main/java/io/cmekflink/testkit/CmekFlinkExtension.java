package io.cmekflink.testkit;

import io.cmekflink.config.JobOptions;
import io.cmekflink.ingest.ValueFormat;
import io.cmekflink.local.Sandbox;
import io.cmekflink.local.kms.KmsEmulator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.flink.api.common.JobID;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs the cmek-flink encrypt job for a test: an in-JVM Kafka broker, the KMS emulator, a signed
 * key link per org, and the job on a Flink mini cluster, all on 127.0.0.1 with ephemeral ports.
 *
 * <p>Register it with {@code @RegisterExtension} on a {@code static} field to share one job across
 * the tests of a class (started before all, stopped after all), or on an instance field for one job
 * per test. The job reads {@link #recordsTopic()} and writes {@link #encryptedTopic()} and {@link
 * #deadLettersTopic()}; {@link #reader()} reads both back, decrypted.
 *
 * <p>While it runs, the JVM's system properties {@code aws.accessKeyId}, {@code
 * aws.secretAccessKey}, {@code aws.region} and {@code aws.disableEc2Metadata=true} point the AWS
 * SDK's default provider chain at the emulator's static test credentials, because the job's KMS
 * clients read that chain. The last extension to stop restores the earlier values.
 *
 * <p>Keys live in the emulator's account {@value KmsEmulator#DEFAULT_ACCOUNT}, region {@value
 * Sandbox#REGION}, and the job runs in geo EU.
 */
public final class CmekFlinkExtension
        implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {

    private final TestkitSettings settings;
    private SandboxJob running;
    private boolean perTest;

    private CmekFlinkExtension(TestkitSettings settings) {
        this.settings = settings;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        running = SandboxJob.start(settings);
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        stop();
    }

    /** Starts a job for this test when the extension is an instance field. */
    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        if (running == null) {
            perTest = true;
            running = SandboxJob.start(settings);
        }
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        if (perTest) {
            stop();
        }
    }

    private void stop() throws Exception {
        SandboxJob job = running;
        running = null;
        if (job != null) {
            job.close();
        }
    }

    private SandboxJob running() {
        if (running == null) {
            throw new IllegalStateException(
                    "the cmek-flink test kit is not running: register CmekFlinkExtension with"
                            + " @RegisterExtension and use it inside a test or a"
                            + " @BeforeEach/@BeforeAll method that runs after it");
        }
        return running;
    }

    /** Returns the broker's bootstrap address, such as {@code 127.0.0.1:40123}. */
    public String bootstrapServers() {
        return running().sandbox().bootstrapServers();
    }

    /** Returns the KMS emulator's endpoint, such as {@code http://127.0.0.1:40125}. */
    public URI kmsEndpoint() {
        return running().sandbox().kms().endpoint();
    }

    /**
     * Returns the KMS emulator, to disable a key or inject faults. Its clients need static
     * credentials, see {@link KmsEmulator#defaultAccountClient}.
     */
    public KmsEmulator kms() {
        return running().sandbox().kms();
    }

    /** Returns the AWS region of the keys, {@value Sandbox#REGION}. */
    public String region() {
        return Sandbox.REGION;
    }

    /** Returns the topic the job reads: the one the service under test writes to. */
    public String recordsTopic() {
        return Sandbox.RECORDS_TOPIC;
    }

    public String encryptedTopic() {
        return Sandbox.ENCRYPTED_TOPIC;
    }

    public String deadLettersTopic() {
        return Sandbox.DEAD_LETTERS_TOPIC;
    }

    /** Returns the compacted topic of signed key-change events. */
    public String keyChangesTopic() {
        return Sandbox.KEY_CHANGES_TOPIC;
    }

    /**
     * Returns the compacted data-key topic that the job definition sets in {@code
     * encryption.data-key-topic} through {@link Builder#option}, or the empty string when it sets
     * none. The extension creates the topic before the job starts.
     */
    public String dataKeyTopic() {
        return running().dataKeyTopic();
    }

    /** Returns the Flink job id of the encrypt job. */
    public JobID jobId() {
        return running().jobId();
    }

    /** Returns the key ARN that the org is linked to now, or {@code null} when it has none. */
    public String keyArn(String orgId) {
        return running().keyArn(orgId);
    }

    /**
     * Creates a new key in the emulator and links the org to it with a signed LINKED event of the
     * org's next version, as {@code cmek-flink link-key} does. The job applies it once it reads the
     * event; records of the org sent before may still use the previous key.
     *
     * @return the new key ARN
     */
    public String link(String orgId) {
        return running().link(requireOrg(orgId));
    }

    /**
     * Removes the org's key link with a signed UNLINKED event of its next version. Records of the
     * org that the job reads after applying it become {@code KEY_UNLINKED} dead letters.
     *
     * @throws IllegalArgumentException when the org has no link
     */
    public void unlink(String orgId) {
        running().unlink(requireOrg(orgId));
    }

    /** Returns a reader of the job's output that decrypts through the KMS emulator. */
    public DecryptingReader reader() {
        return running().reader();
    }

    /**
     * Encodes a record as Avro binary under its own schema, with nothing before or after it: the
     * value format {@code avro} that the job reads by default.
     */
    public static byte[] avroBinary(GenericRecord record) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        try {
            new GenericDatumWriter<GenericRecord>(record.getSchema()).write(record, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "failed to encode a record of " + record.getSchema().getFullName(), e);
        }
        return out.toByteArray();
    }

    private static String requireOrg(String orgId) {
        if (orgId == null || orgId.isBlank()) {
            throw new IllegalArgumentException("org id must not be blank, got '" + orgId + "'");
        }
        return orgId;
    }

    /** Settings of a {@link CmekFlinkExtension}, each with a default. */
    public static final class Builder {

        /** Job-definition keys that the test kit sets itself. */
        static final Set<String> RESERVED_KEYS =
                Set.of(
                        "job.name",
                        "job.parallelism",
                        "geo",
                        "records.topic",
                        "records.format",
                        "records.schema",
                        "records.schema-ids",
                        "key-changes.topic",
                        "key-changes.public-keys",
                        "output.topic",
                        "dead-letters.topic",
                        "link.wait",
                        "kms.local-region",
                        "kms.endpoint",
                        "kafka.bootstrap.servers");

        private final Set<String> linkedOrgs = new LinkedHashSet<>();
        private String schemaPath = "schemas/kong-log-entry.avsc";
        private Schema schema;
        private ValueFormat format = ValueFormat.AVRO;
        private int confluentSchemaId = 1;
        private int partitions = 1;
        private int parallelism = 1;
        private Duration linkWait = Duration.ofSeconds(2);
        private Duration startTimeout = Duration.ofMinutes(2);
        private final Map<String, Object> options = new LinkedHashMap<>();

        private Builder() {}

        /**
         * Links each org to a key of its own before the job starts (default: none). Records of
         * other orgs become {@code NO_KEY_LINKED} dead letters after {@link #linkWait}.
         */
        public Builder linkOrgs(String... orgIds) {
            for (String org : orgIds) {
                if (!linkedOrgs.add(requireOrg(org))) {
                    throw new IllegalArgumentException("org " + org + " is listed twice");
                }
            }
            return this;
        }

        /**
         * Sets the writer schema file (.avsc) of the records, read from the file system relative to
         * the working directory, else from the classpath (default: {@code
         * schemas/kong-log-entry.avsc}, which the cmek-flink jar contains).
         */
        public Builder schema(String path) {
            if (path == null || path.isBlank()) {
                throw new IllegalArgumentException("schema path must not be blank");
            }
            this.schemaPath = path;
            this.schema = null;
            return this;
        }

        /** Sets the writer schema of the records. */
        public Builder schema(Schema writerSchema) {
            this.schema = Objects.requireNonNull(writerSchema, "writerSchema");
            this.schemaPath = null;
            return this;
        }

        /** Sets the value format of the records topic (default: {@link ValueFormat#AVRO}). */
        public Builder format(ValueFormat valueFormat) {
            this.format = Objects.requireNonNull(valueFormat, "valueFormat");
            return this;
        }

        /** Sets the schema id of the writer schema for {@link ValueFormat#CONFLUENT_AVRO}. */
        public Builder confluentSchemaId(int id) {
            if (id < 0) {
                throw new IllegalArgumentException("schema id must be 0 or more, got " + id);
            }
            this.confluentSchemaId = id;
            return this;
        }

        /** Sets the partitions of the records, encrypted and dead-letter topics (default 1). */
        public Builder partitions(int count) {
            this.partitions = atLeastOne("partitions", count);
            return this;
        }

        /** Sets the job's parallelism, which is also its number of task slots (default 1). */
        public Builder parallelism(int count) {
            this.parallelism = atLeastOne("parallelism", count);
            return this;
        }

        /**
         * Sets how long a record of an org without a key link waits before it becomes a {@code
         * NO_KEY_LINKED} dead letter (default 2 s, while the job's own default is 5 min).
         */
        public Builder linkWait(Duration wait) {
            if (wait == null || wait.isNegative() || wait.isZero()) {
                throw new IllegalArgumentException("link wait must be positive, got " + wait);
            }
            this.linkWait = wait;
            return this;
        }

        /** Sets the maximum time to start the job, and to stop it (default 2 min). */
        public Builder startTimeout(Duration timeout) {
            if (timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException(
                        "start timeout must be positive, got " + timeout);
            }
            this.startTimeout = timeout;
            return this;
        }

        /**
         * Adds a key of the job definition, as docs/configuration.md lists them, such as {@code
         * encryption.binding-fields} with a {@code List.of("request_id")} or {@code
         * flink.pipeline.max-parallelism} with {@code 8}.
         *
         * <p>With {@code encryption.data-key-topic}, the extension creates that topic compacted
         * before the job starts, and {@link CmekFlinkExtension#reader()} resolves the records'
         * data-key references.
         *
         * @param value a string, number, boolean, list or map: the YAML value of the key
         * @throws IllegalArgumentException for a key that the test kit sets itself, or a data-key
         *     topic that is one of the job's other topics
         */
        public Builder option(String key, Object value) {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
            if (RESERVED_KEYS.contains(key)) {
                throw new IllegalArgumentException(
                        "job key "
                                + key
                                + " is set by the test kit; use the builder's methods instead");
            }
            if (key.equals(JobOptions.ENCRYPTION_DATA_KEY_TOPIC.key())
                    && Sandbox.isSandboxTopic(value.toString())) {
                throw new IllegalArgumentException(
                        "job key "
                                + key
                                + " must name a topic of its own, got "
                                + value
                                + ", which the test kit creates for the job's records or key"
                                + " changes");
            }
            options.put(key, value);
            return this;
        }

        public CmekFlinkExtension build() {
            return new CmekFlinkExtension(
                    new TestkitSettings(
                            new ArrayList<>(linkedOrgs),
                            schemaPath,
                            schema,
                            format,
                            confluentSchemaId,
                            partitions,
                            parallelism,
                            linkWait,
                            startTimeout,
                            Collections.unmodifiableMap(new LinkedHashMap<>(options))));
        }

        private static int atLeastOne(String name, int count) {
            if (count < 1) {
                throw new IllegalArgumentException(name + " must be at least 1, got " + count);
            }
            return count;
        }
    }
}
