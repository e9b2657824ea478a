package io.cmekflink.job;

import com.github.benmanes.caffeine.cache.Ticker;
import io.cmekflink.config.Durations;
import io.cmekflink.config.JobConfig;
import io.cmekflink.config.JobOptions;
import io.cmekflink.crypto.EncryptionContext;
import io.cmekflink.crypto.RecordId;
import io.cmekflink.crypto.RecordSealer;
import io.cmekflink.crypto.SealedPayload;
import io.cmekflink.datakey.DataKeyEntry;
import io.cmekflink.datakey.DataKeyException;
import io.cmekflink.datakey.DataKeyPublisher;
import io.cmekflink.datakey.DataKeyReference;
import io.cmekflink.deadletter.DeadLetter;
import io.cmekflink.deadletter.ErrorCode;
import io.cmekflink.deadletter.PayloadKind;
import io.cmekflink.deadletter.Stage;
import io.cmekflink.dek.Dek;
import io.cmekflink.dek.DekCache;
import io.cmekflink.dek.DekCacheSettings;
import io.cmekflink.dek.DekExhaustedException;
import io.cmekflink.kms.GeneratedDataKey;
import io.cmekflink.kms.KeyHealthChecker;
import io.cmekflink.kms.KmsCallException;
import io.cmekflink.kms.KmsClients;
import io.cmekflink.kms.KmsDataKeys;
import io.cmekflink.kms.KmsErrors;
import io.cmekflink.kms.KmsSettings;
import io.cmekflink.kms.RequestBudget;
import io.cmekflink.logging.RateLimitedLog;
import io.cmekflink.schema.MalformedRecordException;
import io.cmekflink.schema.SingleObjectEncoding;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Encrypts the marked fields of each record under a DEK of its org's key, as one Flink async I/O
 * step: a record whose DEK is cached is sealed at once on the task thread; a record that needs
 * {@code GenerateDataKey} waits for it without blocking the task thread, and concurrent misses for
 * one key share one call.
 *
 * <p>Every input element ends in exactly one output: an encrypted record or a dead letter (control
 * elements end in none). A KMS failure, a timeout or any unexpected exception completes the element
 * normally with a dead letter, because an exceptional completion would fail the task and restart
 * the job. The one exception is a record sealed in state under the platform state key that fails to
 * open: it fails the task, so that the restored checkpoint still contains it.
 *
 * <p>The function bounds each record's wait by {@code async.timeout} itself ({@link
 * StepDeadlines}), and {@link EncryptJob#encryptStep} runs it under async I/O without Flink's
 * timeout, so only records that wait for KMS get a timer.
 */
public final class EncryptFunction extends RichAsyncFunction<Routed, OutputRecord> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(EncryptFunction.class);

    /**
     * How many DEKs one record may try when each runs out of encryptions before its turn, as when
     * more records wait on one load than a DEK's budget allows.
     */
    private static final int MAX_DEK_ATTEMPTS = 16;

    /** The org under which the cache keeps DEKs of the platform dead-letter key. */
    private static final String PLATFORM = "(platform dead letters)";

    private final JobSchemas schemas;
    private final KmsSettings kmsSettings;
    private final DekCacheSettings dekSettings;
    private final List<String> geoRegions;
    private final int maxRecordBytes;
    private final String outputTopic;

    /** The largest record batch the output topic accepts; see {@link OutputMessageLimit}. */
    private int maxMessageBytes = OutputMessageLimit.DEFAULT_MAX_REQUEST_SIZE;

    private final Duration asyncTimeout;
    private final Duration healthCheckInterval;
    private final int healthCheckConcurrency;
    private final int describeKeyBudget;
    private final int requestBudget;
    private final boolean preferLocalReplica;
    private final String stateKeyArn;
    private final String platformKeyArn;
    private final Duration sealedRetention;
    private final String dataKeyTopic;
    private final Map<String, String> kafkaSettings;

    private transient KmsClients clients;
    private transient DekCache deks;
    private transient DekCache platformDeks;
    private transient DataKeyPublisher dataKeyPublisher;

    /**
     * Runs the publishing of data-key entries, which can block for the topic's metadata, and then
     * the sealing of the records that waited for the DEK, off the KMS client's and the producer's
     * threads.
     */
    private transient ExecutorService dataKeyThread;

    private transient KeyHealthChecker health;
    private transient StateKeys stateKeys;
    private transient io.cmekflink.crypto.StateSealer stateSealer;
    private transient List<RecordSealer> sealers;
    private transient long[] writerFingerprints;
    private transient EncryptMetrics metrics;
    private transient RateLimitedLog deadLetterLog;
    private transient StepDeadlines deadlines;

    public EncryptFunction(JobConfig config) {
        this.schemas = JobSchemas.of(config);
        this.kmsSettings = KmsConfig.kmsSettings(config);
        this.dekSettings = KmsConfig.dekSettings(config);
        this.geoRegions = KmsConfig.geoRegions(config);
        this.maxRecordBytes = config.get(JobOptions.OUTPUT_MAX_RECORD_BYTES);
        this.outputTopic = config.get(JobOptions.OUTPUT_TOPIC);
        this.asyncTimeout = config.get(JobOptions.ASYNC_TIMEOUT);
        this.healthCheckInterval = config.get(JobOptions.KEY_HEALTH_CHECK_INTERVAL);
        this.healthCheckConcurrency = config.get(JobOptions.KEY_HEALTH_CHECK_CONCURRENCY);
        this.describeKeyBudget = config.get(JobOptions.KMS_DESCRIBE_KEY_BUDGET);
        this.requestBudget = config.get(JobOptions.KMS_REQUEST_BUDGET);
        this.preferLocalReplica = config.get(JobOptions.KMS_PREFER_LOCAL_REPLICA);
        this.platformKeyArn = config.get(JobOptions.DEAD_LETTERS_PLATFORM_KEY_ARN);
        this.stateKeyArn = config.get(JobOptions.STATE_PLATFORM_KEY_ARN);
        this.sealedRetention = config.get(JobOptions.DEAD_LETTERS_SEALED_RETENTION);
        this.dataKeyTopic = config.get(JobOptions.ENCRYPTION_DATA_KEY_TOPIC);
        this.kafkaSettings = new TreeMap<>(config.kafka());
    }

    /**
     * Sets the largest record batch, in bytes, that the output topic accepts, and returns this
     * function. Encrypted records above it become {@code RECORD_TOO_LARGE} dead letters.
     */
    public EncryptFunction withMaxMessageBytes(int bytes) {
        this.maxMessageBytes = bytes;
        return this;
    }

    @Override
    public void open(OpenContext openContext) {
        metrics = new EncryptMetrics(getRuntimeContext().getMetricGroup());
        deadlines =
                new StepDeadlines(
                        "encrypt",
                        getRuntimeContext().getTaskInfo().getIndexOfThisSubtask(),
                        asyncTimeout);
        KmsClients.checkCredentials();
        clients = new KmsClients(kmsSettings);
        int parallelism = getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks();
        KmsDataKeys dataKeys =
                new KmsDataKeys(
                        clients,
                        new HashSet<>(geoRegions),
                        metrics,
                        requestBudget / (double) parallelism,
                        preferLocalReplica);
        if (!healthCheckInterval.isZero()) {
            health =
                    new KeyHealthChecker(
                            clients,
                            healthCheckInterval,
                            healthCheckConcurrency,
                            new RequestBudget(describeKeyBudget / (double) parallelism, 1),
                            new HealthListener(),
                            metrics);
            metrics.registerHealth(health);
        }
        if (!dataKeyTopic.isEmpty()) {
            dataKeyPublisher = new DataKeyPublisher(kafkaSettings, dataKeyTopic, asyncTimeout);
            dataKeyThread = JobParts.daemonThread("data-key-publisher");
        }
        deks =
                new DekCache(
                        dekSettings,
                        (org, arn) -> {
                            if (health != null) {
                                health.watch(arn);
                            }
                            CompletableFuture<GeneratedDataKey> generated =
                                    dataKeys.generateDataKey(arn, EncryptionContext.of(org));
                            return dataKeyPublisher == null
                                    ? generated
                                    : generated.thenComposeAsync(
                                            g -> publishEntry(org, g), dataKeyThread);
                        },
                        Ticker.systemTicker(),
                        // The cache's upkeep runs on the thread that uses it. On the common pool it
                        // cost a thread wake-up every few lookups: 0.9 us per record in the bench.
                        Runnable::run);
        metrics.registerCache(deks);
        if (!platformKeyArn.isEmpty()) {
            platformDeks =
                    new DekCache(
                            dekSettings,
                            (org, arn) ->
                                    dataKeys.generateDataKey(arn, SealedPayload.ENCRYPTION_CONTEXT),
                            Ticker.systemTicker(),
                            Runnable::run);
        }
        sealers = new ArrayList<>();
        writerFingerprints = new long[schemas.size()];
        for (int i = 0; i < schemas.size(); i++) {
            sealers.add(RecordSealer.create(schemas.derived(i)));
            writerFingerprints[i] = schemas.writerFingerprint(i);
        }
        deadLetterLog = new RateLimitedLog(LOG, 10_000);
        if (!stateKeyArn.isEmpty()) {
            stateKeys = new StateKeys(stateKeyArn, kmsSettings, geoRegions);
            stateSealer = new io.cmekflink.crypto.StateSealer(stateKeys);
        }
        LOG.info(
                "encrypt step {} opened: KMS region {}, endpoint {}, DEK max age {}",
                getRuntimeContext().getTaskInfo().getIndexOfThisSubtask(),
                kmsSettings.localRegion(),
                kmsSettings.endpointOverride() == null ? "AWS" : kmsSettings.endpointOverride(),
                Durations.format(dekSettings.maxAge()));
    }

    /** Applies what the health checks find to the DEK cache. */
    private final class HealthListener implements KeyHealthChecker.Listener {
        @Override
        public void onUnusable(String keyArn, KmsCallException reason) {
            // Held for two intervals, renewed by each check that still finds the key unusable.
            deks.revokeKey(
                    keyArn,
                    reason,
                    healthCheckInterval.multipliedBy(2).plus(kmsSettings.attemptTimeout()));
            metrics.keyUnusable(keyArn, true);
        }

        @Override
        public void onUsable(String keyArn) {
            deks.clearRevocation(keyArn);
            metrics.keyUnusable(keyArn, false);
        }

        @Override
        public void onRotationStatus(String keyArn, boolean enabled) {
            metrics.rotationStatus(keyArn, enabled);
        }
    }

    /** Returns the number of DEKs this instance holds, an estimate; 0 before it opened. */
    public long cachedDeks() {
        return deks == null ? 0 : deks.size();
    }

    @Override
    public void close() {
        if (metrics != null) {
            LOG.info(
                    "encrypt step {} closing after {} records encrypted in this run",
                    getRuntimeContext().getTaskInfo().getIndexOfThisSubtask(),
                    metrics.encryptedCount());
        }
        if (deadlines != null) {
            deadlines.close();
        }
        if (health != null) {
            health.close();
        }
        if (stateKeys != null) {
            stateKeys.close();
        }
        if (clients != null) {
            clients.close();
        }
        if (dataKeyPublisher != null) {
            dataKeyPublisher.close();
        }
        if (dataKeyThread != null) {
            dataKeyThread.shutdownNow();
        }
    }

    /**
     * Publishes the entry of a new DEK to the data-key topic and returns the DEK with the entry's
     * reference, once the topic acknowledged the entry. No record is sealed under the DEK before
     * that, so a reader never meets a reference to an entry that does not exist.
     */
    private CompletableFuture<GeneratedDataKey> publishEntry(
            String orgId, GeneratedDataKey generated) {
        CompletableFuture<DataKeyReference> published;
        try {
            published =
                    dataKeyPublisher.publish(
                            new DataKeyEntry(
                                    orgId,
                                    generated.keyArn(),
                                    generated.edek(),
                                    System.currentTimeMillis()));
        } catch (RuntimeException e) {
            published = CompletableFuture.failedFuture(e);
        }
        return published.handleAsync(
                (reference, error) -> {
                    if (error != null) {
                        // The DEK is never used, so its plaintext goes now.
                        Arrays.fill(generated.plaintext(), (byte) 0);
                        throw error instanceof CompletionException c
                                ? c
                                : new CompletionException(error);
                    }
                    return generated.withReference(reference.toBytes());
                },
                dataKeyThread);
    }

    @Override
    public void asyncInvoke(Routed queued, ResultFuture<OutputRecord> result) {
        Routed routed;
        try {
            routed = opened(queued);
        } catch (RuntimeException e) {
            // A dead letter could keep neither the plaintext nor the state key's seal, so the
            // task fails and restarts from its last checkpoint, which still contains the record.
            result.completeExceptionally(
                    new IllegalStateException(
                            "failed to open a record of org "
                                    + queued.orgId
                                    + " sealed under state.platform-key-arn; the task restarts"
                                    + " from its last checkpoint. Check that the job may call"
                                    + " kms:Decrypt on that key",
                            e));
            return;
        }
        try {
            switch (routed.kind) {
                case Routed.CONTROL -> {
                    deks.invalidateOrg(routed.orgId);
                    result.complete(List.of());
                }
                case Routed.PASS_THROUGH -> result.complete(List.of(passThrough(routed.record)));
                case Routed.SEAL_DEAD_LETTER ->
                        finish(
                                result,
                                routed,
                                Stage.valueOf(routed.stage),
                                ErrorCode.valueOf(routed.errorCode),
                                routed.message,
                                null,
                                null);
                default -> encrypt(routed, result, 1);
            }
        } catch (RuntimeException e) {
            result.complete(List.of(internalError(routed, e)));
        }
    }

    /**
     * Returns the element to work on: the queued element itself, or, for a record sealed in state,
     * a copy with its values opened. The queued element is never changed, because the async step
     * writes its queue into every checkpoint while the record waits for its DEK.
     */
    private Routed opened(Routed queued) {
        if (queued.record == null || !queued.record.sealed) {
            return queued;
        }
        if (stateSealer == null) {
            throw new IllegalStateException(
                    "a record sealed under a state key arrived, but state.platform-key-arn is not"
                            + " set for this step");
        }
        ParsedRecord record = queued.record.copy();
        record.avro = stateSealer.open(record.avro);
        if (record.original != null) {
            record.original = stateSealer.open(record.original);
        }
        record.sealed = false;
        return queued.withRecord(record);
    }

    private void encrypt(Routed routed, ResultFuture<OutputRecord> result, int attempt) {
        CompletableFuture<Dek> dek = deks.dekFor(routed.orgId, routed.keyArn);
        if (dek.isDone()) {
            complete(routed, result, dek, attempt);
        } else {
            ResultFuture<OutputRecord> bounded = withDeadline(routed, result);
            dek.whenComplete((ignored, error) -> complete(routed, bounded, dek, attempt));
        }
    }

    private void complete(
            Routed routed,
            ResultFuture<OutputRecord> result,
            CompletableFuture<Dek> dekFuture,
            int attempt) {
        try {
            if (routed.isTimedOut()) {
                // The record already became a dead letter; sealing it would waste an encryption.
                return;
            }
            Dek dek;
            try {
                dek = dekFuture.join();
            } catch (RuntimeException e) {
                kmsFailure(routed, KmsErrors.unwrap(e), result);
                return;
            }
            OutputRecord out;
            try {
                out = seal(routed.record, dek);
            } catch (DekExhaustedException e) {
                if (attempt < MAX_DEK_ATTEMPTS) {
                    // Records waiting on one load used up this DEK; the cache loads a new one.
                    encrypt(routed, result, attempt + 1);
                    return;
                }
                throw new IllegalStateException(e.getMessage(), e);
            }
            result.complete(List.of(out));
        } catch (RuntimeException e) {
            result.complete(List.of(internalError(routed, e)));
        }
    }

    private OutputRecord seal(ParsedRecord record, Dek dek) throws DekExhaustedException {
        if (record.schemaIndex < 0
                || record.schemaIndex >= writerFingerprints.length
                || writerFingerprints[record.schemaIndex] != record.schemaFingerprint) {
            // Sealing under another schema version than the record's could leave a field
            // marked only in the record's version in plaintext.
            return deadLetter(
                    record,
                    ErrorCode.INTERNAL_ERROR,
                    "the record's writer schema fingerprint does not match writer schema "
                            + record.schemaIndex
                            + " of this job",
                    null,
                    null);
        }
        RecordId id =
                new RecordId(record.recordIdTopic, record.recordIdPartition, record.recordIdOffset);
        byte[] value;
        try {
            value =
                    sealers.get(record.schemaIndex)
                            .sealBinary(record.avro, 0, record.avro.length, record.orgId, id, dek);
        } catch (MalformedRecordException e) {
            return deadLetter(record, ErrorCode.MALFORMED_RECORD, e.getMessage(), null, null);
        }
        if (value.length > maxRecordBytes) {
            return deadLetter(
                    record,
                    ErrorCode.RECORD_TOO_LARGE,
                    "the encrypted record has "
                            + value.length
                            + " bytes, above output.max-record-bytes ("
                            + maxRecordBytes
                            + ")",
                    dek.keyArn(),
                    null);
        }
        OutputRecord out = encryptedOutput(record, value);
        long batchBytes = KafkaRecordSize.upperBound(out);
        if (batchBytes > maxMessageBytes) {
            return deadLetter(
                    record,
                    ErrorCode.RECORD_TOO_LARGE,
                    "the encrypted record takes up to "
                            + batchBytes
                            + " bytes as a Kafka record batch, above the "
                            + maxMessageBytes
                            + " bytes that topic "
                            + outputTopic
                            + " accepts (the smaller of its max.message.bytes and"
                            + " kafka.max.request.size); raise both limits or send smaller"
                            + " records",
                    dek.keyArn(),
                    null);
        }
        metrics.encrypted();
        return out;
    }

    private OutputRecord passThrough(ParsedRecord record) {
        metrics.passedThrough();
        return encryptedOutput(record, record.avro);
    }

    private static OutputRecord encryptedOutput(ParsedRecord record, byte[] value) {
        OutputRecord out = new OutputRecord();
        out.key = record.key;
        out.value = value;
        out.format = SingleObjectEncoding.FORMAT;
        out.headerKeys = record.headerKeys;
        out.headerValues = record.headerValues;
        out.timestamp = record.timestamp;
        out.orgId = record.orgId;
        return out;
    }

    private void kmsFailure(Routed routed, Throwable error, ResultFuture<OutputRecord> result) {
        if (error instanceof DataKeyException e) {
            finish(
                    result,
                    routed,
                    Stage.ENCRYPT,
                    // Only publishing can fail here; the input is kept for a replay.
                    ErrorCode.DATA_KEY_UNAVAILABLE,
                    e.getMessage(),
                    routed.keyArn,
                    null);
            return;
        }
        if (!(error instanceof KmsCallException e)) {
            result.complete(List.of(internalError(routed, error)));
            return;
        }
        finish(
                result,
                routed,
                Stage.ENCRYPT,
                ErrorCode.fromKms(e.kind()),
                e.getMessage(),
                routed.keyArn,
                DeadLetterKms.of(e.awsErrorCode(), e.requestId(), e.attempts()));
    }

    /**
     * Completes with a dead letter. Where a platform dead-letter key is configured and the code
     * allows it, the input is sealed under that key first, so that it can be replayed; if sealing
     * fails, the payload is dropped and the message says so.
     */
    private void finish(
            ResultFuture<OutputRecord> result,
            Routed routed,
            Stage stage,
            ErrorCode code,
            String message,
            String keyArn,
            DeadLetterKms kms) {
        ParsedRecord record = routed.record;
        if (platformDeks == null || !code.sealable()) {
            result.complete(List.of(deadLetter(record, stage, code, message, keyArn, kms, null)));
            return;
        }
        CompletableFuture<Dek> platformDek = platformDeks.dekFor(PLATFORM, platformKeyArn);
        ResultFuture<OutputRecord> bounded =
                platformDek.isDone() ? result : withDeadline(routed, result);
        platformDek.whenComplete(
                (dek, error) -> {
                    byte[] sealed = null;
                    String note = message;
                    try {
                        if (error == null) {
                            sealed = sealInput(record, dek);
                        } else {
                            note = message + "; " + sealingFailed(error);
                        }
                    } catch (RuntimeException | DekExhaustedException e) {
                        note = message + "; " + sealingFailed(e);
                    }
                    bounded.complete(
                            List.of(deadLetter(record, stage, code, note, keyArn, kms, sealed)));
                });
    }

    private static byte[] sealInput(ParsedRecord record, Dek dek) throws DekExhaustedException {
        byte[] value = record.original != null ? record.original : record.avro;
        return SealedPayload.seal(
                dek, value, record.orgId, record.topic, record.partition, record.offset);
    }

    private static String sealingFailed(Throwable error) {
        return "sealing the input under the platform dead-letter key failed ("
                + KmsErrors.describe(error)
                + "), so the payload was dropped";
    }

    private OutputRecord internalError(Routed routed, Throwable error) {
        LOG.error(
                "unexpected failure encrypting a record of org {}: {}",
                routed.orgId,
                error.getClass().getName());
        LOG.debug("unexpected failure", error);
        if (routed.record == null) {
            throw new IllegalStateException("control element failed", error);
        }
        return deadLetter(
                routed.record,
                ErrorCode.INTERNAL_ERROR,
                "unexpected " + error.getClass().getSimpleName() + " while encrypting",
                routed.keyArn,
                null);
    }

    /**
     * Returns {@code result} bounded by {@code async.timeout} from now. A record that has not
     * completed by then completes with a {@code KMS_UNAVAILABLE} dead letter.
     */
    private ResultFuture<OutputRecord> withDeadline(
            Routed routed, ResultFuture<OutputRecord> result) {
        return deadlines.bound(result, () -> expired(routed));
    }

    private List<OutputRecord> expired(Routed routed) {
        // Set before the dead letter is built, so that a DEK arriving now seals nothing.
        routed.timedOut = true;
        try {
            return List.of(
                    deadLetter(
                            routed.record,
                            ErrorCode.KMS_UNAVAILABLE,
                            StepDeadlines.expiredMessage("data key", asyncTimeout),
                            routed.keyArn,
                            null));
        } catch (RuntimeException e) {
            return List.of(internalError(routed, e));
        }
    }

    /** AWS error details of a dead letter. */
    private record DeadLetterKms(String awsErrorCode, String requestId, int attempts) {
        static DeadLetterKms of(String awsErrorCode, String requestId, int attempts) {
            return new DeadLetterKms(awsErrorCode, requestId, attempts);
        }
    }

    private OutputRecord deadLetter(
            ParsedRecord record, ErrorCode code, String message, String keyArn, DeadLetterKms kms) {
        return deadLetter(record, Stage.ENCRYPT, code, message, keyArn, kms, null);
    }

    private OutputRecord deadLetter(
            ParsedRecord record,
            Stage stage,
            ErrorCode code,
            String message,
            String keyArn,
            DeadLetterKms kms,
            byte[] sealedInput) {
        DeadLetter.Builder builder =
                DeadLetters.of(stage, code, record).message(message).keyArn(keyArn);
        if (kms != null) {
            builder.awsError(kms.awsErrorCode(), kms.requestId()).attempts(kms.attempts());
        }
        if (sealedInput != null) {
            builder.payload(
                    PayloadKind.SEALED,
                    sealedInput,
                    System.currentTimeMillis() + sealedRetention.toMillis());
        }
        DeadLetter letter = builder.build();
        metrics.deadLetter(code);
        deadLetterLog.warn(
                code.name(),
                "dead letter {} for org {} at {}-{}@{}: {}",
                code,
                record.orgId,
                record.topic,
                record.partition,
                record.offset,
                message);
        return DeadLetters.output(letter, record);
    }
}
