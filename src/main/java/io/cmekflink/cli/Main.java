package io.cmekflink.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the job jar, {@code cmek-flink.jar}, as {@code flink run} starts it. */
@Command(
        name = "cmek-flink",
        mixinStandardHelpOptions = true,
        version = "cmek-flink 0.1.0",
        description = "Encrypts marked Avro fields under each org's AWS KMS key.",
        subcommands = {
            RunCommand.class,
            DeadLettersCommand.class,
            ReplayCommand.class,
            LinkKeyCommand.class,
            UnlinkKeyCommand.class,
            KeygenCommand.class
        })
public final class Main implements Runnable {

    @Override
    public void run() {
        CommandLine.usage(this, System.err);
    }

    public static void main(String[] args) {
        System.exit(execute(new Main(), args));
    }

    /** Runs a command line with the exit codes of this project: 2 for invalid input. */
    public static int execute(Object command, String... args) {
        CommandLine cli = new CommandLine(command);
        cli.setExecutionExceptionHandler(
                (e, commandLine, parseResult) -> {
                    if (e instanceof UserException) {
                        commandLine.getErr().println("error: " + e.getMessage());
                        return 2;
                    }
                    throw e;
                });
        cli.setExitCodeExceptionMapper(e -> 2);
        return cli.execute(args);
    }
}
