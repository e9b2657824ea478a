package io.cmekflink.local.bench;

import io.cmekflink.config.JobConfig;
import io.cmekflink.job.DecryptFunction;
import io.cmekflink.job.DecryptJob;
import io.cmekflink.job.EncryptJob;
import io.cmekflink.job.JobStep;
import io.cmekflink.job.KeyChangeCatchUp;
import io.cmekflink.job.Routed;
import io.cmekflink.job.SourceRecord;
import io.cmekflink.local.kms.KmsEmulator;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Runs one variant of the pipeline over a pre-loaded topic on its own local mini cluster, waits
 * until every record is committed to the output topic, and collects what the run measured.
 *
 * <p>Each run has a job name of its own, so its consumer group starts at the earliest offsets, and
 * output topics of its own, whose records carry the broker's append time.
 */
final class BenchRun {

    private static final Duration TIMEOUT = Duration.ofMinutes(10);

    /** Settings shared by every run of one benchmark. */
    record Settings(
            int parallelism,
            String deliveryGuarantee,
            Duration checkpointInterval,
            String compression) {}

    /** The measurements of one run. */
    static final class Result {
        Variant variant;
        int round;
        int parallelism;
        int orgs;
        String outputTopic;
        OutputTopic output;
        double recordsPerSecond;
        long[] latenciesNanos = new long[0];
        long[] recordsPerInstance;
        Map<String, Long> kmsCalls = new TreeMap<>();

        /**
         * The calls of {@link #kmsCalls} that the emulator answered with an error, by operation and
         * error type, for example {@code "GenerateDataKey ThrottlingException"}. A retried call
         * appears in both maps, so calls above one per DEK without errors here were successful
         * calls whose DEK the job loaded again.
         */
        Map<String, Long> kmsErrors = new TreeMap<>();

        /** Records the step completed inside its call: their data key was already cached. */
        long synchronousRecords;

        long deadLetters;

        /**
         * DEKs that the encrypt step's instances held at the end, summed over instances; 0 for
         * other variants.
         */
        long cachedDeks;

        Map<String, Long> taskCpuNanos = new TreeMap<>();

        /**
         * Log bytes per record of the job's own output topic, with its markers; 0 when not
         * measured.
         */
        double jobLogBytesPerRecord;

        /** Time from job submission until the step emitted the last record, in nanoseconds. */
        long stepNanos;

        /**
         * CPU microseconds per record by group of threads ({@link CpuShares}), measured while the
         * step completed its 10th to 90th percentile of records.
         */
        Map<String, Double> cpuMicrosPerRecord = new java.util.LinkedHashMap<>();

        /** The data-key topic of a {@link Variant#ENCRYPT_REFERENCE} run, or null. */
        String dataKeyTopic;

        /**
         * Entries in {@link #dataKeyTopic} after the run. The job writes one per DEK it generates,
         * so this should equal the run's {@code GenerateDataKey} calls.
         */
        long dataKeyEntries;

        /**
         * Log bytes per entry of {@link #dataKeyTopic} on the broker, with Kafka's batch and record
         * headers, or 0 when not measured.
         */
        double dataKeyLogBytesPerEntry;
    }

    /** Numbers the runs of this JVM, so that job names, topics and probes never repeat. */
    private static final java.util.concurrent.atomic.AtomicInteger RUNS =
            new java.util.concurrent.atomic.AtomicInteger();

    private final BenchSetup setup;
    private final Settings settings;
    private final List<String> hotOrgs;
    private final String encryptedValues;
    private final String referenceValues;

    BenchRun(BenchSetup setup, Settings settings) {
        this(setup, settings, List.of(), null, null);
    }

    private BenchRun(
            BenchSetup setup,
            Settings settings,
            List<String> hotOrgs,
            String encryptedValues,
            String referenceValues) {
        this.setup = setup;
        this.settings = settings;
        this.hotOrgs = List.copyOf(hotOrgs);
        this.encryptedValues = encryptedValues;
        this.referenceValues = referenceValues;
    }

    /** Returns a runner whose jobs spread the records of these orgs ({@code hot-orgs.ids}). */
    BenchRun withHotOrgs(List<String> ids) {
        return new BenchRun(setup, settings, ids, encryptedValues, referenceValues);
    }

    /**
     * Returns a runner whose {@link Variant#ENCRYPTED_BYTES} runs write the values of {@code
     * table}.
     */
    BenchRun withEncryptedValues(EncryptedValues table) {
        return new BenchRun(setup, settings, hotOrgs, table.id(), referenceValues);
    }

    /**
     * Returns a runner whose {@link Variant#REFERENCE_BYTES} runs write the values of {@code
     * table}.
     */
    BenchRun withReferenceValues(EncryptedValues table) {
        return new BenchRun(setup, settings, hotOrgs, encryptedValues, table.id());
    }

