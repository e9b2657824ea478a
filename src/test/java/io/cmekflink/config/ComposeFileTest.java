package io.cmekflink.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * Checks docker-compose.yml against what the local cluster promises: pinned images, ports on
 * loopback only, health checks and start order. {@code docker-compose config} in .ci/run checks the
 * file's syntax; this test checks its content.
 */
class ComposeFileTest {

    private static Map<String, Map<String, Object>> services;
    private static String submitScript;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void load() throws IOException {
        // SnakeYAML resolves the anchors and merge keys (<<) that the file uses.
        Map<String, Object> root = new Yaml().load(Files.readString(Path.of("docker-compose.yml")));
        services = (Map<String, Map<String, Object>>) root.get("services");
        submitScript = Files.readString(Path.of("compose/submit-job.sh"));
    }

    @Test
    void servicesArePresent() {
        assertThat(services)
                .containsOnlyKeys(
                        "kafka", "kms", "jobmanager", "taskmanager", "setup-topics", "setup");
    }

    @Test
    void imagesArePinnedToVersions() {
        services.forEach(
                (name, service) -> {
                    String image = (String) service.get("image");
                    assertThat(image).as("image of " + name).matches("[a-z0-9./-]+:[0-9][^:]*");
                });
        assertThat(image("kafka")).startsWith("apache/kafka:4.");
        assertThat(image("kms")).matches("nsmithuk/local-kms:[0-9]+\\.[0-9]+\\.[0-9]+");
        assertThat(image("jobmanager")).startsWith("flink:2.2.");
        assertThat(image("taskmanager")).isEqualTo(image("jobmanager"));
        assertThat(image("setup")).isEqualTo(image("jobmanager"));
    }

    @Test
    void portsListenOnLoopbackOnly() {
        services.forEach(
                (name, service) -> {
                    for (Object port : list(service.get("ports"))) {
                        assertThat(port.toString()).as("port of " + name).startsWith("127.0.0.1:");
                    }
                });
    }

    @Test
    void kafkaIsOneKraftNode() {
        Map<String, Object> env = environment("kafka");
        assertThat(env).containsEntry("KAFKA_PROCESS_ROLES", "broker,controller");
        assertThat(env).containsEntry("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@kafka:9093");
        assertThat(env).containsEntry("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", 1);
        assertThat(env).containsEntry("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", 1);
        assertThat(env).containsEntry("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", 1);
    }

    @Test
    void kmsIsSeededFromTheRepository() throws IOException {
        Map<String, Object> env = environment("kms");
        assertThat(env).containsEntry("KMS_SEED_PATH", "/init/seed.yaml");
        assertThat(list(services.get("kms").get("volumes"))).contains("./compose/kms:/init:ro");
        String seed = Files.readString(Path.of("compose/kms/seed.yaml"));
        assertThat(seed).contains("KeyId: bc236807-76d8-489e-94b8-aeb46403fcf0");
        assertThat(seed).contains("KeyId: d584b3ad-70f5-440e-a71c-cd7b7a2f90dc");
    }

    @Test
    void taskManagerHasTwoSlots() {
        assertThat((String) environment("taskmanager").get("FLINK_PROPERTIES"))
                .contains("taskmanager.numberOfTaskSlots: 2");
    }

    @Test
    void longRunningServicesHaveHealthChecks() {
        for (String name : List.of("kafka", "kms", "jobmanager", "taskmanager")) {
            assertThat(services.get(name)).as("service " + name).containsKey("healthcheck");
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void dependenciesWaitForConditions() {
        Map<String, Object> setup = (Map<String, Object>) services.get("setup").get("depends_on");
        assertThat(setup).containsOnlyKeys("setup-topics", "kms", "jobmanager", "taskmanager");
        assertThat(condition("setup", "setup-topics")).isEqualTo("service_completed_successfully");
        assertThat(condition("setup", "kms")).isEqualTo("service_healthy");
        assertThat(condition("setup", "jobmanager")).isEqualTo("service_healthy");
        assertThat(condition("setup", "taskmanager")).isEqualTo("service_healthy");
        assertThat(condition("setup-topics", "kafka")).isEqualTo("service_healthy");
        assertThat(condition("taskmanager", "jobmanager")).isEqualTo("service_healthy");
    }

    @Test
    void setupLinksTheKeyAndSubmitsTheJar() {
        assertThat(services.get("setup").get("command").toString()).contains("submit-job.sh");
        assertThat(services.get("setup").get("volumes").toString())
                .contains("source=./target/cmek-flink.jar");
        assertThat(submitScript).contains("link-key --org org-demo");
        assertThat(submitScript)
                .contains("flink run -d -m \"$JOB_MANAGER\" \"$JAR\" run \"$JOB_FILE\"");
        assertThat(submitScript).contains("JOB_FILE=/opt/job/jobs/compose-encrypt.yaml");
    }

    private static String image(String service) {
        return (String) services.get(service).get("image");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> environment(String service) {
        return (Map<String, Object>) services.get(service).get("environment");
    }

    @SuppressWarnings("unchecked")
    private static String condition(String service, String dependency) {
        Map<String, Map<String, Object>> dependsOn =
                (Map<String, Map<String, Object>>) services.get(service).get("depends_on");
        return (String) dependsOn.get(dependency).get("condition");
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object value) {
        return value == null ? List.of() : (List<Object>) value;
    }
}
