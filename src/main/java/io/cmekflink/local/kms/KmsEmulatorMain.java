package io.cmekflink.local.kms;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.CountDownLatch;

/**
 * Runs a KMS emulator as a process for manual use, for example with the AWS CLI:
 *
 * <pre>
 * java -cp ... io.cmekflink.local.kms.KmsEmulatorMain [port]
 * </pre>
 *
 * <p>It prints the endpoint and the test credentials of the two built-in accounts, then serves
 * until standard input closes or the process is interrupted, and prints the call counts on exit.
 */
public final class KmsEmulatorMain {

    private KmsEmulatorMain() {}

    public static void main(String[] args) throws InterruptedException {
        int port = args.length > 0 ? parsePort(args[0]) : 0;
        KmsEmulator emulator = KmsEmulator.start(port);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    System.out.println("calls: " + emulator.callCounts());
                                    emulator.close();
                                    stopped.countDown();
                                }));
        printUsage(emulator);
        waitForEndOfInput(System.in);
        System.exit(0);
        stopped.await();
    }

    private static void printUsage(KmsEmulator emulator) {
        System.out.println("KMS emulator listening on " + emulator.endpoint());
        System.out.println("Account " + KmsEmulator.DEFAULT_ACCOUNT + ":");
        System.out.println("  export AWS_ACCESS_KEY_ID=" + KmsEmulator.DEFAULT_ACCESS_KEY_ID);
        System.out.println(
                "  export AWS_SECRET_ACCESS_KEY=" + KmsEmulator.DEFAULT_SECRET_ACCESS_KEY);
        System.out.println("Account " + KmsEmulator.SECOND_ACCOUNT + ":");
        System.out.println("  export AWS_ACCESS_KEY_ID=" + KmsEmulator.SECOND_ACCESS_KEY_ID);
        System.out.println(
                "  export AWS_SECRET_ACCESS_KEY=" + KmsEmulator.SECOND_SECRET_ACCESS_KEY);
        System.out.println(
                "Then: AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true aws"
                        + " --endpoint-url "
                        + emulator.endpoint()
                        + " kms create-key");
        System.out.println("Close standard input (Ctrl-D) or press Ctrl-C to stop.");
    }

    private static void waitForEndOfInput(InputStream in) {
        try {
            while (in.read() != -1) {
                // Input lines are ignored; only the end of input stops the emulator.
            }
        } catch (IOException e) {
            System.err.println("Reading standard input failed, stopping: " + e.getMessage());
        }
    }

    private static int parsePort(String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "The port must be a number from 0 to 65535 (0 for an ephemeral port), got '"
                            + value
                            + "'",
                    e);
        }
    }
}
