package io.cmekflink.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
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
        if (args.length > 0 && args[0].equals("run")) {
            runWithoutExit(args);
            return;
        }
        System.exit(execute(new Main(), args));
    }

    /**
     * Runs the {@code run} command without {@code System.exit}. Flink calls this main method in its
     * client, or in the JobManager's JVM when the jar is submitted through the REST API, and an
     * exit there would stop the cluster. A failure raises an exception with the command's error
     * output, which Flink returns to the client that submitted the jar.
     */
    static void runWithoutExit(String[] args) {
        StringWriter errors = new StringWriter();
        int code = execute(new Main(), new PrintWriter(errors, true), args);
        System.err.print(errors);
        if (code != 0) {
            throw new IllegalStateException(
                    "cmek-flink run failed with exit code "
                            + code
                            + ": "
                            + errors.toString().trim());
        }
    }

    /** Runs a command line with the exit codes of this project: 2 for invalid input. */
    public static int execute(Object command, String... args) {
        return execute(command, null, args);
    }

    private static int execute(Object command, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(command);
        if (err != null) {
            cli.setErr(err);
        }
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
