package io.cmekflink.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cmekflink.crypto.Decrypter;
import io.cmekflink.deadletter.DeadLetter;
import io.cmekflink.job.JobSchemas;
import io.cmekflink.link.KeyChangeEvent;
import io.cmekflink.local.EmbeddedKafka;
import io.cmekflink.local.Topics;
import io.cmekflink.local.demo.GeneratedKongEntry;
import io.cmekflink.local.demo.KongLogGenerator;
import io.cmekflink.local.kms.KmsEmulator;
import io.cmekflink.schema.DerivedSchemaRegistry;
import io.cmekflink.testing.JobHarness;
import io.cmekflink.testing.TestAws;
import io.cmekflink.testing.TestSigning;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.flink.configuration.ClusterOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.configuration.WebOptions;
import org.apache.flink.core.security.FlinkSecurityManager;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * Submits the job jar, {@code target/cmek-flink.jar}, to a Flink session cluster through Flink's
 * REST API, as the web UI and REST clients do: upload ({@code POST /jars/upload}), run ({@code POST
 * /jars/:jarid/run} with the program arguments {@code run <job.yaml>}), and cancel ({@code PATCH
 * /jobs/:jobid?mode=cancel}). The session cluster is a mini cluster in this JVM with its REST
 * endpoint on 127.0.0.1 and an ephemeral port. The job reads and writes the in-JVM broker and uses
 * the KMS emulator.
 *
 * <p>The cluster runs the jar's main method in its own user-code class loader, child-first as on a
 * real cluster, so the job's classes come from the jar. This JVM's class path also holds Flink's
 * Kafka connector, which Flink loads parent-first (it is under {@code org.apache.flink.}), so
 * {@code org.apache.kafka.} is made parent-first too: the connector and the job then share one copy
 * of kafka-clients, as they do on a cluster that loads both from the jar.
 */
class RestSubmitIT {

    private static final Path JAR = Path.of("target/cmek-flink.jar");
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir static Path tempDir;

    private static EmbeddedKafka kafka;
    private static KmsEmulator kms;
    private static KmsClient kmsClient;
    private static MiniCluster cluster;
    private static URI rest;
    private static HttpClient http;
    private static SecurityManager previousSecurityManager;

