package io.cmekflink.job;

import com.github.benmanes.caffeine.cache.Ticker;
import io.cmekflink.config.JobConfig;
import io.cmekflink.config.JobOptions;
import io.cmekflink.crypto.InvalidCiphertextException;
import io.cmekflink.crypto.RecordId;
import io.cmekflink.crypto.RecordOpenException;
import io.cmekflink.crypto.RecordOpener;
import io.cmekflink.crypto.SealedRecord;
import io.cmekflink.crypto.TamperedRecordException;
import io.cmekflink.crypto.UnknownSchemaException;
import io.cmekflink.datakey.DataKeyLookup;
import io.cmekflink.deadletter.DeadLetter;
import io.cmekflink.deadletter.ErrorCode;
import io.cmekflink.deadletter.PayloadKind;
import io.cmekflink.deadletter.Stage;
import io.cmekflink.dek.Dek;
import io.cmekflink.dek.DekCacheSettings;
import io.cmekflink.dek.EdekCache;
import io.cmekflink.kms.KmsCallException;
import io.cmekflink.kms.KmsClients;
import io.cmekflink.kms.KmsDataKeys;
import io.cmekflink.kms.KmsErrors;
import io.cmekflink.kms.KmsSettings;
import io.cmekflink.logging.RateLimitedLog;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decrypts encrypted records for the one allowed to read them: reads the record and its envelope,
 * unwraps its EDEK with KMS {@code Decrypt} under the encryption context stored in the envelope,
 * opens the marked fields and writes the record in its writer schema. Records of canonical encoding
 * are read and opened from their bytes, without a GenericRecord (see {@link
 * RecordOpener#openToBytes}).
 *
 * <p>Every input ends in exactly one output. A record that cannot be decrypted becomes a dead
 * letter of stage DECRYPT whose payload is the encrypted record as read, so nothing decrypted ever
 * reaches a dead letter and no record is ever half-decrypted: the tag covers all marked fields of a
 * record, and a record is written only after it verified.
 */
public final class DecryptFunction extends RichAsyncFunction<SourceRecord, OutputRecord> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(DecryptFunction.class);

    /** The value format of decrypted records in Avro single-object encoding. */
    public static final String PLAINTEXT_FORMAT = "avro-single-object";

    private final DerivedSchemas schemas;
    private final KmsSettings kmsSettings;
    private final DekCacheSettings dekSettings;
    private final List<String> geoRegions;
    private final boolean singleObjectOutput;
    private final boolean metricsPerOrg;
    private final int requestBudget;
    private final boolean preferLocalReplica;
    private final Duration asyncTimeout;
    private final String dataKeyTopic;
    private final Map<String, String> kafkaSettings;

    private transient KmsClients clients;
    private transient EdekCache deks;
    private transient DataKeyLookup dataKeyLookup;
    private transient RecordOpener opener;
    private transient DecryptMetrics metrics;
    private transient RateLimitedLog deadLetterLog;
    private transient StepDeadlines deadlines;

    public DecryptFunction(JobConfig config) {
        this.schemas = DerivedSchemas.of(config);
        this.kmsSettings = KmsConfig.kmsSettings(config);
        this.dekSettings = KmsConfig.dekSettings(config);
        this.geoRegions = KmsConfig.geoRegions(config);
        this.singleObjectOutput =
                config.get(JobOptions.DECRYPT_OUTPUT_FORMAT).equals(PLAINTEXT_FORMAT);
        this.metricsPerOrg = config.get(JobOptions.METRICS_PER_ORG);
        this.requestBudget = config.get(JobOptions.KMS_REQUEST_BUDGET);
        this.preferLocalReplica = config.get(JobOptions.KMS_PREFER_LOCAL_REPLICA);
        this.asyncTimeout = config.get(JobOptions.ASYNC_TIMEOUT);
        this.dataKeyTopic = config.get(JobOptions.ENCRYPTION_DATA_KEY_TOPIC);
        this.kafkaSettings = new TreeMap<>(config.kafka());
    }

    @Override
    public void open(OpenContext openContext) {
        metrics = new DecryptMetrics(getRuntimeContext().getMetricGroup(), metricsPerOrg);
        deadlines =
                new StepDeadlines(
                        "decrypt",
                        getRuntimeContext().getTaskInfo().getIndexOfThisSubtask(),
                        asyncTimeout);
        KmsClients.checkCredentials();
        clients = new KmsClients(kmsSettings);
        KmsDataKeys dataKeys =
                new KmsDataKeys(
                        clients,
                        new HashSet<>(geoRegions),
                        metrics,
                        requestBudget
                                / (double)
                                        getRuntimeContext()
                                                .getTaskInfo()
                                                .getNumberOfParallelSubtasks(),
                        preferLocalReplica);
        if (!dataKeyTopic.isEmpty()) {
            // Half of the step's timeout, so that a record whose lookup fails still has time for
            // its KMS call.
            dataKeyLookup =
                    new DataKeyLookup(kafkaSettings, dataKeyTopic, asyncTimeout.dividedBy(2));
        }
        DataKeyUnwrapper unwrapper = new DataKeyUnwrapper(dataKeys::decrypt, dataKeyLookup);
        deks =
                new EdekCache(
                        dekSettings.maxAge(),
                        dekSettings.maxEntries(),
                        dekSettings.failureTtl(),
                        unwrapper,
                        Ticker.systemTicker(),
                        // The cache's upkeep runs on the thread that uses it, as in the encrypt
                        // step; unwrapping stays asynchronous on the KMS client's threads.
                        Runnable::run);
        opener = RecordOpener.create(schemas.registry());
        deadLetterLog = new RateLimitedLog(LOG, 10_000);
    }

    @Override
    public void close() {
        LOG.info(
                "decrypt step {} closing",
                getRuntimeContext().getTaskInfo().getIndexOfThisSubtask());
        if (deadlines != null) {
            deadlines.close();
        }
        if (clients != null) {
            clients.close();
        }
        if (dataKeyLookup != null) {
            dataKeyLookup.close();
        }
    }

    @Override
    public void asyncInvoke(SourceRecord record, ResultFuture<OutputRecord> result) {
        SealedRecord sealed;
        try {
            sealed = opener.read(record.value);
        } catch (UnknownSchemaException e) {
            result.complete(List.of(deadLetter(record, null, ErrorCode.UNKNOWN_SCHEMA, e, null)));
            return;
        } catch (RecordOpenException | RuntimeException e) {
            result.complete(List.of(deadLetter(record, null, ErrorCode.MALFORMED_RECORD, e, null)));
            return;
        }
        CompletableFuture<Dek> dek =
                deks.dekFor(sealed.keyArn(), sealed.edek(), sealed.encryptionContext());
        if (dek.isDone()) {
            complete(record, sealed, dek, result);
        } else {
            ResultFuture<OutputRecord> bounded =
                    deadlines.bound(result, () -> List.of(expired(record, sealed)));
            dek.whenComplete((ignored, error) -> complete(record, sealed, dek, bounded));
        }
    }

    private void complete(
            SourceRecord record,
            SealedRecord sealed,
            CompletableFuture<Dek> dekFuture,
            ResultFuture<OutputRecord> result) {
        if (StepDeadlines.expired(result)) {
            // The record already left as a dead letter; opening it now would count it twice.
            return;
        }
        try {
            Dek dek;
            try {
                dek = dekFuture.join();
            } catch (RuntimeException e) {
                Throwable cause = KmsErrors.unwrap(e);
                ErrorCode code = DataKeyUnwrapper.errorCode(cause);
                result.complete(List.of(deadLetter(record, sealed, code, cause, cause)));
                return;
            }
            byte[] plaintext;
            try {
                plaintext = opener.openToBytes(sealed, dek, singleObjectOutput);
            } catch (TamperedRecordException e) {
                result.complete(List.of(deadLetter(record, sealed, ErrorCode.TAMPERED, e, null)));
                return;
            } catch (UnknownSchemaException e) {
                result.complete(
                        List.of(deadLetter(record, sealed, ErrorCode.UNKNOWN_SCHEMA, e, null)));
                return;
            } catch (InvalidCiphertextException e) {
                result.complete(
                        List.of(deadLetter(record, sealed, ErrorCode.MALFORMED_RECORD, e, null)));
                return;
            }
            result.complete(List.of(plaintextOutput(record, plaintext)));
        } catch (RuntimeException | RecordOpenException e) {
            LOG.error(
                    "unexpected failure decrypting the record at {}-{}@{}: {}",
                    record.topic,
                    record.partition,
                    record.offset,
                    e.getClass().getName());
            result.complete(List.of(deadLetter(record, sealed, ErrorCode.INTERNAL_ERROR, e, null)));
        }
    }

    /** Returns the dead letter of a record whose data key did not arrive within the timeout. */
    private OutputRecord expired(SourceRecord record, SealedRecord sealed) {
        return deadLetter(
                record,
                sealed,
                ErrorCode.KMS_UNAVAILABLE,
                new IllegalStateException(StepDeadlines.expiredMessage("data key", asyncTimeout)),
                null);
    }

    private OutputRecord plaintextOutput(SourceRecord record, byte[] plaintext) {
        OutputRecord out = new OutputRecord();
        out.key = record.key;
        out.value = plaintext;
        out.headerKeys = record.headerKeys;
        out.headerValues = record.headerValues;
        out.timestamp = record.timestamp;
        metrics.decrypted();
        return out;
    }

    private OutputRecord deadLetter(
            SourceRecord record,
            SealedRecord sealed,
            ErrorCode code,
            Throwable error,
            Throwable kmsError) {
        String orgId = sealed == null ? null : sealed.orgId();
        DeadLetter.Builder builder =
                DeadLetters.of(Stage.DECRYPT, code, record)
                        .orgId(orgId)
                        .message(error.getMessage() == null ? code.name() : error.getMessage())
                        .payload(PayloadKind.ENCRYPTED_RECORD, record.value, null);
        if (sealed != null) {
            RecordId id = sealed.recordId();
            if (!sealed.hasReference()) {
                builder.keyArn(sealed.keyArn());
            }
            builder.recordId(id.topic(), id.partition(), id.offset());
        }
        if (kmsError instanceof KmsCallException k) {
            if (sealed != null && sealed.hasReference()) {
                // The key ARN of the entry that the reference named.
                builder.keyArn(k.keyArn());
            }
            builder.awsError(k.awsErrorCode(), k.requestId()).attempts(k.attempts());
        }
        DeadLetter letter = builder.build();
        metrics.deadLetter(code, orgId);
        deadLetterLog.warn(
                code.name(),
                "decryption dead letter {} for org {} at {}-{}@{}: {}",
                code,
                orgId,
                record.topic,
                record.partition,
                record.offset,
                letter.message());
        return DeadLetters.output(letter, record);
    }
}
