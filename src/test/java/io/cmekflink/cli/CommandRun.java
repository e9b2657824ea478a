package io.cmekflink.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** The outcome of one command line run through {@link Main#execute}. */
record CommandRun(int exitCode, String stdout, String stderr) {

    /**
     * Runs {@code command} through {@link Main#execute}, which maps a {@link UserException} to exit
     * code 2, with {@code System.out} and {@code System.err} captured.
     */
    static CommandRun of(Object command, String... args) {
        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exitCode;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            exitCode = Main.execute(command, args);
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
        return new CommandRun(
                exitCode,
                out.toString(StandardCharsets.UTF_8),
                err.toString(StandardCharsets.UTF_8));
    }

    /** Returns the lines of stderr. */
    List<String> errLines() {
        return stderr.lines().toList();
    }

    /** Returns the first line of stderr, or the empty string. */
    String firstErrLine() {
        return stderr.lines().findFirst().orElse("");
    }
}
