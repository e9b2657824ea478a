package io.cmekflink.local;

import io.cmekflink.cli.DeadLettersCommand;
import io.cmekflink.cli.KeygenCommand;
import io.cmekflink.cli.LinkKeyCommand;
import io.cmekflink.cli.Main;
import io.cmekflink.cli.ReplayCommand;
import io.cmekflink.cli.UnlinkKeyCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the local jar, {@code cmek-flink-local.jar}. */
@Command(
        name = "cmek-flink-local",
        mixinStandardHelpOptions = true,
        version = "cmek-flink 0.1.0",
        description =
                "cmek-flink on one machine: the encrypt job on a local Flink mini cluster, with an"
                        + " in-process Kafka broker and KMS emulator.",
        subcommands = {
            SandboxCommand.class,
            LocalRunCommand.class,
            DemoCommand.class,
            DeadLettersCommand.class,
            ReplayCommand.class,
            LinkKeyCommand.class,
            UnlinkKeyCommand.class,
            io.cmekflink.local.bench.BenchCommand.class,
            KeygenCommand.class
        })
public final class LocalMain implements Runnable {

    @Override
    public void run() {
        CommandLine.usage(this, System.err);
    }

    public static void main(String[] args) {
        // Only loopback is ours: the SDK must never ask the instance metadata service.
        if (System.getProperty("aws.disableEc2Metadata") == null) {
            System.setProperty("aws.disableEc2Metadata", "true");
        }
        // Long-running commands log their lifecycle; the demo keeps stderr for its progress.
        boolean service = args.length > 0 && (args[0].equals("run") || args[0].equals("sandbox"));
        if (service && System.getProperty("cmekflink.log.level") == null) {
            System.setProperty("cmekflink.log.level", "INFO");
        }
        if (service && System.getProperty("cmekflink.root.log.level") == null) {
            System.setProperty("cmekflink.root.log.level", "WARN");
        }
        System.exit(Main.execute(new LocalMain(), args));
    }
}
