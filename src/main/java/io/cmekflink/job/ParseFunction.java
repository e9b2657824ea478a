package io.cmekflink.job;

import io.cmekflink.config.JobConfig;
import io.cmekflink.config.JobOptions;
import io.cmekflink.crypto.RecordId;
import io.cmekflink.crypto.RecordOpener;
import io.cmekflink.deadletter.DeadLetter;
import io.cmekflink.deadletter.ErrorCode;
import io.cmekflink.deadletter.Stage;
import io.cmekflink.ingest.ConfluentAvroValueDecoder;
import io.cmekflink.ingest.IngestException;
import io.cmekflink.ingest.OrgIdExtractor;
import io.cmekflink.ingest.ValueDecoder;
import io.cmekflink.ingest.ValueDecoderFactory;
import io.cmekflink.ingest.ValueFormat;
import io.cmekflink.logging.RateLimitedLog;
import io.cmekflink.schema.DerivedSchemaRegistry;
import io.cmekflink.schema.SingleObjectEncoding;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes input values and extracts their org id. A value that does not decode, or has no org id,
 * becomes a dead letter here: a poison pill never fails the job.
 *
 * <p>A value that is already encrypted passes through unchanged, so that re-reading the encrypted
 * topic or replaying dead letters never encrypts a record twice. It is recognised by the {@code
 * cmek-format} header, or by a single-object header with the fingerprint of one of the job's
 * derived schemas, and must then decode as a record of a derived schema, or it becomes an {@code
 * UNKNOWN_SCHEMA} dead letter.
 *
 * <p>NOTE: the tag of a passed-through record is not verified, since that needs a KMS {@code
 * Decrypt} of its EDEK; a producer of the input topic could pass a forged envelope through.
 */
