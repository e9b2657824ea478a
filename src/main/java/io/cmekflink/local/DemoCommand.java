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

    @Option(
            names = "--faults",
            paramLabel = "SPEC",
            description =
                    "KMS faults while the encrypt job runs: "
                            + DemoFaults.FORM
                            + ". throttle is the probability that a GenerateDataKey, Decrypt,"
                            + " Encrypt or ReEncrypt call fails with ThrottlingException; latency"
                            + " delays every KMS response; the outage answers every KMS call with"
                            + " HTTP 503 for that long, from the start of the second batch. The"
                            + " demo's KMS retries (64 attempts, delays of 100 ms doubling up to"
                            + " 500 ms, 30 s per call) outlast these, so no record may become a"
                            + " KMS_THROTTLED or KMS_UNAVAILABLE dead letter.")
    String faultSpec;

    @Option(
            names = "--kill-task-after",
            paramLabel = "N",
            description =
                    "Fail every task of the encrypt job once, after it has written N records"
                            + " (encrypted or dead letters, committed or not) and completed a"
                            + " checkpoint; the job restarts from its latest checkpoint, and every"
                            + " record must still come back exactly once. N is from 1 to 10"
                            + " times --records-per-batch. Raises link.wait from 6 s to 30 s.")
    Long killTaskAfter;

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
        DemoFaults faults = DemoFaults.none();
        if (faultSpec != null) {
            try {
                faults = DemoFaults.parse(faultSpec);
            } catch (IllegalArgumentException e) {
                throw new io.cmekflink.cli.UserException(e.getMessage());
            }
        }
        long failTasksAfter = killTaskAfter == null ? 0 : killTaskAfter;
        long max = Demo.maxFailTasksAfter(recordsPerBatch);
        if (killTaskAfter != null && (failTasksAfter < 1 || failTasksAfter > max)) {
            throw new io.cmekflink.cli.UserException(
                    "--kill-task-after must be between 1 and "
                            + max
                            + " (10 times --records-per-batch, the records written before the"
                            + " key of org-echo is disabled), got "
                            + failTasksAfter);
        }
        DemoSummary summary =
                new Demo(recordsPerBatch, seed, parallelism, faults, failTasksAfter).run();
        System.out.println(summary.toJson());
        System.out.flush();
        return summary.passed() ? 0 : 1;
    }
}
