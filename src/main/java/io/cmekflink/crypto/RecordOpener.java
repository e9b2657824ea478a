package io.cmekflink.crypto;

import io.cmekflink.dek.Dek;
import io.cmekflink.schema.ByteArrayEncoder;
import io.cmekflink.schema.DerivedSchema;
import io.cmekflink.schema.DerivedSchemaRegistry;
import io.cmekflink.schema.EnvelopeSchema;
import io.cmekflink.schema.Fingerprints;
import io.cmekflink.schema.MalformedRecordException;
import io.cmekflink.schema.SingleObjectEncoding;
import io.cmekflink.schema.StrictRecordDecoder;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericRecord;

/**
 * Decrypts records that a {@link RecordSealer} encrypted, for every derived schema in a registry.
 *
 * <p>Opening takes three steps, because the DEK comes from the envelope: {@link #decode} the
 * single-object payload, read its {@link #envelopeOf envelope} and unwrap the EDEK with KMS (with
 * the envelope's encryption context), then {@link #open} the record with that DEK. Opening walks
 * the marked fields in the order sealing used, joins their slices, verifies the tag over the
 * rebuilt {@link AssociatedData}, splits the plaintext by the slice lengths and decodes each value
 * with the original schema that the envelope's exact fingerprint selects.
 *
 * <p>Thread safety: all methods may be called from any thread.
 */
public final class RecordOpener {

    private final DerivedSchemaRegistry registry;
    private final ConcurrentHashMap<Long, RecordPlan> plans = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, StrictRecordDecoder> decoders = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Schema, Long> layoutFingerprints = new ConcurrentHashMap<>();
    private final ThreadLocal<OpenWalk> walks = ThreadLocal.withInitial(OpenWalk::new);
    private final ThreadLocal<BinaryOpenWalk> binaryWalks =
            ThreadLocal.withInitial(BinaryOpenWalk::new);
    private final ThreadLocal<PlaintextWriter> plaintextWriters =
            ThreadLocal.withInitial(PlaintextWriter::new);

    /**
     * The binary walk's plan by exact fingerprint, or an empty one when the schema has none or its
     * layout differs from the header's.
     */
    private final ConcurrentHashMap<Long, Optional<BinaryOpenWalk.Opening>> openings =
            new ConcurrentHashMap<>();

    private RecordOpener(DerivedSchemaRegistry registry) {
        this.registry = registry;
    }

    /**
     * Creates an opener for every schema in {@code registry}, including schemas registered later.
     */
    public static RecordOpener create(DerivedSchemaRegistry registry) {
        return new RecordOpener(Objects.requireNonNull(registry, "registry"));
    }

    /** Creates an opener for one derived schema. */
    public static RecordOpener create(DerivedSchema schema) {
        DerivedSchemaRegistry registry = new DerivedSchemaRegistry();
        registry.register(schema);
        return new RecordOpener(registry);
    }

    /**
     * Decodes a single-object payload into a derived record, with a schema found by the header's
     * layout fingerprint.
     *
     * @throws InvalidCiphertextException when the payload has no single-object header or is not
     *     exactly one record of that schema
     * @throws UnknownSchemaException when no registered schema has the fingerprint
     */
    public GenericRecord decode(byte[] payload)
            throws InvalidCiphertextException, UnknownSchemaException {
        if (!SingleObjectEncoding.isSingleObject(payload)) {
            throw new InvalidCiphertextException(
                    "payload of "
                            + (payload == null ? "null" : payload.length + " bytes")
                            + " has no single-object header (C3 01 and an 8-byte fingerprint)",
                    null,
                    null,
                    null);
        }
        long fingerprint = SingleObjectEncoding.fingerprint(payload);
        StrictRecordDecoder decoder = decoderFor(fingerprint);
        try {
            return decoder.decode(
                    payload,
                    SingleObjectEncoding.HEADER_BYTES,
                    payload.length - SingleObjectEncoding.HEADER_BYTES);
        } catch (MalformedRecordException e) {
            throw new InvalidCiphertextException(e.getMessage(), null, null, e);
        }
    }

