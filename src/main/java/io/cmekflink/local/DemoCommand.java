package io.cmekflink.local;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs the demo: sandbox, encrypt job, generated traffic and key changes, then checks. */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "Starts the sandbox and the encrypt job, sends generated Kong log entries of several"
                    + " orgs while keys are linked, relinked and disabled, then decrypts every"
                    + " encrypted record and scans every byte written for plaintext.",
            "Progress goes to stderr; the last line of stdout is a JSON summary. Exits 0 only"
                    + " when every record is accounted for, decrypts as sent (or fails with"
                    + " KEY_DISABLED under the disabled key), and no plaintext was found."
        })
public final class DemoCommand implements Callable<Integer> {

    @Option(
            names = "--records-per-batch",
            defaultValue = "60",
            description =
                    "Records per org in each of the three batches (default: ${DEFAULT-VALUE}).")
    int recordsPerBatch;

    @Option(
            names = "--seed",
            defaultValue = "7",
            description = "Seed of the generated traffic (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(
            names = "--parallelism",
            defaultValue = "2",
            description = "Parallelism of the encrypt job (default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Override
    public Integer call() throws Exception {
        if (recordsPerBatch < 1) {
            throw new io.cmekflink.cli.UserException(
                    "--records-per-batch must be at least 1, got " + recordsPerBatch);
        }
        if (parallelism < 1 || parallelism > 8) {
            throw new io.cmekflink.cli.UserException(
                    "--parallelism must be between 1 and 8, got " + parallelism);
        }
        DemoSummary summary = new Demo(recordsPerBatch, seed, parallelism).run();
        System.out.println(summary.toJson());
        System.out.flush();
        return summary.passed() ? 0 : 1;
    }
}
