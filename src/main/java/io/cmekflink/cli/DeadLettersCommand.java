package io.cmekflink.cli;

import io.cmekflink.config.Durations;
import io.cmekflink.deadletter.ErrorCode;
import io.cmekflink.deadletter.report.CommittedTopicReader;
import io.cmekflink.deadletter.report.DeadLetterFilter;
import io.cmekflink.deadletter.report.DeadLetterReport;
import io.cmekflink.deadletter.report.ReportJson;
import io.cmekflink.deadletter.report.ReportTable;
import io.cmekflink.deadletter.report.TimeBound;
import io.cmekflink.deadletter.report.TopicReadException;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * Reports the dead letters of a dead-letter topic per org and error code: what an org admin reads
 * when data of an org has become unreadable.
 *
 * <p>Invalid options are picocli parameter errors (message and usage on stderr, exit code 2); a
 * topic that does not exist or a broker that does not respond is a {@link UserException}.
 */
@Command(
        name = "dead-letters",
        mixinStandardHelpOptions = true,
        description = {
            "Reads a dead-letter topic from its beginning to its end offsets at start, with"
                    + " read_committed and without a consumer group, and prints per org the"
                    + " count of each error code, the first and last failure time, the key ARNs"
                    + " and whether the dead letters are retriable.",
            "Records that do not decode as dead letters are counted as unreadable and listed by"
                    + " partition and offset. Orgs are sorted by id, with dead letters without an"
                    + " org id under (none) last; each org's codes are sorted by count, highest"
                    + " first.",
            "Exit code 0 when the report is printed; 2 for invalid options, a topic that does not"
                    + " exist or a broker that does not answer within --timeout."
        })
public final class DeadLettersCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(
            names = "--bootstrap",
            required = true,
            paramLabel = "HOST:PORT",
            description = "Kafka bootstrap servers, comma-separated.")
    String bootstrapServers;

    @Option(
            names = "--topic",
            required = true,
            paramLabel = "NAME",
            description = "The dead-letter topic.")
    String topic;

    @Option(
            names = "--org",
            paramLabel = "ID",
            description =
                    "Report only this org; repeatable. (none) selects dead letters without an org"
                            + " id.")
    List<String> orgIds = new ArrayList<>();

    @Option(
            names = "--code",
            paramLabel = "CODE",
            converter = ErrorCodeConverter.class,
            description =
                    "Report only this error code; repeatable. One of: ${COMPLETION-CANDIDATES}.")
    List<ErrorCode> codes = new ArrayList<>();

    @Option(
            names = "--since",
            paramLabel = "TIME",
            converter = TimeBoundConverter.class,
            description =
                    "Report only dead letters that failed at or after TIME: an ISO-8601 instant"
                            + " (2025-01-31T12:00:00Z) or a duration ago (30m, 2h, 7d).")
    TimeBound since;

    @Option(
            names = "--until",
            paramLabel = "TIME",
            converter = TimeBoundConverter.class,
            description = "Report only dead letters that failed before TIME; forms as for --since.")
    TimeBound until;

    @Option(names = "--json", description = "Print one JSON object on one line instead of a table.")
    boolean json;

    @Option(
            names = "--timeout",
            paramLabel = "DURATION",
            defaultValue = "30s",
            converter = TimeoutConverter.class,
            description =
                    "Maximum duration of the whole read, such as 30s or 2m (default:"
                            + " ${DEFAULT-VALUE}).")
    Duration timeout;

    /** The clock that durations ago count back from; tests set a fixed one. */
    Clock clock = Clock.systemUTC();

    @Override
    public Integer call() {
        DeadLetterReport report = new DeadLetterReport(topic, filter());
        try {
            new CommittedTopicReader(bootstrapServers, timeout).read(topic, report::accept);
        } catch (TopicReadException e) {
            throw new UserException(e.getMessage(), e);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(ReportJson.toJson(report));
        } else {
            ReportTable.write(report, out);
        }
        out.flush();
        return 0;
    }

    private DeadLetterFilter filter() {
        Instant now = clock.instant();
        Instant sinceInstant = since == null ? null : since.resolve(now);
        Instant untilInstant = until == null ? null : until.resolve(now);
        if (sinceInstant != null && untilInstant != null && !sinceInstant.isBefore(untilInstant)) {
            throw new ParameterException(
                    spec.commandLine(),
                    "--since (" + sinceInstant + ") must be before --until (" + untilInstant + ")");
        }
        return new DeadLetterFilter(
                Set.copyOf(orgIds), Set.copyOf(codes), sinceInstant, untilInstant);
    }

    /** Converts an error code name, in any case, and lists the valid codes otherwise. */
    static final class ErrorCodeConverter implements ITypeConverter<ErrorCode> {
        @Override
        public ErrorCode convert(String value) {
            try {
                return ErrorCode.valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(
                        "'"
                                + value
                                + "' is not an error code; valid codes: "
                                + Arrays.stream(ErrorCode.values())
                                        .map(Enum::name)
                                        .collect(Collectors.joining(", ")));
            }
        }
    }

    static final class TimeBoundConverter implements ITypeConverter<TimeBound> {
        @Override
        public TimeBound convert(String value) {
            try {
                return TimeBound.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    static final class TimeoutConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            Duration duration;
            try {
                duration = Durations.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
            if (duration.isNegative() || duration.isZero()) {
                throw new TypeConversionException(
                        "'" + value + "' is not a positive duration; write e.g. 30s or 2m");
            }
            return duration;
        }
    }
}
