package io.cmekflink.job;

import io.cmekflink.config.JobConfig;
import io.cmekflink.config.JobOptions;
import io.cmekflink.crypto.Envelope;
import io.cmekflink.crypto.EnvelopeRewriter;
import io.cmekflink.crypto.RecordId;
import io.cmekflink.crypto.RecordOpener;
import io.cmekflink.crypto.UnknownSchemaException;
import io.cmekflink.datakey.DataKeyEntry;
import io.cmekflink.datakey.DataKeyException;
import io.cmekflink.datakey.DataKeyLookup;
import io.cmekflink.datakey.DataKeyPublisher;
import io.cmekflink.datakey.DataKeyReference;
import io.cmekflink.deadletter.DeadLetter;
import io.cmekflink.deadletter.ErrorCode;
import io.cmekflink.deadletter.PayloadKind;
import io.cmekflink.deadletter.Stage;
import io.cmekflink.kms.KmsCallException;
import io.cmekflink.kms.KmsClients;
import io.cmekflink.kms.KmsDataKeys;
import io.cmekflink.kms.KmsErrors;
import io.cmekflink.kms.KmsSettings;
import io.cmekflink.link.InvalidKeyLinkException;
import io.cmekflink.link.KeyArn;
import io.cmekflink.schema.SingleObjectEncoding;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import org.apache.avro.generic.GenericRecord;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves an org's encrypted records from an old key ARN to a new one: one KMS {@code ReEncrypt} per
 * distinct EDEK, shared by every record under it, and a new envelope on each record. Field values
 * are never decrypted, and the DEK stays the same, so this is re-wrapping, not re-encryption.
 *
 * <p>Records of other orgs, or under other keys, are skipped. For a multi-region {@code from} key,
 * records that name one of its replicas in a geo region are moved too, because the encrypt job
 * names the replica it called in its own region. Their EDEK is re-wrapped through the ARN in the
 * envelope. A record whose EDEK KMS refuses to move (the old key already disabled or deleted)
 * becomes a dead letter of stage REWRAP with the encrypted record as payload.
 *
 * <p>A record that carries a data-key reference (envelope format version 2) is moved through its
 * entry in the data-key topic: the job reads the entry, re-wraps the entry's EDEK if its key ARN is
 * the old one, publishes a new entry under the new ARN and points the record at it. Its old entry
 * stays, because records outside this run may still refer to it.
 *
 * <p>The EDEKs moved are kept for the life of the job, one entry per distinct EDEK or reference of
 * the org: a bounded job over one org's records needs few. A rejection of the key is kept the same
 * way, so a rejected EDEK also costs one call. A retriable failure (throttling, an outage) is
 * dropped, and the next record of that EDEK calls again.
 */
