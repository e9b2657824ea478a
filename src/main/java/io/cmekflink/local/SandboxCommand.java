package io.cmekflink.local;

import io.cmekflink.local.kms.KmsEmulator;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
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

    @Override
    public Integer call() throws Exception {
        CountDownLatch stopped = new CountDownLatch(1);
        try (Sandbox sandbox = Sandbox.start(kafkaPort, kmsPort, partitions)) {
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
                            + Sandbox.DEAD_LETTERS_TOPIC);
            System.out.println("A key:           " + keyArn);
            System.out.println(
                    "Test credentials of the emulator's account "
                            + KmsEmulator.DEFAULT_ACCOUNT
                            + ":");
            System.out.println("  export AWS_ACCESS_KEY_ID=" + KmsEmulator.DEFAULT_ACCESS_KEY_ID);
            System.out.println(
                    "  export AWS_SECRET_ACCESS_KEY=" + KmsEmulator.DEFAULT_SECRET_ACCESS_KEY);
            System.out.println(
                    "  export AWS_REGION=" + Sandbox.REGION + " AWS_EC2_METADATA_DISABLED=true");
            System.out.println("Press Ctrl-C to stop.");
            System.out.flush();
            stopped.await();
        }
        return 0;
    }
}
