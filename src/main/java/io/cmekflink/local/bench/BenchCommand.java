package io.cmekflink.local.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cmekflink.cli.UserException;
import io.cmekflink.config.Durations;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code bench} command of the local jar. */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = {
            "Measures what encryption costs: runs the encrypt job's pipeline with and without its"
                    + " encrypt step, and the decrypt job's with and without its decrypt step, over"
                    + " the same pre-loaded records, on an in-process Kafka broker and KMS"
                    + " emulator. Warm-up rounds, then alternating rounds.",
            "Progress goes to stderr; the last line of stdout is a JSON report."
        })
public final class BenchCommand implements Callable<Integer> {

    /** The producer's {@code compression.type} values in kafka-clients 4.2. */
    private static final java.util.List<String> COMPRESSION_TYPES =
            java.util.List.of("none", "gzip", "snappy", "lz4", "zstd");

    /**
     * The comparison's default: at 100,000 records its runs last about 2 s, and the ratios of one
     * benchmark spread from 0.2 to 0.7.
     */
    static final int COMPARISON_RECORDS = 300_000;

    static final int SCALING_RECORDS = 100_000;

    @Option(
            names = "--records",
            description =
                    "Records per run (default: 300000 for the comparison, 100000 for --scaling"
                            + " and --skew).")
    Integer records;

    /** Returns the records per run: --records, or the default of the chosen benchmark. */
    int records() {
        if (records != null) {
            return records;
        }
        return scaling || skew ? SCALING_RECORDS : COMPARISON_RECORDS;
    }

    @Option(
            names = "--orgs",
            defaultValue = "100",
            description = "Orgs, evenly interleaved in the records (default: ${DEFAULT-VALUE}).")
    int orgs;

    @Option(
            names = "--kms-latency",
            defaultValue = "5ms",
            description =
                    "Latency the KMS emulator adds to every call, such as 5ms or 1s (default:"
                            + " ${DEFAULT-VALUE}).")
    String kmsLatency;

    @Option(
            names = "--parallelism",
            defaultValue = "1",
            description = "Parallelism of the jobs (default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Option(
            names = "--rounds",
            defaultValue = "3",
            description = "Measured rounds after the warm-up (default: ${DEFAULT-VALUE}).")
    int rounds;

    /** Warm-up rounds of the comparison when {@code --warm-up} is not given. */
    static final int DEFAULT_WARM_UP_ROUNDS = 2;

    @Option(
            names = "--warm-up",
            description =
                    "Rounds of the comparison run before the measured ones, so that the JIT has"
                            + " compiled every variant's path (default: 2). --scaling and --skew"
                            + " warm up once per parallelism instead.")
    Integer warmUp;

    /** Warm-up rounds of the comparison. */
    int warmUpRounds() {
        return warmUp == null ? DEFAULT_WARM_UP_ROUNDS : warmUp;
    }

    @Option(
            names = "--delivery",
            defaultValue = "exactly-once",
            description =
                    "Kafka sink guarantee: exactly-once or at-least-once (default:"
                            + " ${DEFAULT-VALUE}).")
    String delivery;

    @Option(
            names = "--compression",
            defaultValue = "lz4",
            description =
                    "compression.type of the jobs' Kafka sinks: none, gzip, snappy, lz4 or zstd"
                            + " (default: ${DEFAULT-VALUE}, as the job ships).")
    String compression;

    @Option(
            names = "--checkpoint-interval",
            defaultValue = "1s",
            description = "Checkpoint interval of the jobs (default: ${DEFAULT-VALUE}).")
    String checkpointInterval;

    @Option(
            names = "--sample",
            defaultValue = "20000",
            description =
                    "Output records per variant re-written for the size measurements (default:"
                            + " ${DEFAULT-VALUE}).")
    int sample;

    @Option(
            names = "--scaling",
            description =
                    "Instead of the comparison, measure encrypt throughput and KMS calls against"
                            + " the number of orgs (--scaling-orgs) at parallelism 1 and 2, and one"
                            + " org sending 90%% of the records at parallelism 2.")
    boolean scaling;

    @Option(
            names = "--skew",
            description =
                    "Instead of the comparison, measure only the skew case of --scaling: one org"
                            + " sending 90%% of the records at parallelism 2, with that org in"
                            + " hot-orgs.ids (salted) and not, both against pass-through.")
    boolean skew;