public final class RewrapFunction extends RichAsyncFunction<SourceRecord, OutputRecord> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(RewrapFunction.class);

    private final DerivedSchemas schemas;
    private final KmsSettings kmsSettings;
    private final List<String> geoRegions;
    private final String orgId;
    private final String fromArn;
    private final String toArn;
    private final Duration asyncTimeout;
    private final int requestBudget;
    private final String dataKeyTopic;
    private final Map<String, String> kafkaSettings;

    private transient KeyArn fromKey;
    private transient StepDeadlines deadlines;
    private transient KmsClients clients;
    private transient KmsDataKeys dataKeys;
    private transient RecordOpener opener;
    private transient EnvelopeRewriter rewriter;
    private transient DataKeyLookup dataKeyLookup;
    private transient DataKeyPublisher dataKeyPublisher;
    private transient DataKeyUnwrapper references;

    /** Publishes new entries, which can block for the topic's metadata, off the KMS threads. */
    private transient ExecutorService dataKeyThread;

    /**
     * The new {@code edek} field of each old one: the new EDEK, or the new data-key reference. A
     * reference whose entry is under another key than the old one maps to null.
     */
    private transient ConcurrentHashMap<ByteBuffer, CompletableFuture<byte[]>> moved;

    private transient Counter rewrapped;
    private transient Counter skipped;

    public RewrapFunction(JobConfig config) {
        this.schemas = DerivedSchemas.of(config);
        this.kmsSettings = KmsConfig.kmsSettings(config);
        this.geoRegions = KmsConfig.geoRegions(config);
        this.orgId = config.get(JobOptions.REWRAP_ORG);
        this.fromArn = config.get(JobOptions.REWRAP_FROM_KEY_ARN);
        this.toArn = config.get(JobOptions.REWRAP_TO_KEY_ARN);
        this.asyncTimeout = config.get(JobOptions.ASYNC_TIMEOUT);
        this.requestBudget = config.get(JobOptions.KMS_REQUEST_BUDGET);
        this.dataKeyTopic = config.get(JobOptions.ENCRYPTION_DATA_KEY_TOPIC);
        this.kafkaSettings = new TreeMap<>(config.kafka());
    }

    @Override
    public void open(OpenContext openContext) {
        try {
            fromKey = KeyArn.parse(fromArn);
        } catch (InvalidKeyLinkException e) {
            throw new IllegalArgumentException(
                    "invalid " + JobOptions.REWRAP_FROM_KEY_ARN.key() + ": " + e.getMessage(), e);
        }
        deadlines =
                new StepDeadlines(
                        "re-wrap",
                        getRuntimeContext().getTaskInfo().getIndexOfThisSubtask(),
                        asyncTimeout);
        KmsClients.checkCredentials();
        clients = new KmsClients(kmsSettings);
        var metrics = getRuntimeContext().getMetricGroup();
        var kmsCalls = new ConcurrentHashMap<String, Counter>();
        dataKeys =
                new KmsDataKeys(
                        clients,
                        new HashSet<>(geoRegions),
                        (operation, outcome, nanos) ->
                                kmsCalls.computeIfAbsent(
                                                operation + "." + outcome,
                                                k ->
                                                        metrics.addGroup("kmsCalls")
                                                                .addGroup(operation)
                                                                .counter(
                                                                        outcome,
                                                                        new ThreadSafeSimpleCounter()))
                                        .inc(),
                        // This instance's share of the platform's KMS quota, as in the other jobs.
                        requestBudget
                                / (double)
                                        getRuntimeContext()
                                                .getTaskInfo()
                                                .getNumberOfParallelSubtasks(),
                        false);
        if (!dataKeyTopic.isEmpty()) {
            // Half of the step's timeout, so that a record whose lookup fails still has time for
            // its KMS call.
            dataKeyLookup =
                    new DataKeyLookup(kafkaSettings, dataKeyTopic, asyncTimeout.dividedBy(2));
            dataKeyPublisher = new DataKeyPublisher(kafkaSettings, dataKeyTopic, asyncTimeout);
            dataKeyThread = JobParts.daemonThread("data-key-publisher");
        }
        references = new DataKeyUnwrapper(dataKeys::decrypt, dataKeyLookup);
        opener = RecordOpener.create(schemas.registry());
        rewriter = new EnvelopeRewriter();
        moved = new ConcurrentHashMap<>();
        rewrapped = metrics.counter("recordsRewrapped", new ThreadSafeSimpleCounter());
        skipped = metrics.counter("recordsSkipped", new ThreadSafeSimpleCounter());
        LOG.info("re-wrap of org {} from {} to {} opened", orgId, fromArn, toArn);
    }

    @Override
    public void close() {
        LOG.info(
                "re-wrap step {} closing",
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
        if (dataKeyPublisher != null) {
            dataKeyPublisher.close();
        }
        if (dataKeyThread != null) {
            dataKeyThread.shutdownNow();
        }
    }

    @Override
    public void asyncInvoke(SourceRecord record, ResultFuture<OutputRecord> result) {
        GenericRecord derived;
        Envelope envelope;
        try {
            derived = opener.decode(record.value);
            envelope = RecordOpener.envelopeOf(derived);
        } catch (UnknownSchemaException e) {
            result.complete(List.of(deadLetter(record, null, ErrorCode.UNKNOWN_SCHEMA, e)));
            return;
        } catch (Exception e) {
            result.complete(List.of(deadLetter(record, null, ErrorCode.MALFORMED_RECORD, e)));
            return;
        }
        if (!orgId.equals(envelope.orgId())
                || (!envelope.hasReference() && !isFromKey(envelope.keyArn()))) {
            skipped.inc();
            result.complete(List.of());
            return;
        }
        ByteBuffer oldEdek = ByteBuffer.wrap(envelope.edek());
        CompletableFuture<byte[]> newEdek = reEncrypt(oldEdek, envelope);
        if (failedRetriably(newEdek)) {
            // A retriable failure that the record before this one has not removed yet.
            moved.remove(oldEdek, newEdek);
            newEdek = reEncrypt(oldEdek, envelope);
        }
        if (newEdek.isDone()) {
            finish(record, derived, envelope, oldEdek, newEdek, result);
            return;
        }
        ResultFuture<OutputRecord> bounded =
                deadlines.bound(result, () -> List.of(expired(record, envelope)));
        CompletableFuture<byte[]> pending = newEdek;
        newEdek.whenComplete(
                (edek, error) -> finish(record, derived, envelope, oldEdek, pending, bounded));
    }

    /**
     * Returns the one move of an EDEK or data-key reference, started by the first record that needs
     * it.
     */
    private CompletableFuture<byte[]> reEncrypt(ByteBuffer oldEdek, Envelope envelope) {
        return moved.computeIfAbsent(
                oldEdek,
                edek ->
                        envelope.hasReference()
                                ? moveEntry(envelope)
                                : dataKeys.reEncrypt(
                                        envelope.keyArn(),
                                        toArn,
                                        envelope.edek(),
                                        envelope.encryptionContext()));
    }

    /**
     * Reads the entry that the envelope's reference names and, when its key is the old one,
     * re-wraps its EDEK, publishes a new entry under the new key and returns the new reference.
     * Returns null for an entry under another key.
     */
    private CompletableFuture<byte[]> moveEntry(Envelope envelope) {
        Map<String, String> context = envelope.encryptionContext();
        return references
                .entryOf(envelope.edek(), context)
                .thenCompose(
                        entry -> {
                            if (!isFromKey(entry.keyArn())) {
                                return CompletableFuture.completedFuture(null);
                            }
                            return dataKeys.reEncrypt(entry.keyArn(), toArn, entry.edek(), context)
                                    .thenComposeAsync(
                                            newEdek ->
                                                    dataKeyPublisher.publish(
                                                            new DataKeyEntry(
                                                                    orgId,
                                                                    toArn,
                                                                    newEdek,
                                                                    System.currentTimeMillis())),
                                            dataKeyThread)
                                    .thenApplyAsync(DataKeyReference::toBytes, dataKeyThread);
                        });
    }

    /**
     * Returns whether {@code call} already failed with an error that {@link #isRetriable} accepts.
     */
    private static boolean failedRetriably(CompletableFuture<byte[]> call) {
        if (!call.isCompletedExceptionally()) {
            return false;
        }
        try {
            call.join();
            return false;
        } catch (RuntimeException e) {
            return isRetriable(KmsErrors.unwrap(e));
        }
    }

    /**
     * Returns whether a later call may succeed after {@code cause}: throttling, an outage or an
     * unexpected error. A rejection of the key (disabled, deleted, denied) is kept for the run, so
     * that each EDEK costs one call however many records it has.
     */
    private static boolean isRetriable(Throwable cause) {
        if (cause instanceof KmsCallException k) {
            return k.kind().retriable();
        }
        if (cause instanceof DataKeyException d) {
            return d.retriable();
        }
        return true;
    }

    private void finish(
            SourceRecord record,
            GenericRecord derived,
            Envelope envelope,
            ByteBuffer oldEdek,
            CompletableFuture<byte[]> newEdek,
            ResultFuture<OutputRecord> result) {
        if (StepDeadlines.expired(result)) {
            return;
        }
        try {
            byte[] edek;
            try {
                edek = newEdek.join();
            } catch (RuntimeException error) {
                Throwable cause = KmsErrors.unwrap(error);
                if (isRetriable(cause)) {
                    // Not kept, so that the next record of this EDEK calls again.
                    moved.remove(oldEdek, newEdek);
                }
                ErrorCode code = DataKeyUnwrapper.errorCode(cause);
                result.complete(List.of(deadLetter(record, envelope, code, cause)));
                return;
            }
            if (edek == null) {
                // A reference to an entry under another key than the old one.
                skipped.inc();
                result.complete(List.of());
                return;
            }
            long layout = SingleObjectEncoding.fingerprint(record.value);
            byte[] value =
                    envelope.hasReference()
                            ? rewriter.rewriteReference(derived, layout, edek)
                            : rewriter.rewrite(derived, layout, toArn, edek);
            rewrapped.inc();
            result.complete(List.of(output(record, envelope.recordId(), value)));
        } catch (Exception e) {
            result.complete(List.of(deadLetter(record, envelope, ErrorCode.INTERNAL_ERROR, e)));
        }
    }

    /** Returns the dead letter of a record whose new EDEK did not arrive within the timeout. */
    private OutputRecord expired(SourceRecord record, Envelope envelope) {
        return deadLetter(
                record,
                envelope,
                ErrorCode.KMS_UNAVAILABLE,
                new IllegalStateException(
                        StepDeadlines.expiredMessage("re-wrapped EDEK", asyncTimeout)));
    }

    /** Returns whether an envelope's key ARN names the from key, or its replica in a geo region. */
    private boolean isFromKey(String envelopeArn) {
        if (fromArn.equals(envelopeArn)) {
            return true;
        }
        if (!fromKey.isMultiRegion()) {
            return false;
        }
        try {
            KeyArn envelopeKey = KeyArn.parse(envelopeArn);
            return fromKey.sameKey(envelopeKey) && geoRegions.contains(envelopeKey.region());
        } catch (InvalidKeyLinkException e) {
            return false;
        }
    }

    private static OutputRecord output(SourceRecord record, RecordId id, byte[] value) {
        OutputRecord out = new OutputRecord();
        out.key = id.toString().getBytes(StandardCharsets.UTF_8);
        out.value = value;
        out.format = SingleObjectEncoding.FORMAT;
        out.headerKeys = record.headerKeys;
        out.headerValues = record.headerValues;
        out.timestamp = record.timestamp;
        return out;
    }

    private OutputRecord deadLetter(
            SourceRecord record, Envelope envelope, ErrorCode code, Throwable error) {
        DeadLetter.Builder builder =
                DeadLetters.of(Stage.REWRAP, code, record)
                        .orgId(envelope == null ? null : envelope.orgId())
                        .message(error.getMessage() == null ? code.name() : error.getMessage())
                        .payload(PayloadKind.ENCRYPTED_RECORD, record.value, null);
        if (envelope != null) {
            RecordId id = envelope.recordId();
            if (!envelope.hasReference()) {
                builder.keyArn(envelope.keyArn());
            }
            builder.recordId(id.topic(), id.partition(), id.offset());
        }
        if (error instanceof KmsCallException k) {
            if (envelope != null && envelope.hasReference()) {
                // The key ARN of the entry that the reference named.
                builder.keyArn(k.keyArn());
            }
            builder.awsError(k.awsErrorCode(), k.requestId()).attempts(k.attempts());
        }
        LOG.warn(
                "re-wrap dead letter {} at {}-{}@{}: {}",
                code,
                record.topic,
                record.partition,
                record.offset,
                error.getMessage());
        return DeadLetters.output(builder.build(), record);
    }
}
