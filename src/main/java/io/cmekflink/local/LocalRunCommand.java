package io.cmekflink.local;

import io.cmekflink.cli.RunCommand;
import io.cmekflink.config.JobConfig;
import io.cmekflink.config.JobOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs a job on a local mini cluster that binds to loopback only, keeps its checkpoints in a local
 * directory, and resumes from the latest one when started again. Records that wait in state for a
 * key link, and the source positions after them, live only in checkpoints: a start that ignored
 * them would skip those records.
 */
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        description = {
            "Runs the job of a job definition file on a local Flink mini cluster, bound to"
                    + " 127.0.0.1.",
            "Checkpoints are kept under --state-dir, and a later run of the same job.name resumes"
                    + " from the latest one, so no record waiting in state is lost across a"
                    + " restart. Stop it with Ctrl-C.",
            "AWS credentials and region come from the AWS SDK's default provider chain, for"
                    + " example AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION; the"
                    + " sandbox prints the emulator's."
        })
public final class LocalRunCommand extends RunCommand {

    @Option(
            names = "--state-dir",
            defaultValue = ".cmek-flink-state",
            description = "Directory of the checkpoints of local runs (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Option(
            names = "--fresh",
            description =
                    "Start without the retained checkpoint: records that waited in its state for a"
                            + " key link are skipped.")
    boolean fresh;

    @Override
    protected void prepare(
            JobConfig config, Map<String, String> flink, Map<String, String> overrides) {
        for (String key :
                new String[] {
                    "jobmanager.bind-host",
                    "taskmanager.bind-host",
                    "taskmanager.host",
                    "jobmanager.rpc.address",
                    "rest.bind-address",
                    "rest.address"
                }) {
            if (!flink.containsKey(key)) {
                overrides.put(key, "127.0.0.1");
            }
        }
        if (config.get(JobOptions.CHECKPOINT_INTERVAL).isZero()
                || flink.containsKey("execution.checkpointing.dir")) {
            return;
        }
        Path checkpoints = stateDir.resolve(config.get(JobOptions.JOB_NAME)).toAbsolutePath();
        overrides.put("execution.checkpointing.dir", checkpoints.toUri().toString());
        overrides.put(
                "execution.checkpointing.externalized-checkpoint-retention",
                "RETAIN_ON_CANCELLATION");
        if (fresh) {
            System.err.println("starting fresh; checkpoints go to " + checkpoints);
            return;
        }
        Optional<Path> latest = latestCheckpoint(checkpoints);
        if (latest.isPresent()) {
            overrides.put("execution.state-recovery.path", latest.get().toUri().toString());
            System.err.println("resuming from checkpoint " + latest.get());
        } else {
            System.err.println("no checkpoint of this job yet; checkpoints go to " + checkpoints);
        }
    }

    /** The newest completed checkpoint: a {@code chk-N} directory with a {@code _metadata}. */
    static Optional<Path> latestCheckpoint(Path checkpoints) {
        if (!Files.isDirectory(checkpoints)) {
            return Optional.empty();
        }
        try (Stream<Path> files = Files.walk(checkpoints, 3)) {
            return files.filter(p -> p.getFileName().toString().equals("_metadata"))
                    .filter(p -> p.getParent().getFileName().toString().startsWith("chk-"))
                    .max(Comparator.comparing(LocalRunCommand::modified))
                    .map(Path::getParent);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list checkpoints in " + checkpoints, e);
        }
    }

    private static long modified(Path file) {
        try {
            return Files.getLastModifiedTime(file).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }
}