    /**
     * Runs {@code variant} over {@code inputTopic}, which contains {@code records} records of
     * {@code orgs} orgs, and keeps {@code sampleSize} output records for the size measurements.
     */
    Result run(Variant variant, String inputTopic, int records, int orgs, int round, int sampleSize)
            throws Exception {
        String runId = "bench-" + RUNS.incrementAndGet() + "-" + variant.label;
        String outputTopic = runId + "-out";
        String deadLetterTopic = runId + "-dlq";
        setup.createOutputTopics(outputTopic, deadLetterTopic);
        String dataKeyTopic = null;
        if (variant == Variant.ENCRYPT_REFERENCE) {
            dataKeyTopic = runId + "-data-keys";
            setup.createDataKeyTopic(dataKeyTopic);
        }
        JobConfig config =
                config(runId, variant, inputTopic, outputTopic, deadLetterTopic, dataKeyTopic);
        StepProbe probe = StepProbe.create(runId, records + 1);
        Map<String, Long> kmsBefore = setup.kms().callCounts();
        Map<String, Map<String, Long>> outcomesBefore = setup.kms().callCountsByOutcome();
        Result result = new Result();
        result.variant = variant;
        result.round = round;
        result.parallelism = settings.parallelism();
        result.orgs = orgs;
        result.outputTopic = outputTopic;
        result.dataKeyTopic = dataKeyTopic;
        long submitted = System.nanoTime();
        JobClient job = start(config, variant, runId);
        try {
            result.cpuMicrosPerRecord = awaitStep(probe, records, job);
            result.stepNanos = System.nanoTime() - submitted;
            result.output =
                    OutputTopic.read(
                            setup.bootstrapServers(), outputTopic, records, sampleSize, TIMEOUT);
            result.taskCpuNanos = TaskThreads.cpuNanosByTask();
        } finally {
            job.cancel().get(60, TimeUnit.SECONDS);
        }
        result.recordsPerSecond = result.output.recordsPerSecond();
        result.recordsPerInstance = probe.recordsPerInstance(settings.parallelism());
        result.synchronousRecords = probe.synchronousRecords();
        result.cachedDeks = probe.cachedDeks();
        if (variant.crypto) {
            result.latenciesNanos = probe.latenciesNanos();
            java.util.Arrays.sort(result.latenciesNanos);
        }
        StepProbe.remove(runId);
        Map<String, Long> kmsAfter = setup.kms().callCounts();
        kmsAfter.forEach(
                (op, n) -> {
                    long delta = n - kmsBefore.getOrDefault(op, 0L);
                    if (delta > 0) {
                        result.kmsCalls.put(op, delta);
                    }
                });
        result.kmsErrors = errorsSince(outcomesBefore, setup.kms().callCountsByOutcome());
        result.deadLetters = countRecords(deadLetterTopic);
        if (dataKeyTopic != null) {
            result.dataKeyEntries = countRecords(dataKeyTopic);
        }
        return result;
    }

    /** Returns the error outcomes counted between two snapshots of the emulator's counters. */
    private static Map<String, Long> errorsSince(
            Map<String, Map<String, Long>> before, Map<String, Map<String, Long>> after) {
        Map<String, Long> errors = new TreeMap<>();
        after.forEach(
                (op, outcomes) ->
                        outcomes.forEach(
                                (outcome, n) -> {
                                    if (outcome.equals(KmsEmulator.OUTCOME_SUCCESS)) {
                                        return;
                                    }
                                    long delta =
                                            n
                                                    - before.getOrDefault(op, Map.of())
                                                            .getOrDefault(outcome, 0L);
                                    if (delta > 0) {
                                        errors.put(op + " " + outcome, delta);
                                    }
                                }));
        return errors;
    }

    /**
     * Builds the job definition of one run. A non-null {@code dataKeyTopic} sets {@code
     * encryption.data-key-topic}.
     */
    private JobConfig config(
            String runId,
            Variant variant,
            String input,
            String output,
            String deadLetters,
            String dataKeyTopic) {
        String yaml =
                """
                job.name: %s
                job.type: %s
                job.parallelism: %d
                geo: EU
                records: {topic: %s, format: avro, schema: "%s", starting-offsets: earliest}
                key-changes.topic: %s
                key-changes.public-keys: ["%s"]
                output.topic: %s
                dead-letters.topic: %s
                checkpoint.interval: %dms
                delivery.guarantee: %s
                kms: {local-region: %s, endpoint: "%s"}
                kafka: {bootstrap.servers: "%s", compression.type: %s}
                hot-orgs.ids: [%s]
                flink:
                  rest.bind-address: 127.0.0.1
                  rest.address: 127.0.0.1
                  rest.bind-port: "0"
                  taskmanager.numberOfTaskSlots: %d
                  execution.checkpointing.dir: "%s"
                """
                        .formatted(
                                runId,
                                variant.jobType,
                                settings.parallelism(),
                                input,
                                setup.schemaFile(),
                                BenchSetup.KEY_CHANGES_TOPIC,
                                setup.publicKeyFile(),
                                output,
                                deadLetters,
                                settings.checkpointInterval().toMillis(),
                                settings.deliveryGuarantee(),
                                BenchSetup.REGION,
                                setup.kms().endpoint(),
                                setup.bootstrapServers(),
                                settings.compression(),
                                String.join(", ", hotOrgs),
                                settings.parallelism(),
                                setup.checkpointDir(runId).toUri());
        if (dataKeyTopic != null) {
            yaml += "encryption.data-key-topic: \"" + dataKeyTopic + "\"\n";
        }
        return JobConfig.parse(yaml, runId + ".yaml", name -> null);
    }

