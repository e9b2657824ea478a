package io.cmekflink.local.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The scaling benchmark: encrypt throughput and KMS calls against the number of orgs, at
 * parallelism 1 and 2, each against a pass-through run of the same parallelism. Then skew: one org
 * sends 90% of the records at parallelism 2, with that org salted and not.
 */
final class Scaling {

    static final double HOT_SHARE = 0.9;
    static final int SKEW_ORGS = 100;

    /** The org of {@link #HOT_SHARE} of the skewed records. */
    static final int HOT_ORG = 0;

    private static final String SKEW_TOPIC = "bench-skew";
    static final int[] PARALLELISMS = {1, 2};

    private final BenchSetup setup;
    private final int records;
    private final Duration kmsLatency;
    private final int rounds;
    private final BenchRun.Settings base;
    private final List<Integer> orgCounts;
    private final Consumer<String> progress;

    Scaling(
            BenchSetup setup,
            int records,
            Duration kmsLatency,
            int rounds,
            BenchRun.Settings base,
            List<Integer> orgCounts,
            Consumer<String> progress) {
        this.setup = setup;
        this.records = records;
        this.kmsLatency = kmsLatency;
        this.rounds = rounds;
        this.base = base;
        this.orgCounts = orgCounts.stream().distinct().sorted().toList();
        this.progress = progress;
    }

    private static String topic(int orgs) {
        return "bench-scaling-" + orgs;
    }

    ObjectNode run() throws Exception {
        int maxOrgs = Math.max(SKEW_ORGS, orgCounts.get(orgCounts.size() - 1));
        progress.accept("linking " + maxOrgs + " orgs");
        setup.linkOrgs(maxOrgs);
        for (int orgs : orgCounts) {
            progress.accept("loading " + records + " records of " + orgs + " orgs");
            setup.loadRecords(topic(orgs), records, orgs, 0, orgs);
        }
        setup.loadRecords(SKEW_TOPIC, records, SKEW_ORGS, HOT_SHARE, 7);
        setup.kms().faults().setLatency(kmsLatency);

        ObjectNode report = BenchReport.JSON.createObjectNode();
        report.put("benchmark", "scaling");
        BenchReport.machine(report);
        report.put("records", records);
        report.put("kms_latency_ms", kmsLatency.toMillis());
        report.put("rounds", rounds);
        report.put("delivery_guarantee", base.deliveryGuarantee());
        report.put(
                "broadcast_state_bytes_per_link",
                BenchReport.round1(BroadcastStateSize.bytesPerLink(maxOrgs)));
        ArrayNode points = report.putArray("points");
        for (int parallelism : PARALLELISMS) {
            BenchRun runner = new BenchRun(setup, settings(parallelism));
            progress.accept("parallelism " + parallelism + ": warm-up");
            discard(
                    runner.run(
                            Variant.ENCRYPT,
                            topic(orgCounts.get(0)),
                            records,
                            orgCounts.get(0),
                            0,
                            0));
            List<BenchRun.Result> passes = new ArrayList<>();
            List<List<BenchRun.Result>> encrypts = new ArrayList<>();
            orgCounts.forEach(o -> encrypts.add(new ArrayList<>()));
            for (int round = 1; round <= rounds; round++) {
                passes.add(measure(runner, Variant.PASS_THROUGH, passThroughOrgs(), round));
                for (int i = 0; i < orgCounts.size(); i++) {
                    encrypts.get(i).add(measure(runner, Variant.ENCRYPT, orgCounts.get(i), round));
                }
            }
            for (int i = 0; i < orgCounts.size(); i++) {
                points.add(point(parallelism, orgCounts.get(i), encrypts.get(i), passes));
            }
        }
        report.set("skew", skew());
        setup.kms().faults().setLatency(Duration.ZERO);
        targets(report);
        return report;
    }

    /**
     * Returns the org count of the pass-through runs, which do not depend on it: 100 if measured.
     */
    private int passThroughOrgs() {
        return orgCounts.contains(100) ? 100 : orgCounts.get(0);
    }

