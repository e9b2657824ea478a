package io.cmekflink.testkit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.cmekflink.config.JobConfig;
import io.cmekflink.config.JobOptions;
import io.cmekflink.ingest.ValueFormat;
import io.cmekflink.job.EncryptJob;
import io.cmekflink.job.Jobs;
import io.cmekflink.link.KeyChangeEvent;
import io.cmekflink.link.KeyChangeSignatures;
import io.cmekflink.link.admin.KeyChangePublisher;
import io.cmekflink.local.Sandbox;
import io.cmekflink.local.kms.KmsEmulator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * The running parts of one extension: the sandbox (broker and KMS emulator), the control plane's
 * signing key, the key links, and the encrypt job on its own mini cluster. Every address is on
 * 127.0.0.1 with an ephemeral port.
 */
final class SandboxJob implements AutoCloseable {

    private static final Duration POLL = Duration.ofMillis(50);
    private static final Duration PUBLISH_TIMEOUT = Duration.ofSeconds(30);
    private static final AtomicInteger JOB_NUMBERS = new AtomicInteger();

    private final TestkitSettings settings;
    private final Map<String, String> keyArns = new HashMap<>();
    private final Map<String, Long> versions = new HashMap<>();
    private Path tempDir;
    private KeyPair signingKey;
    private Sandbox sandbox;
    private KmsClient kmsClient;
    private JobConfig config;
    private String dataKeyTopic = "";
    private MiniCluster miniCluster;
    private JobID jobId;

    private SandboxJob(TestkitSettings settings) {
        this.settings = settings;
    }