    @BeforeAll
    static void start() throws Exception {
        // What a session cluster configured with cluster.intercept-user-system-exit: THROW does
        // at start: a System.exit in a jar's main method then raises an exception there and
        // leaves this JVM running.
        previousSecurityManager = System.getSecurityManager();
        FlinkSecurityManager.setFromConfiguration(interceptExit(new Configuration()));
        kafka = EmbeddedKafka.start(0);
        kms = KmsEmulator.start(0);
        TestAws.useEmulatorCredentials();
        kmsClient = TestAws.syncClient(kms, TestAws.REGION);

        cluster = new MiniCluster(clusterConfiguration());
        cluster.start();
        rest = cluster.getRestAddress().get();
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    /**
     * Configures a session cluster on loopback that stores jar uploads in a temporary directory.
     */
    private static MiniClusterConfiguration clusterConfiguration() {
        Configuration config = new Configuration();
        config.set(JobManagerOptions.ADDRESS, "127.0.0.1");
        config.set(JobManagerOptions.BIND_HOST, "127.0.0.1");
        config.set(TaskManagerOptions.HOST, "127.0.0.1");
        config.set(TaskManagerOptions.BIND_HOST, "127.0.0.1");
        config.set(RestOptions.ADDRESS, "127.0.0.1");
        config.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
        config.set(RestOptions.BIND_PORT, "0");
        config.set(WebOptions.UPLOAD_DIR, tempDir.resolve("uploads").toString());
        interceptExit(config);
        config.set(
                CoreOptions.ALWAYS_PARENT_FIRST_LOADER_PATTERNS_ADDITIONAL,
                List.of("org.apache.kafka."));
        return new MiniClusterConfiguration.Builder()
                .setConfiguration(config)
                .setNumTaskManagers(1)
                .setNumSlotsPerTaskManager(2)
                .build();
    }

    private static Configuration interceptExit(Configuration config) {
        config.set(
                ClusterOptions.INTERCEPT_USER_SYSTEM_EXIT, ClusterOptions.UserSystemExitMode.THROW);
        return config;
    }

    @AfterAll
    static void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
        System.setSecurityManager(previousSecurityManager);
        if (kmsClient != null) {
            kmsClient.close();
        }
        if (kms != null) {
            kms.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void uploadRunAndCancelJobJar() throws Exception {
        assertThat(Files.exists(JAR)).as(JAR + " is built before integration tests").isTrue();
        JobHarness h = new JobHarness(kafka, "rest");
        String keyArn = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, TestAws.REGION);
        Path jobFile = writeJobFile(h);

        String jarId = upload(JAR);
        assertThat(jarId).endsWith("_cmek-flink.jar");
        // The cluster turns a System.exit in the jar's main method into an exception, so a main
        // method that exits would fail this request with HTTP 400 instead of stopping the JVM.
        JsonNode submitted = run(jarId, List.of("run", jobFile.toString()), 200);
        String jobId = submitted.get("jobid").asText();
        assertThat(awaitJobNamed("rest-submit")).isEqualTo(jobId);
        awaitState(jobId, "RUNNING");

        Schema schema = new Schema.Parser().parse(new File("schemas/kong-log-entry.avsc"));
        List<GeneratedKongEntry> entries =
                new KongLogGenerator(schema, List.of("org-rest"), 31).next(12);
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            h.publish(
                    producer,
                    KeyChangeEvent.linked("org-rest", "rest", keyArn, TestAws.REGION, null, 1, 1L));
            for (GeneratedKongEntry entry : entries) {
                h.send(producer, 0, "org-rest", JobHarness.avro(entry.record()));
            }
        }
        List<ConsumerRecord<byte[], byte[]>> encrypted =
                Topics.readUntil(
                        kafka.bootstrapServers(),
                        h.encrypted(),
                        r -> r.size() >= entries.size(),
                        TIMEOUT);

        cancel(jobId);
        awaitState(jobId, "CANCELED");

        assertThat(encrypted).hasSize(entries.size());
        Decrypter decrypter = new Decrypter(registry(jobFile), region -> kmsClient);
        List<GenericRecord> decrypted = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : encrypted) {
            decrypted.add(decrypter.decrypt(r.value()));
        }
        assertThat(decrypted)
                .containsExactlyElementsOf(
                        entries.stream().map(GeneratedKongEntry::record).toList());
        List<DeadLetter> deadLetters = h.readDeadLetters(h.deadLetters(), TIMEOUT);
        assertThat(deadLetters).isEmpty();
    }

    /** Writes the encrypt job's definition, as an operator keeps it next to the cluster. */
    private static Path writeJobFile(JobHarness h) throws Exception {
        String yaml =
                """
                job.name: rest-submit
                job.parallelism: 1
                geo: EU
                records: {topic: %s, format: avro, schema: schemas/kong-log-entry.avsc}
                key-changes.topic: %s
                key-changes.public-keys: ["%s"]
                output.topic: %s
                dead-letters.topic: %s
                checkpoint.interval: 500ms
                kms: {local-region: %s, endpoint: "%s"}
                kafka: {bootstrap.servers: "%s"}
                """
                        .formatted(
                                h.records(),
                                h.keyChanges(),
                                TestSigning.publicKeyFile(),
                                h.encrypted(),
                                h.deadLetters(),
                                TestAws.REGION,
                                kms.endpoint(),
                                kafka.bootstrapServers());
        Path file = tempDir.resolve("rest-submit.yaml");
        Files.writeString(file, yaml);
        return file;
    }

    private static DerivedSchemaRegistry registry(Path jobFile) {
        DerivedSchemaRegistry registry = new DerivedSchemaRegistry();
        registry.register(JobSchemas.of(io.cmekflink.config.JobConfig.load(jobFile)).derived(0));
        return registry;
    }

    /** Uploads a jar as a multipart/form-data part named {@code jarfile} and returns its jar id. */
    private static String upload(Path jar) throws Exception {
        String boundary = "cmek-flink-" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(
                ("--"
                                + boundary
                                + "\r\nContent-Disposition: form-data; name=\"jarfile\";"
                                + " filename=\""
                                + jar.getFileName()
                                + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
        body.write(Files.readAllBytes(jar));
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        HttpRequest request =
                HttpRequest.newBuilder(rest.resolve("/jars/upload"))
                        .timeout(TIMEOUT)
                        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
                        .build();
        JsonNode response = send(request, 200);
        assertThat(response.path("status").asText()).isEqualTo("success");
        return Path.of(response.path("filename").asText()).getFileName().toString();
    }

    /** Runs an uploaded jar's main class with the given arguments and returns the response. */
    private static JsonNode run(String jarId, List<String> args, int expectedStatus)
            throws Exception {
        HttpRequest request =
                HttpRequest.newBuilder(rest.resolve("/jars/" + jarId + "/run"))
                        .timeout(TIMEOUT)
                        .header("Content-Type", "application/json")
                        .POST(
                                HttpRequest.BodyPublishers.ofString(
                                        JSON.writeValueAsString(Map.of("programArgsList", args))))
                        .build();
        return send(request, expectedStatus);
    }

    /** Polls {@code GET /jobs/overview} until it lists a job of that name, and returns its id. */
    private static String awaitJobNamed(String name) {
        HttpRequest request =
                HttpRequest.newBuilder(rest.resolve("/jobs/overview"))
                        .timeout(TIMEOUT)
                        .GET()
                        .build();
        List<String> ids = new ArrayList<>();
        JobHarness.await(
                "a job named " + name,
                TIMEOUT,
                () -> {
                    ids.clear();
                    try {
                        for (JsonNode job : send(request, 200).path("jobs")) {
                            if (job.path("name").asText().equals(name)) {
                                ids.add(job.path("jid").asText());
                            }
                        }
                    } catch (Exception e) {
                        throw new AssertionError("GET /jobs/overview failed", e);
                    }
                    return !ids.isEmpty();
                });
        assertThat(ids).as("jobs named " + name).hasSize(1);
        return ids.get(0);
    }

    private static void cancel(String jobId) throws Exception {
        HttpRequest request =
                HttpRequest.newBuilder(rest.resolve("/jobs/" + jobId + "?mode=cancel"))
                        .timeout(TIMEOUT)
                        .method("PATCH", HttpRequest.BodyPublishers.noBody())
                        .build();
        send(request, 202);
    }

    /** Polls {@code GET /jobs/:jobid} until the job is in {@code state}. */
    private static void awaitState(String jobId, String state) {
        HttpRequest request =
                HttpRequest.newBuilder(rest.resolve("/jobs/" + jobId))
                        .timeout(TIMEOUT)
                        .GET()
                        .build();
        JobHarness.await(
                "job " + jobId + " to be " + state,
                TIMEOUT,
                () -> {
                    try {
                        return send(request, 200).path("state").asText().equals(state);
                    } catch (Exception e) {
                        throw new AssertionError("GET /jobs/" + jobId + " failed", e);
                    }
                });
    }

    private static JsonNode send(HttpRequest request, int expectedStatus) throws Exception {
        HttpResponse<String> response =
                http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        assertThat(response.statusCode())
                .as(request.method() + " " + request.uri().getPath() + ": " + response.body())
                .isEqualTo(expectedStatus);
        return response.body().isEmpty() ? JSON.nullNode() : JSON.readTree(response.body());
    }
}