    private BenchRun.Settings settings(int parallelism) {
        return new BenchRun.Settings(
                parallelism,
                base.deliveryGuarantee(),
                base.checkpointInterval(),
                base.compression());
    }

    private BenchRun.Result measure(BenchRun runner, Variant variant, int orgs, int round)
            throws Exception {
        BenchRun.Result r = runner.run(variant, topic(orgs), records, orgs, round, 0);
        progress.accept(
                String.format(
                        "parallelism %d, %d orgs, %s: %.0f records/s, %s, errors %s",
                        r.parallelism,
                        orgs,
                        variant.label,
                        r.recordsPerSecond,
                        r.kmsCalls,
                        r.kmsErrors));
        discard(r);
        return r;
    }

    private void discard(BenchRun.Result r) throws Exception {
        setup.deleteTopics(r.outputTopic);
    }

    private static ObjectNode point(
            int parallelism,
            int orgs,
            List<BenchRun.Result> encrypts,
            List<BenchRun.Result> passes) {
        ObjectNode p = BenchReport.JSON.createObjectNode();
        p.put("parallelism", parallelism);
        p.put("orgs", orgs);
        double[] rates = encrypts.stream().mapToDouble(r -> r.recordsPerSecond).toArray();
        double[] passRates = passes.stream().mapToDouble(r -> r.recordsPerSecond).toArray();
        double[] ratios = new double[rates.length];
        double[] generate = new double[rates.length];
        double[] total = new double[rates.length];
        for (int i = 0; i < rates.length; i++) {
            ratios[i] = rates[i] / passRates[i];
            Map<String, Long> calls = encrypts.get(i).kmsCalls;
            generate[i] = calls.getOrDefault("GenerateDataKey", 0L);
            total[i] = calls.values().stream().mapToLong(Long::longValue).sum();
        }
        BenchReport.spread(p, "records_per_second", Stats.Spread.of(rates), 0);
        BenchReport.spread(p, "pass_through_records_per_second", Stats.Spread.of(passRates), 0);
        BenchReport.spread(p, "throughput_ratio", Stats.Spread.of(ratios), 3);
        BenchReport.spread(p, "generate_data_key_calls", Stats.Spread.of(generate), 0);
        BenchReport.spread(p, "kms_calls", Stats.Spread.of(total), 0);
        BenchReport.spread(
                p,
                "dek_cache_entries",
                Stats.Spread.of(encrypts.stream().mapToDouble(r -> r.cachedDeks).toArray()),
                0);
        ObjectNode last = p.putObject("kms_calls_last_run");
        encrypts.get(encrypts.size() - 1).kmsCalls.forEach(last::put);
        ObjectNode errors = p.putObject("kms_errors");
        encrypts.forEach(
                r ->
                        r.kmsErrors.forEach(
                                (call, n) -> errors.put(call, errors.path(call).asLong() + n)));
        return p;
    }

    /**
     * Runs only the skew case: links and loads the skewed records, warms up, and measures {@link
     * #skew()}.
     */
    ObjectNode runSkew() throws Exception {
        progress.accept("linking " + SKEW_ORGS + " orgs");
        setup.linkOrgs(SKEW_ORGS);
        setup.loadRecords(SKEW_TOPIC, records, SKEW_ORGS, HOT_SHARE, 7);
        setup.kms().faults().setLatency(kmsLatency);
        ObjectNode report = BenchReport.JSON.createObjectNode();
        report.put("benchmark", "skew");
        BenchReport.machine(report);
        report.put("records", records);
        report.put("kms_latency_ms", kmsLatency.toMillis());
        report.put("rounds", rounds);
        report.put("delivery_guarantee", base.deliveryGuarantee());
        progress.accept("skew: warm-up");
        discard(
                new BenchRun(setup, settings(2))
                        .run(Variant.ENCRYPT, SKEW_TOPIC, records, SKEW_ORGS, 0, 0));
        report.set("skew", skew());
        setup.kms().faults().setLatency(Duration.ZERO);
        return report;
    }