    /** Starts everything, links the settings' orgs and waits until the job runs. */
    static SandboxJob start(TestkitSettings settings) throws Exception {
        SandboxJob job = new SandboxJob(settings);
        AwsTestProperties.acquire();
        try {
            job.startParts();
        } catch (Exception | Error e) {
            try {
                job.close();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return job;
    }

    private void startParts() throws Exception {
        tempDir = Files.createTempDirectory("cmek-flink-testkit");
        signingKey = KeyChangeSignatures.generateKeyPair();
        Path publicKey = tempDir.resolve("signing-public.pem");
        Path privateKey = tempDir.resolve("signing-key.pem");
        KeyChangeSignatures.writeKeyPair(signingKey, privateKey, publicKey);
        // The private key stays in memory only.
        Files.delete(privateKey);

        sandbox = Sandbox.start(0, 0, settings.partitions());
        kmsClient = sandbox.kms().defaultAccountClient(Sandbox.REGION);
        for (String org : settings.linkedOrgs()) {
            link(org);
        }
        config = JobConfig.parse(jobYaml(publicKey), "cmek-flink-testkit.yaml", name -> null);
        dataKeyTopic = config.get(JobOptions.ENCRYPTION_DATA_KEY_TOPIC);
        if (!dataKeyTopic.isEmpty()) {
            sandbox.createDataKeyTopic(dataKeyTopic);
        }
        startJob();
    }

    private String jobYaml(Path publicKey) throws IOException {
        Map<String, Object> yaml = new LinkedHashMap<>();
        yaml.put("job.name", "cmek-flink-testkit-" + JOB_NUMBERS.incrementAndGet());
        yaml.put("job.parallelism", settings.parallelism());
        yaml.put("geo", "EU");
        yaml.put("records.topic", Sandbox.RECORDS_TOPIC);
        yaml.put("records.format", settings.format().formatName());
        String schemaPath = settings.schemaPath();
        if (settings.schema() != null) {
            Path file = tempDir.resolve("writer-schema.avsc");
            Files.writeString(file, settings.schema().toString(true));
            schemaPath = file.toString();
        }
        if (settings.format() == ValueFormat.CONFLUENT_AVRO) {
            yaml.put(
                    "records.schema-ids",
                    Map.of(String.valueOf(settings.confluentSchemaId()), schemaPath));
        } else {
            yaml.put("records.schema", schemaPath);
        }
        yaml.put("key-changes.topic", Sandbox.KEY_CHANGES_TOPIC);
        yaml.put("key-changes.public-keys", List.of(publicKey.toString()));
        yaml.put("output.topic", Sandbox.ENCRYPTED_TOPIC);
        yaml.put("dead-letters.topic", Sandbox.DEAD_LETTERS_TOPIC);
        yaml.put("checkpoint.interval", "500ms");
        yaml.put("link.wait", settings.linkWait().toMillis() + "ms");
        yaml.put("kms.local-region", Sandbox.REGION);
        yaml.put("kms.endpoint", sandbox.kms().endpoint().toString());
        yaml.put("kafka.bootstrap.servers", sandbox.bootstrapServers());
        yaml.putAll(settings.options());
        return new ObjectMapper(new YAMLFactory()).writeValueAsString(yaml);
    }

    private void startJob() throws Exception {
        Configuration cluster = new Configuration();
        cluster.set(JobManagerOptions.ADDRESS, "127.0.0.1");
        cluster.set(JobManagerOptions.BIND_HOST, "127.0.0.1");
        cluster.set(TaskManagerOptions.HOST, "127.0.0.1");
        cluster.set(TaskManagerOptions.BIND_HOST, "127.0.0.1");
        cluster.set(RestOptions.ADDRESS, "127.0.0.1");
        cluster.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
        cluster.set(RestOptions.BIND_PORT, "0");
        miniCluster =
                new MiniCluster(
                        new MiniClusterConfiguration.Builder()
                                .setConfiguration(cluster)
                                .setNumTaskManagers(1)
                                .setNumSlotsPerTaskManager(settings.parallelism())
                                .build());
        miniCluster.start();

        StreamExecutionEnvironment env =
                new StreamExecutionEnvironment(EncryptJob.flinkConfiguration(config));
        Jobs.build(env, config);
        jobId = miniCluster.submitJob(env.getStreamGraph()).get().getJobID();
        awaitRunning();
    }

    private void awaitRunning() throws Exception {
        long deadline = System.nanoTime() + settings.startTimeout().toNanos();
        while (true) {
            JobStatus status = miniCluster.getJobStatus(jobId).get();
            if (status == JobStatus.RUNNING) {
                return;
            }
            if (status.isGloballyTerminalState()) {
                Throwable failure =
                        miniCluster
                                .requestJobResult(jobId)
                                .get()
                                .getSerializedThrowable()
                                .map(t -> (Throwable) t)
                                .orElse(null);
                throw new IllegalStateException(
                        "encrypt job " + jobId + " ended with " + status + " at start", failure);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        "encrypt job "
                                + jobId
                                + " is "
                                + status
                                + ", not RUNNING, after "
                                + settings.startTimeout());
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    /** Creates a new key for the org and publishes a signed LINKED event of the next version. */
    synchronized String link(String org) {
        String arn =
                sandbox.kms()
                        .createKey(
                                KmsEmulator.DEFAULT_ACCOUNT,
                                Sandbox.REGION,
                                "cmek-flink test kit key of org " + org);
        long version = versions.merge(org, 1L, Long::sum);
        publish(
                KeyChangeEvent.linked(
                        org,
                        "testkit",
                        arn,
                        Sandbox.REGION,
                        null,
                        version,
                        System.currentTimeMillis()));
        keyArns.put(org, arn);
        return arn;
    }

    /** Publishes a signed UNLINKED event of the org's next version. */
    synchronized void unlink(String org) {
        if (!keyArns.containsKey(org)) {
            throw new IllegalArgumentException(
                    "org " + org + " has no key link to remove: link it first");
        }
        long version = versions.merge(org, 1L, Long::sum);
        publish(KeyChangeEvent.unlinked(org, version, System.currentTimeMillis()));
        keyArns.remove(org);
    }

    private void publish(KeyChangeEvent event) {
        KeyChangeEvent signed = KeyChangeSignatures.sign(event, signingKey.getPrivate());
        new KeyChangePublisher(sandbox.bootstrapServers(), PUBLISH_TIMEOUT)
                .publish(Sandbox.KEY_CHANGES_TOPIC, signed);
    }

    synchronized String keyArn(String org) {
        return keyArns.get(org);
    }

    Sandbox sandbox() {
        return sandbox;
    }

    JobID jobId() {
        return jobId;
    }

    /** Returns the job's data-key topic, or the empty string when it sets none. */
    String dataKeyTopic() {
        return dataKeyTopic;
    }

    DecryptingReader reader() {
        return new DecryptingReader(
                sandbox.bootstrapServers(),
                Sandbox.ENCRYPTED_TOPIC,
                Sandbox.DEAD_LETTERS_TOPIC,
                config,
                kmsClient);
    }

    /** Cancels the job and stops everything that {@link #start} started, in reverse order. */
    @Override
    public void close() throws Exception {
        try {
            if (miniCluster != null) {
                try {
                    if (jobId != null) {
                        cancel();
                    }
                } finally {
                    miniCluster.close();
                }
            }
        } finally {
            try {
                if (kmsClient != null) {
                    kmsClient.close();
                }
                if (sandbox != null) {
                    sandbox.close();
                }
            } finally {
                deleteTempDir();
                AwsTestProperties.release();
            }
        }
    }

    private void cancel() throws Exception {
        if (!miniCluster.getJobStatus(jobId).get().isGloballyTerminalState()) {
            miniCluster
                    .cancelJob(jobId)
                    .get(settings.startTimeout().toMillis(), TimeUnit.MILLISECONDS);
        }
        miniCluster
                .requestJobResult(jobId)
                .get(settings.startTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    private void deleteTempDir() throws IOException {
        if (tempDir == null) {
            return;
        }
        try (Stream<Path> files = Files.walk(tempDir)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        }
    }
}
