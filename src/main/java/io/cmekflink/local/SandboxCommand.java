package io.cmekflink.local;

import io.cmekflink.cli.UserException;
import io.cmekflink.link.KeyChangeSignatures;
import io.cmekflink.local.kms.KmsEmulator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.internals.Topic;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Starts the sandbox and keeps it running until interrupted. */
@Command(
        name = "sandbox",
        mixinStandardHelpOptions = true,
        description =
                "Starts a Kafka broker and the KMS emulator on 127.0.0.1, creates the topics of"
                        + " jobs/local-encrypt.yaml and runs until interrupted.")
public final class SandboxCommand implements Callable<Integer> {

    @Option(
            names = "--kafka-port",
            defaultValue = "9092",
            description =
                    "Port of the Kafka broker; 0 picks a free port (default: ${DEFAULT-VALUE}).")
    int kafkaPort;

    @Option(
            names = "--kms-port",
            defaultValue = "4566",
            description =
                    "Port of the KMS emulator; 0 picks a free port (default: ${DEFAULT-VALUE}).")
    int kmsPort;

    @Option(
            names = "--partitions",
            defaultValue = "2",
            description = "Partitions of the records topic (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(
            names = "--data-key-topic",
            paramLabel = "TOPIC",
            description =
                    "Also creates this topic with cleanup.policy=compact and one partition, for job"
                            + " files that set encryption.data-key-topic to it (default: none).")
    String dataKeyTopic;

    private static void checkPort(String option, int port) {
        if (port < 0 || port > 65535) {
            throw new UserException(
                    option
                            + " must be a port between 0 and 65535 (0 picks a free one), got "
                            + port);
        }
    }

    @Option(
            names = "--state-dir",
            defaultValue = ".cmek-flink-state",
            description =
                    "Directory that holds the sandbox's key-change signing key pair, created when"
                            + " missing (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    private static void checkDataKeyTopic(String topic) {
        try {
            Topic.validate(topic);
        } catch (InvalidTopicException e) {
            throw new UserException("--data-key-topic is invalid: " + e.getMessage());
        }
        if (Sandbox.isSandboxTopic(topic)) {
            throw new UserException(
                    "--data-key-topic must name a topic of its own, got "
                            + topic
                            + ", which the sandbox creates for jobs/local-encrypt.yaml");
        }
    }

    @Override
    public Integer call() throws Exception {
        checkPort("--kafka-port", kafkaPort);
        checkPort("--kms-port", kmsPort);
        if (partitions < 1) {
            throw new UserException("--partitions must be at least 1, got " + partitions);
        }
        if (dataKeyTopic != null) {
            checkDataKeyTopic(dataKeyTopic);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Sandbox started;
        try {
            started = Sandbox.start(kafkaPort, kmsPort, partitions);
        } catch (Exception e) {
            throw new UserException(
                    "the sandbox could not start ("
                            + e.getClass().getSimpleName()
                            + (e.getMessage() == null ? "" : ": " + e.getMessage())
                            + "); if a port is in use, choose another with --kafka-port or"
                            + " --kms-port, or 0 for a free one",
                    e);
        }
        try (Sandbox sandbox = started) {
            if (dataKeyTopic != null) {
                sandbox.createDataKeyTopic(dataKeyTopic);
            }
            String keyArn =
                    sandbox.kms()
                            .createKey(
                                    KmsEmulator.DEFAULT_ACCOUNT,
                                    Sandbox.REGION,
                                    "sandbox key for org-demo");
            Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown));
            System.out.println("Kafka bootstrap: " + sandbox.bootstrapServers());
            System.out.println("KMS endpoint:    " + sandbox.kms().endpoint());
            System.out.println(
                    "Topics:          "
                            + Sandbox.RECORDS_TOPIC
                            + ", "
                            + Sandbox.KEY_CHANGES_TOPIC
                            + ", "
                            + Sandbox.ENCRYPTED_TOPIC
                            + ", "
                            + Sandbox.DEAD_LETTERS_TOPIC
                            + (dataKeyTopic == null
                                    ? ""
                                    : ", " + dataKeyTopic + " (compacted, data-key topic)"));
            System.out.println("A key:           " + keyArn);
            System.out.println(
                    "Test credentials of the emulator's account "
                            + KmsEmulator.DEFAULT_ACCOUNT
                            + ":");
            System.out.println("  export AWS_ACCESS_KEY_ID=" + KmsEmulator.DEFAULT_ACCESS_KEY_ID);
            System.out.println(
                    "  export AWS_SECRET_ACCESS_KEY=" + KmsEmulator.DEFAULT_SECRET_ACCESS_KEY);
            System.out.println(
                    "  export AWS_REGION="
                            + Sandbox.REGION
                            + " AWS_DEFAULT_REGION="
                            + Sandbox.REGION
                            + " AWS_EC2_METADATA_DISABLED=true");
            System.out.println("Addresses for jobs/local-encrypt.yaml:");
            System.out.println("  export KAFKA_BOOTSTRAP_SERVERS=" + sandbox.bootstrapServers());
            System.out.println("  export KMS_ENDPOINT=" + sandbox.kms().endpoint());
            Path privateKey = stateDir.resolve("signing-key.pem");
            Path publicKey = stateDir.resolve("signing-public.pem");
            if (!Files.exists(privateKey)) {
                Files.createDirectories(stateDir);
                KeyChangeSignatures.writeKeyPair(
                        KeyChangeSignatures.generateKeyPair(), privateKey, publicKey);
            }
            System.out.println(
                    "Key-change signing key: "
                            + privateKey.toAbsolutePath()
                            + " (pass it to link-key --signing-key)");
            System.out.println(
                    "Key-change public key: "
                            + publicKey.toAbsolutePath()
                            + " (pass it to link-key --public-key)");
            System.out.println("  export CMEK_SIGNING_PUBLIC_KEY=" + publicKey.toAbsolutePath());
            System.out.println("Press Ctrl-C to stop.");
            System.out.flush();
            stopped.await();
        }
        return 0;
    }
}