    /**
     * Reads a single-object payload for {@link #openToBytes}: checks the record and reads the parts
     * of its envelope that find its DEK. Throws what {@link #decode} and {@link #envelopeOf} throw,
     * with the same messages.
     *
     * @throws InvalidCiphertextException when the payload is not exactly one derived record or its
     *     envelope is malformed
     * @throws UnknownSchemaException when no registered schema has the header's fingerprint
     */
    public SealedRecord read(byte[] payload)
            throws InvalidCiphertextException, UnknownSchemaException {
        if (SingleObjectEncoding.isSingleObject(payload)) {
            BinaryOpenWalk.Opening opening = openingFor(payload);
            if (opening != null) {
                try {
                    return binaryWalks.get().read(payload, opening);
                } catch (BinaryWalk.Fallback e) {
                    // Decoding below produces the exact error, or reads a record that is valid
                    // but not canonical.
                }
            }
        }
        GenericRecord derived = decode(payload);
        return new SealedRecord(payload, derived, envelopeOf(derived));
    }

    /**
     * Decrypts the marked fields of a record that {@link #read} returned and returns the record in
     * its writer schema's Avro binary encoding, after the writer schema's single-object header (C3
     * 01 and its CRC-64-AVRO fingerprint) when {@code singleObject} is set. Map entries come sorted
     * by key.
     *
     * <p>A record of canonical encoding is opened from its bytes, without a GenericRecord. The
     * bytes are the same as encoding the record that {@link #open} returns with sorted maps, and
     * the errors are those of {@link #open}, because any record that might differ takes that path.
     * One exception: an unmarked string of invalid UTF-8, which the tag does not cover, is copied
     * as it is, where {@link #open} may decode it with U+FFFD in place of the invalid bytes.
     *
     * @param dek the DEK that the record's EDEK unwraps to
     * @throws TamperedRecordException when the tag does not verify or the record's org id differs
     *     from the envelope's
     * @throws InvalidCiphertextException when the record or its envelope is malformed
     * @throws UnknownSchemaException when the envelope names an unknown derived schema
     */
    public byte[] openToBytes(SealedRecord record, Dek dek, boolean singleObject)
            throws RecordOpenException {
        Objects.requireNonNull(record, "record");
        Objects.requireNonNull(dek, "dek");
        if (record.opening() != null) {
            try {
                return binaryWalks.get().open(record, dek, singleObject);
            } catch (BinaryWalk.Fallback e) {
                // Opening the decoded record below produces the exact error.
            }
        }
        GenericRecord derived = record.derived();
        if (derived == null) {
            derived = decode(record.payload());
        }
        return plaintextWriters.get().write(open(derived, dek), singleObject);
    }

    /**
     * Returns the binary walk's plan for a payload, or null when it takes the GenericRecord path.
     * The plan is chosen by the exact fingerprint that ends a sealed record's envelope, so that
     * schema versions of one layout each get their own. The walk then checks that fingerprint again
     * where the envelope contains it.
     */
    private BinaryOpenWalk.Opening openingFor(byte[] payload) {
        if (payload.length < SingleObjectEncoding.HEADER_BYTES + Long.BYTES) {
            return null;
        }
        long exact = Fingerprints.fromLittleEndian(payload, payload.length - Long.BYTES);
        Optional<BinaryOpenWalk.Opening> opening = openings.get(exact);
        if (opening == null) {
            Optional<DerivedSchema> schema = registry.findByExactFingerprint(exact);
            if (schema.isEmpty()) {
                // Not cached, because the schema may be registered later.
                return null;
            }
            opening = openings.computeIfAbsent(exact, key -> compile(schema.get()));
        }
        if (opening.isEmpty() || !opening.get().binary().hasHeaderOf(payload)) {
            // A payload whose header names another layout than its envelope's schema gets the
            // decoder's exact error on the GenericRecord path.
            return null;
        }
        return opening.get();
    }

    private Optional<BinaryOpenWalk.Opening> compile(DerivedSchema schema) {
        RecordPlan plan =
                plans.computeIfAbsent(schema.exactFingerprint(), key -> RecordPlan.compile(schema));
        BinaryPlan binary = BinaryPlan.compile(plan);
        if (binary.unsupportedReason != null) {
            return Optional.empty();
        }
        ByteArrayEncoder header = new ByteArrayEncoder(SingleObjectEncoding.HEADER_BYTES);
        SingleObjectEncoding.writeHeader(
                header, SchemaNormalization.parsingFingerprint64(schema.writerSchema()));
        return Optional.of(new BinaryOpenWalk.Opening(binary, header.toByteArray()));
    }

    /** Reads the envelope of a derived record. */
    public static Envelope envelopeOf(GenericRecord derived) throws InvalidCiphertextException {
        Schema.Field field = derived.getSchema().getField(EnvelopeSchema.FIELD_NAME);
        if (field == null) {
            throw new InvalidCiphertextException(
                    "record "
                            + derived.getSchema().getFullName()
                            + " has no field "
                            + EnvelopeSchema.FIELD_NAME
                            + "; it is not an encrypted record",
                    null,
                    null,
                    null);
        }
        return Envelope.fromRecord(derived.get(field.pos()));
    }

