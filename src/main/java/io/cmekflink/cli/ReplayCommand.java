package io.cmekflink.cli;

import io.cmekflink.config.ConfigException;
import io.cmekflink.config.JobConfig;
import io.cmekflink.config.JobOptions;
import io.cmekflink.deadletter.ErrorCode;
import io.cmekflink.deadletter.report.CommittedTopicReader;
import io.cmekflink.deadletter.report.DeadLetterFilter;
import io.cmekflink.deadletter.report.TimeBound;
import io.cmekflink.deadletter.report.TopicReadException;
import io.cmekflink.job.Replayer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Re-publishes selected dead letters to the input topic of the stage they failed in. */
@Command(
        name = "replay",
        mixinStandardHelpOptions = true,
        description = {
            "Reads the dead-letter topic of a job definition with read_committed and"
                    + " re-publishes the selected dead letters of that job's stages to its input"
                    + " topic, once their cause is fixed: for an encrypt job its records topic,"
                    + " for a decrypt or rewrap job its encrypted topic.",
            "A sealed payload is unsealed with KMS Decrypt under the platform dead-letter key and"
                    + " re-published with its record id in the cmek-record-id header; an"
                    + " encrypted record is re-published as it is. Dead letters whose payload"
                    + " was dropped, or whose retain_until has passed, are refused and counted."
                    + " All records of one replay are written in one Kafka transaction,"
                    + " together with the positions of their dead letters in the replay log, the"
                    + " compacted topic <dead-letters topic>-replayed, which the replay creates"
                    + " when it is missing. Dead letters that the replay log names are skipped and"
                    + " counted as already_replayed, so running the same replay twice, or again"
                    + " after it failed, re-publishes each dead letter once.",
            "The last line of stdout is a JSON summary. Exit code 0 when the replay was written"
                    + " (refusals included); 2 for invalid options or input."
        })
public final class ReplayCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "JOB.yaml", description = "Job definition file.")
    Path jobFile;

    @Option(names = "--org", paramLabel = "ID", description = "Replay only this org; repeatable.")
    List<String> orgIds = new ArrayList<>();

    @Option(
            names = "--code",
            paramLabel = "CODE",
            converter = DeadLettersCommand.ErrorCodeConverter.class,
            description = "Replay only this error code; repeatable.")
    List<ErrorCode> codes = new ArrayList<>();

    @Option(
            names = "--since",
            paramLabel = "TIME",
            converter = DeadLettersCommand.TimeBoundConverter.class,
            description =
                    "Replay only dead letters that failed at or after TIME: an ISO-8601 instant or"
                            + " a duration ago (30m, 2h, 7d).")
    TimeBound since;

    @Option(
            names = "--until",
            paramLabel = "TIME",
            converter = DeadLettersCommand.TimeBoundConverter.class,
            description = "Replay only dead letters that failed before TIME.")
    TimeBound until;

    @Option(
            names = "--dry-run",
            description = "Count what would be replayed and refused, and write nothing.")
    boolean dryRun;

    @Option(
            names = "--timeout",
            paramLabel = "DURATION",
            defaultValue = "60s",
            converter = DeadLettersCommand.TimeoutConverter.class,
            description =
                    "Maximum duration of the read and of the write (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    Clock clock = Clock.systemUTC();

    @Override
    public Integer call() {
        JobConfig config;
        try {
            config = JobConfig.load(jobFile);
        } catch (ConfigException e) {
            throw new UserException(e.getMessage(), e);
        }
        Instant now = clock.instant();
        Instant sinceInstant = since == null ? null : since.resolve(now);
        Instant untilInstant = until == null ? null : until.resolve(now);
        if (sinceInstant != null && untilInstant != null && !sinceInstant.isBefore(untilInstant)) {
            throw new ParameterException(spec.commandLine(), "--since must be before --until");
        }
        DeadLetterFilter filter =
                new DeadLetterFilter(
                        Set.copyOf(orgIds), Set.copyOf(codes), sinceInstant, untilInstant);
        Replayer replayer = new Replayer(config, filter, dryRun, now, spec.commandLine().getErr());
        try {
            new CommittedTopicReader(config.bootstrapServers(), timeout)
                    .read(config.get(JobOptions.DEAD_LETTERS_TOPIC), replayer::accept);
        } catch (TopicReadException e) {
            throw new UserException(e.getMessage(), e);
        }
        Replayer.Summary summary;
        try {
            summary = replayer.finish(timeout);
        } catch (ConfigException e) {
            throw new UserException(e.getMessage(), e);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println(summary.toJson());
        out.flush();
        return 0;
    }
}