    /**
     * Both variants over the skewed records at parallelism 2, with the hot org salted ({@code
     * hot-orgs.ids}) and not, with work per parallel instance and GenerateDataKey calls.
     */
    private ObjectNode skew() throws Exception {
        BenchRun plain = new BenchRun(setup, settings(2));
        BenchRun salted = plain.withHotOrgs(List.of(BenchSetup.orgId(HOT_ORG)));
        ObjectNode skew = BenchReport.JSON.createObjectNode();
        skew.put("parallelism", 2);
        skew.put("orgs", SKEW_ORGS);
        skew.put("hot_org", BenchSetup.orgId(HOT_ORG));
        skew.put("hot_org_share", HOT_SHARE);
        ArrayNode runs = skew.putArray("runs");
        for (int round = 1; round <= rounds; round++) {
            for (boolean salting : new boolean[] {false, true}) {
                for (Variant v : List.of(Variant.PASS_THROUGH, Variant.ENCRYPT)) {
                    String label = v.label + (salting ? ", salted" : ", not salted");
                    progress.accept("skew, round " + round + ": " + label);
                    BenchRun.Result r =
                            (salting ? salted : plain)
                                    .run(v, SKEW_TOPIC, records, SKEW_ORGS, round, 0);
                    discard(r);
                    runs.add(skewRun(r, salting));
                    progress.accept(
                            String.format(
                                    "skew, %s: %.0f records/s, per instance %s, %s",
                                    label,
                                    r.recordsPerSecond,
                                    java.util.Arrays.toString(r.recordsPerInstance),
                                    r.kmsCalls));
                }
            }
        }
        return skew;
    }

    private static ObjectNode skewRun(BenchRun.Result r, boolean salting) {
        ObjectNode run = BenchReport.JSON.createObjectNode();
        run.put("variant", r.variant.label);
        run.put("salting", salting);
        run.put("round", r.round);
        run.put("records_per_second", Math.round(r.recordsPerSecond));
        ArrayNode counts = run.putArray("step_records_per_instance");
        ArrayNode shares = run.putArray("step_record_share_per_instance");
        long total = java.util.Arrays.stream(r.recordsPerInstance).sum();
        for (long n : r.recordsPerInstance) {
            counts.add(n);
            shares.add(BenchReport.round(total == 0 ? 0 : (double) n / total, 3));
        }
        ObjectNode cpu = run.putObject("task_thread_cpu_seconds");
        r.taskCpuNanos.forEach((task, nanos) -> cpu.put(task, BenchReport.round(nanos / 1e9, 3)));
        run.put("step_wall_seconds", BenchReport.round(r.stepNanos / 1e9, 3));
        run.put("generate_data_key_calls", r.kmsCalls.getOrDefault("GenerateDataKey", 0L));
        return run;
    }

    private void targets(ObjectNode report) {
        ObjectNode targets = report.putObject("targets_met");
        double at100 = Double.NaN;
        double atMax = Double.NaN;
        boolean generateOk = true;
        for (var p : report.get("points")) {
            int orgs = p.get("orgs").asInt();
            if (p.get("parallelism").asInt() == 1 && orgs == 100) {
                at100 = p.get("records_per_second").get("median").asDouble();
            }
            if (p.get("parallelism").asInt() == 1 && orgs == 10_000) {
                atMax = p.get("records_per_second").get("median").asDouble();
            }
            // Keyed by org, each org's records meet one parallel instance, so one DEK per org.
            generateOk &= p.get("generate_data_key_calls").get("max").asDouble() <= orgs;
        }
        targets.put("generate_data_key_at_most_1_per_org", generateOk);
        if (!Double.isNaN(at100) && !Double.isNaN(atMax)) {
            targets.put("orgs_10000_vs_100_ratio", BenchReport.round(atMax / at100, 3));
            targets.put("orgs_10000_at_least_half_of_100", atMax >= 0.5 * at100);
        }
    }
}