public final class ParseFunction extends ProcessFunction<SourceRecord, ParsedRecord> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ParseFunction.class);

    /** Records per window of the share that {@code hot-orgs.warn-percent} is compared with. */
    static final int SHARE_WINDOW_RECORDS = 10_000;

    private final JobSchemas schemas;
    private final boolean keepOriginal;
    private final HotOrgs hotOrgs;

    private transient ValueDecoder decoder;
    private transient OrgIdExtractor orgIds;
    private transient Map<Schema, Integer> schemaIndex;
    private transient long[] writerFingerprints;
    private transient List<GenericDatumWriter<GenericRecord>> writers;
    private transient RecordOpener encryptedRecords;
    private transient DerivedSchemaRegistry derived;
    private transient BinaryEncoder encoder;
    private transient ByteArrayOutputStream buffer;
    private transient RateLimitedLog deadLetterLog;
    private transient Counter recordsIn;
    private transient Counter alreadyEncrypted;
    private transient DeadLetterCounters deadLetters;
    private transient HotOrgs.Salts salts;
    private transient int parallelism;
    private transient OrgShareWindow shareWindow;
    private transient volatile int topOrgPercent;
    private transient RateLimitedLog hotOrgLog;

    public ParseFunction(JobConfig config) {
        this(
                JobSchemas.of(config),
                !config.get(JobOptions.DEAD_LETTERS_PLATFORM_KEY_ARN).isEmpty(),
                HotOrgs.of(config));
    }

    /**
     * @param keepOriginal whether dead letters may seal the input, so that JSON and
     *     Confluent-framed values must be kept as read
     */
    public ParseFunction(JobSchemas schemas, boolean keepOriginal) {
        this(schemas, keepOriginal, HotOrgs.none());
    }

    /**
     * @param keepOriginal whether dead letters may seal the input, so that JSON and
     *     Confluent-framed values must be kept as read
     * @param hotOrgs the orgs whose records get salts, so that they spread over several parallel
     *     instances of the resolve step
     */
    public ParseFunction(JobSchemas schemas, boolean keepOriginal, HotOrgs hotOrgs) {
        this.schemas = schemas;
        this.keepOriginal = keepOriginal;
        this.hotOrgs = hotOrgs;
    }

    @Override
    public void open(OpenContext openContext) {
        // The schema objects, in configuration order, are both what the decoder returns records
        // in and what the index that the encrypt step uses refers to.
        List<Schema> writerSchemas = new java.util.ArrayList<>();
        if (schemas.format().equals(ValueFormat.CONFLUENT_AVRO.formatName())) {
            Map<Integer, Schema> byId = schemas.writerSchemasById();
            writerSchemas.addAll(byId.values());
            decoder = new ConfluentAvroValueDecoder(byId, schemas.decoderOptions());
        } else {
            writerSchemas.add(schemas.writerSchema(0));
            decoder =
                    ValueDecoderFactory.create(
                            ValueFormat.fromName(schemas.format()),
                            writerSchemas.get(0),
                            schemas.decoderOptions());
        }
        orgIds = new OrgIdExtractor(schemas.decoderOptions());
        schemaIndex = new IdentityHashMap<>();
        writers = new java.util.ArrayList<>();
        for (int i = 0; i < writerSchemas.size(); i++) {
            schemaIndex.put(writerSchemas.get(i), i);
            writers.add(new GenericDatumWriter<>(writerSchemas.get(i)));
        }
        // Computed once, because it parses the schema's JSON: about 0.27 ms per call for the
        // Kong log schema, 40 times the cost of parsing one record.
        writerFingerprints = new long[schemas.size()];
        for (int i = 0; i < writerFingerprints.length; i++) {
            writerFingerprints[i] = schemas.writerFingerprint(i);
        }
        derived = new DerivedSchemaRegistry();
        for (int i = 0; i < schemas.size(); i++) {
            derived.register(schemas.derived(i));
        }
        encryptedRecords = RecordOpener.create(derived);
        buffer = new ByteArrayOutputStream(1024);
        deadLetterLog = new RateLimitedLog(LOG, 10_000);
        recordsIn = getRuntimeContext().getMetricGroup().counter("recordsIn");
        alreadyEncrypted = getRuntimeContext().getMetricGroup().counter("recordsAlreadyEncrypted");
        deadLetters = new DeadLetterCounters(getRuntimeContext().getMetricGroup());
        // NOTE: the keyBy after this step uses the resolve step's max parallelism and parallelism,
        // and the job gives both steps the same ones. If they differ, salts may share an instance.
        // That costs balance but not correctness, because the key is a function of the record.
        var task = getRuntimeContext().getTaskInfo();
        parallelism = task.getNumberOfParallelSubtasks();
        salts = hotOrgs.salts(task.getMaxNumberOfParallelSubtasks(), parallelism);
        shareWindow = new OrgShareWindow(SHARE_WINDOW_RECORDS);
        hotOrgLog = new RateLimitedLog(LOG, 60_000);
        getRuntimeContext().getMetricGroup().gauge("topOrgSharePercent", () -> topOrgPercent);
    }

    @Override
    public void processElement(SourceRecord record, Context ctx, Collector<ParsedRecord> out)
            throws IOException {
        recordsIn.inc();
        if (record.value == null) {
            deadLetter(
                    record,
                    ErrorCode.MALFORMED_RECORD,
                    null,
                    "the value is null (a tombstone); records need a value",
                    ctx);
            return;
        }
        if (looksEncrypted(record)) {
            passThrough(record, out, ctx);
            return;
        }
        GenericRecord decoded;
        String orgId;
        try {
            decoded = decoder.decode(record.value);
            orgId = orgIds.extract(decoded);
        } catch (IngestException e) {
            deadLetter(record, ErrorCode.valueOf(e.codeName()), null, e.getMessage(), ctx);
            return;
        }
        Integer index = schemaIndex.get(decoded.getSchema());
        if (index == null) {
            deadLetter(
                    record,
                    ErrorCode.UNKNOWN_SCHEMA,
                    orgId,
                    "the decoder returned a record of schema "
                            + decoded.getSchema().getFullName()
                            + " that is not one of the job's writer schemas",
                    ctx);
            return;
        }
        ParsedRecord parsed = parsed(record, orgId);
        parsed.schemaIndex = index;
        parsed.schemaFingerprint = writerFingerprints[index];
        parsed.avro = avroBinary(record.value, decoded, parsed.schemaIndex);
        if (keepOriginal && parsed.avro != record.value) {
            parsed.original = record.value;
        }
        if (record.recordId != null && !restoreRecordId(parsed, record.recordId)) {
            deadLetter(
                    record,
                    ErrorCode.MALFORMED_RECORD,
                    orgId,
                    "invalid cmek-record-id header: expected topic/partition/offset",
                    ctx);
            return;
        }
        out.collect(parsed);
    }

    private boolean looksEncrypted(SourceRecord record) {
        if (SingleObjectEncoding.FORMAT.equals(record.format)) {
            return true;
        }
        return SingleObjectEncoding.isSingleObject(record.value)
                && derived.findByLayoutFingerprint(SingleObjectEncoding.fingerprint(record.value))
                        .isPresent();
    }

    private void passThrough(SourceRecord record, Collector<ParsedRecord> out, Context ctx) {
        GenericRecord encrypted;
        try {
            encrypted = encryptedRecords.decode(record.value);
        } catch (Exception e) {
            deadLetter(
                    record,
                    ErrorCode.UNKNOWN_SCHEMA,
                    null,
                    "the value carries the cmek-flink format but is not a record of a derived"
                            + " schema of this job: "
                            + e.getMessage(),
                    ctx);
            return;
        }
        String orgId;
        try {
            orgId = orgIds.extract(encrypted);
        } catch (IngestException e) {
            deadLetter(record, ErrorCode.MISSING_ORG_ID, null, e.getMessage(), ctx);
            return;
        }
        ParsedRecord parsed = parsed(record, orgId);
        parsed.alreadyEncrypted = true;
        parsed.avro = record.value;
        alreadyEncrypted.inc();
        out.collect(parsed);
    }

    private static boolean restoreRecordId(ParsedRecord parsed, String header) {
        try {
            RecordId id = RecordId.parse(header);
            parsed.recordIdTopic = id.topic();
            parsed.recordIdPartition = id.partition();
            parsed.recordIdOffset = id.offset();
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private ParsedRecord parsed(SourceRecord record, String orgId) {
        countOrg(orgId);
        ParsedRecord parsed = new ParsedRecord();
        parsed.salt = salts.saltOf(orgId, record.partition, record.offset);
        parsed.recordIdTopic = record.topic;
        parsed.recordIdPartition = record.partition;
        parsed.recordIdOffset = record.offset;
        parsed.orgId = orgId;
        parsed.topic = record.topic;
        parsed.partition = record.partition;
        parsed.offset = record.offset;
        parsed.timestamp = record.timestamp;
        parsed.key = record.key;
        parsed.headerKeys = record.headerKeys;
        parsed.headerValues = record.headerValues;
        return parsed;
    }

    /**
     * Counts a record of {@code orgId} in the share window, and when a window completes, warns if
     * its top org is above {@code hot-orgs.warn-percent} and not in {@code hot-orgs.ids}.
     */
    private void countOrg(String orgId) {
        OrgShareWindow.Top top = shareWindow.add(orgId);
        if (top == null) {
            return;
        }
        topOrgPercent = top.percent();
        int warnPercent = hotOrgs.warnPercent();
        if (warnPercent == 0
                || parallelism < 2
                || top.percent() <= warnPercent
                || hotOrgs.isHot(top.orgId())) {
            return;
        }
        hotOrgLog.warn(
                "hot-org",
                "org {} sent {}% of the last {} records of parse instance {}, above"
                        + " hot-orgs.warn-percent {}: one instance of the resolve and encrypt"
                        + " steps handles all of them. List the org in hot-orgs.ids to spread its"
                        + " records over up to {} instances.",
                top.orgId(),
                top.percent(),
                top.windowRecords(),
                getRuntimeContext().getTaskInfo().getIndexOfThisSubtask(),
                warnPercent,
                parallelism);
    }

    /** Returns the record as Avro binary of its writer schema, re-encoding only JSON input. */
    private byte[] avroBinary(byte[] value, GenericRecord decoded, int index) throws IOException {
        ValueFormat format = decoder.format();
        if (format == ValueFormat.AVRO) {
            return value;
        }
        if (format == ValueFormat.CONFLUENT_AVRO) {
            return java.util.Arrays.copyOfRange(value, 5, value.length);
        }
        buffer.reset();
        encoder = EncoderFactory.get().binaryEncoder(buffer, encoder);
        writers.get(index).write(decoded, encoder);
        encoder.flush();
        return buffer.toByteArray();
    }

    private void deadLetter(
            SourceRecord record, ErrorCode code, String orgId, String message, Context ctx) {
        DeadLetter letter =
                DeadLetters.of(Stage.PARSE, code, record).orgId(orgId).message(message).build();
        deadLetters.inc(code);
        deadLetterLog.warn(
                code.name(),
                "dead letter {} at {}-{}@{}: {}",
                code,
                record.topic,
                record.partition,
                record.offset,
                message);
        ctx.output(DeadLetters.TAG, DeadLetters.output(letter, record));
    }
}