    /**
     * Decrypts the marked fields of {@code derived} and returns the record in its writer schema.
     *
     * @param dek the DEK that the envelope's EDEK unwraps to
     * @throws TamperedRecordException when the tag does not verify or the record's org id differs
     *     from the envelope's
     * @throws InvalidCiphertextException when the record or its envelope is malformed
     * @throws UnknownSchemaException when the envelope names an unknown derived schema
     */
    public GenericRecord open(GenericRecord derived, Dek dek) throws RecordOpenException {
        Objects.requireNonNull(dek, "dek");
        Envelope envelope = envelopeOf(derived);
        RecordPlan plan = planFor(derived, envelope);
        checkOrgId(plan, derived, envelope);
        return walks.get().open(plan, derived, envelope, dek);
    }

    /**
     * Builds the associated data that {@link #open} authenticates for {@code derived}, without
     * decrypting; for diagnostics and format tests.
     */
    public byte[] associatedData(GenericRecord derived) throws RecordOpenException {
        Envelope envelope = envelopeOf(derived);
        return walks.get().associatedData(planFor(derived, envelope), derived, envelope);
    }

    private RecordPlan planFor(GenericRecord derived, Envelope envelope)
            throws UnknownSchemaException, InvalidCiphertextException {
        long exact = envelope.schemaFingerprint();
        RecordPlan plan = plans.get(exact);
        if (plan == null) {
            DerivedSchema schema =
                    registry.findByExactFingerprint(exact)
                            .orElseThrow(
                                    () ->
                                            new UnknownSchemaException(
                                                    "no derived schema with exact fingerprint "
                                                            + Fingerprints.toHex(exact)
                                                            + " is loaded; add its file to the"
                                                            + " derived schema directory",
                                                    envelope.orgId(),
                                                    envelope.recordId()));
            plan = plans.computeIfAbsent(exact, key -> RecordPlan.compile(schema));
        }
        long layout =
                layoutFingerprints.computeIfAbsent(
                        derived.getSchema(), Fingerprints::layoutFingerprint);
        if (layout != plan.schema.layoutFingerprint()) {
            throw new InvalidCiphertextException(
                    "record was decoded with a schema of layout fingerprint "
                            + Fingerprints.toHex(layout)
                            + ", but its envelope names schema "
                            + plan.schema
                            + " of another layout",
                    envelope.orgId(),
                    envelope.recordId(),
                    null);
        }
        return plan;
    }

    private static void checkOrgId(RecordPlan plan, GenericRecord derived, Envelope envelope)
            throws TamperedRecordException, InvalidCiphertextException {
        Object value;
        try {
            value = SealWalk.fieldAt(plan, derived, plan.orgIdPositions, plan.orgIdPathUtf8);
        } catch (IllegalArgumentException e) {
            throw new InvalidCiphertextException(
                    e.getMessage(), envelope.orgId(), envelope.recordId(), null);
        }
        String recordOrg = value instanceof CharSequence text ? text.toString() : null;
        if (!envelope.orgId().equals(recordOrg)) {
            throw new TamperedRecordException(
                    "record's org id field '"
                            + plan.schema.orgIdField().path()
                            + "' contains "
                            + (recordOrg == null ? "no org id" : "org '" + recordOrg + "'")
                            + ", but its envelope was sealed for org '"
                            + envelope.orgId()
                            + "'",
                    envelope.orgId(),
                    envelope.recordId(),
                    null);
        }
    }

    private StrictRecordDecoder decoderFor(long layoutFingerprint) throws UnknownSchemaException {
        StrictRecordDecoder decoder = decoders.get(layoutFingerprint);
        if (decoder != null) {
            return decoder;
        }
        DerivedSchema schema =
                registry.findByLayoutFingerprint(layoutFingerprint)
                        .orElseThrow(
                                () ->
                                        new UnknownSchemaException(
                                                "no derived schema with layout fingerprint "
                                                        + Fingerprints.toHex(layoutFingerprint)
                                                        + " is loaded; add its file to the derived"
                                                        + " schema directory",
                                                null,
                                                null));
        return decoders.computeIfAbsent(
                layoutFingerprint, key -> new StrictRecordDecoder(schema.derivedSchema()));
    }
}