    @Option(
            names = "--scaling-orgs",
            split = ",",
            defaultValue = "10,100,1000,10000",
            description = "Org counts of --scaling (default: ${DEFAULT-VALUE}).")
    List<Integer> scalingOrgs;

    @Option(
            names = "--plot",
            description = "With --scaling: PNG file to draw throughput and KMS calls against orgs.")
    Path plot;

    @Option(
            names = "--plot-from",
            description =
                    "Draw the --plot PNG from a file whose last line is the JSON report of an"
                            + " earlier --scaling run, and run nothing.")
    Path plotFrom;

    @Override
    public Integer call() throws Exception {
        if (plotFrom != null) {
            if (plot == null) {
                throw new UserException("--plot-from needs --plot FILE.png to write to");
            }
            ScalingPlot.draw(ScalingPlot.readReport(plotFrom), plot);
            return 0;
        }
        validate();
        BenchRun.Settings settings =
                new BenchRun.Settings(
                        parallelism,
                        delivery,
                        parse("--checkpoint-interval", checkpointInterval),
                        compression);
        Duration latency = parse("--kms-latency", kmsLatency);
        ObjectNode report;
        try (BenchSetup setup = BenchSetup.start()) {
            if (skew) {
                report =
                        new Scaling(
                                        setup,
                                        records(),
                                        latency,
                                        rounds,
                                        settings,
                                        scalingOrgs,
                                        this::progress)
                                .runSkew();
            } else if (scaling) {
                report =
                        new Scaling(
                                        setup,
                                        records(),
                                        latency,
                                        rounds,
                                        settings,
                                        scalingOrgs,
                                        this::progress)
                                .run();
                if (plot != null) {
                    ScalingPlot.draw(report, plot);
                }
            } else {
                report =
                        new Bench(
                                        setup,
                                        new Bench.Options(
                                                records(),
                                                orgs,
                                                latency,
                                                warmUpRounds(),
                                                rounds,
                                                sample,
                                                settings),
                                        this::progress)
                                .run();
            }
        }
        System.out.println(BenchReport.JSON.writeValueAsString(report));
        System.out.flush();
        return 0;
    }

    private void validate() {
        if (records() < 100) {
            throw new UserException("--records must be at least 100, got " + records());
        }
        if (orgs < 1 || orgs > 100_000) {
            throw new UserException("--orgs must be between 1 and 100000, got " + orgs);
        }
        if (parallelism < 1 || parallelism > 8) {
            throw new UserException("--parallelism must be between 1 and 8, got " + parallelism);
        }
        if (rounds < 1) {
            throw new UserException("--rounds must be at least 1, got " + rounds);
        }
        if (warmUp != null && (scaling || skew)) {
            throw new UserException(
                    "--warm-up sets the comparison's warm-up rounds; --scaling and --skew warm up"
                            + " once per parallelism, so drop --warm-up");
        }
        if (warmUpRounds() < 1) {
            throw new UserException("--warm-up must be at least 1, got " + warmUpRounds());
        }
        if (!delivery.equals("exactly-once") && !delivery.equals("at-least-once")) {
            throw new UserException(
                    "--delivery must be exactly-once or at-least-once, got " + delivery);
        }
        if (!COMPRESSION_TYPES.contains(compression)) {
            throw new UserException(
                    "--compression must be one of "
                            + String.join(", ", COMPRESSION_TYPES)
                            + ", got "
                            + compression);
        }
        if (skew && (scaling || plot != null)) {
            throw new UserException(
                    "--skew runs alone: drop --scaling and --plot, or drop --skew for the whole"
                            + " scaling benchmark");
        }
        if (sample < 1) {
            throw new UserException("--sample must be at least 1, got " + sample);
        }
        for (int n : scalingOrgs) {
            if (n < 1 || n > 100_000) {
                throw new UserException("--scaling-orgs must be between 1 and 100000, got " + n);
            }
        }
    }

    private static Duration parse(String option, String text) {
        try {
            return Durations.parse(text);
        } catch (RuntimeException e) {
            throw new UserException(
                    "invalid " + option + " '" + text + "': expected a duration such as 5ms or 1s");
        }
    }

    private final long started = System.nanoTime();

    private void progress(String message) {
        long seconds = (System.nanoTime() - started) / 1_000_000_000;
        System.err.printf("[bench %4ds] %s%n", seconds, message);
    }
}
