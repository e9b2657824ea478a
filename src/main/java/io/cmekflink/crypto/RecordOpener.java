package io.cmekflink.crypto;

import io.cmekflink.dek.Dek;
import io.cmekflink.schema.DerivedSchema;
import io.cmekflink.schema.DerivedSchemaRegistry;
import io.cmekflink.schema.EnvelopeSchema;
import io.cmekflink.schema.Fingerprints;
import io.cmekflink.schema.MalformedRecordException;
import io.cmekflink.schema.SingleObjectEncoding;
import io.cmekflink.schema.StrictRecordDecoder;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
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