    private JobClient start(JobConfig config, Variant variant, String runId) throws Exception {
        Configuration flink = EncryptJob.flinkConfiguration(config);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
        switch (variant) {
            case PASS_THROUGH ->
                    EncryptJob.build(env, config, catchUp(), encryptPassThrough(runId));
            case ENCRYPT, ENCRYPT_REFERENCE ->
                    EncryptJob.build(env, config, catchUp(), timedEncrypt(runId));
            case ENCRYPTED_BYTES ->
                    EncryptJob.build(
                            env,
                            config,
                            catchUp(),
                            tableBytes(runId, encryptedValues, "encrypted-bytes pass-through"));
            case REFERENCE_BYTES ->
                    EncryptJob.build(
                            env,
                            config,
                            catchUp(),
                            tableBytes(runId, referenceValues, "reference-bytes pass-through"));
            case DECRYPT_PASS_THROUGH -> DecryptJob.build(env, config, decryptPassThrough(runId));
            case DECRYPT -> DecryptJob.build(env, config, timedDecrypt(runId));
        }
        return env.executeAsync(runId);
    }

    private Map<Integer, Long> catchUp() {
        return KeyChangeCatchUp.lastOffsets(
                Map.of("bootstrap.servers", setup.bootstrapServers()),
                BenchSetup.KEY_CHANGES_TOPIC,
                Duration.ofSeconds(30));
    }

    private static JobStep<Routed> encryptPassThrough(String runId) {
        return (routed, config) ->
                routed.process(new PassThroughSteps.Encrypt(runId))
                        .name("encrypt (pass-through)")
                        .uid(EncryptJob.UID_ENCRYPT);
    }

    /**
     * Returns a step that writes the values of the table {@code tableId} ({@link EncryptedValues}).
     */
    private static JobStep<Routed> tableBytes(String runId, String tableId, String name) {
        if (tableId == null) {
            throw new IllegalStateException(
                    "the " + name + " needs the output of an encrypt run first");
        }
        return (routed, config) ->
                routed.process(new PassThroughSteps.EncryptedBytes(runId, tableId))
                        .name("encrypt (" + name + ")")
                        .uid(EncryptJob.UID_ENCRYPT);
    }

    private static JobStep<Routed> timedEncrypt(String runId) {
        return (routed, config) ->
                EncryptJob.encryptStep(
                        routed, new TimedStep<>(EncryptJob.encryptFunction(config), runId), config);
    }

    private static JobStep<SourceRecord> decryptPassThrough(String runId) {
        return (encrypted, config) ->
                encrypted
                        .process(new PassThroughSteps.Decrypt(runId))
                        .name("decrypt (pass-through)")
                        .uid(DecryptJob.UID_DECRYPT);
    }

    private static JobStep<SourceRecord> timedDecrypt(String runId) {
        return (encrypted, config) ->
                DecryptJob.decryptStep(
                        encrypted,
                        new TimedStep<SourceRecord>(new DecryptFunction(config), runId),
                        config);
    }

    /**
     * Waits until the step emitted {@code records} records, or the job ended, and returns the CPU
     * per record between the moments the step passed 10% and 90% of them.
     */
    private static Map<String, Double> awaitStep(StepProbe probe, int records, JobClient job)
            throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        CpuShares.Snapshot first = null;
        long firstCount = 0;
        Map<String, Double> cpu = new java.util.LinkedHashMap<>();
        while (probe.records() < records) {
            long done = probe.records();
            if (first == null && done >= records / 10) {
                first = CpuShares.Snapshot.take();
                firstCount = done;
            } else if (first != null && cpu.isEmpty() && done >= records - records / 10) {
                cpu = CpuShares.Snapshot.take().microsPerRecordSince(first, done - firstCount);
            }
            if (job.getJobStatus().get().isGloballyTerminalState()) {
                throw new IllegalStateException(
                        "the job ended after "
                                + probe.records()
                                + " of "
                                + records
                                + " records: "
                                + job.getJobStatus().get());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        "only "
                                + probe.records()
                                + " of "
                                + records
                                + " records passed the step within "
                                + TIMEOUT.toMinutes()
                                + " minutes");
            }
            Thread.sleep(10);
        }
        return cpu;
    }

    private long countRecords(String topic) {
        return io.cmekflink.local.Topics.readAll(
                        setup.bootstrapServers(), topic, true, Duration.ofSeconds(30))
                .size();
    }
}
