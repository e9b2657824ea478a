package io.cmekflink.crypto;

import io.cmekflink.schema.EnvelopeSchema;
import io.cmekflink.schema.Fingerprints;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.GenericRecord;

/**
 * The envelope of one encrypted record: how its marked values were sealed and under which key. The
 * Avro layout is {@link EnvelopeSchema}. Format version 1 carries the key ARN and the EDEK; format
 * version 2 carries an empty key ARN and a data-key reference in place of the EDEK ({@link
 * #hasReference}), which names the entry of the data-key topic that holds both.
 *
 * <p>Re-wrapping replaces the key ARN and the EDEK ({@link #withKey}), or the reference ({@link
 * #withReference}); the nonce, tag, record id and fingerprint stay, and so does the ciphertext,
 * because the associated data covers neither the key ARN nor the EDEK nor the reference. For the
 * same reason a record can move between the two format versions by a rewrite of its envelope.
 *
 * <p>Thread safety: immutable; accessors return copies of arrays.
 */
public final class Envelope {

    private static final int FORMAT_VERSION_POS =
            EnvelopeSchema.SCHEMA.getField(EnvelopeSchema.FORMAT_VERSION_FIELD).pos();
    private static final int KEY_ARN_POS =
            EnvelopeSchema.SCHEMA.getField(EnvelopeSchema.KEY_ARN_FIELD).pos();
    private static final int EDEK_POS =
            EnvelopeSchema.SCHEMA.getField(EnvelopeSchema.EDEK_FIELD).pos();
    private static final int CONTEXT_POS =
            EnvelopeSchema.SCHEMA.getField(EnvelopeSchema.ENCRYPTION_CONTEXT_FIELD).pos();
    private static final int NONCE_POS =
            EnvelopeSchema.SCHEMA.getField(EnvelopeSchema.NONCE_FIELD).pos();
    private static final int TAG_POS =
            EnvelopeSchema.SCHEMA.getField(EnvelopeSchema.TAG_FIELD).pos();
    private static final int RECORD_ID_POS =
            EnvelopeSchema.SCHEMA.getField(EnvelopeSchema.RECORD_ID_FIELD).pos();
    private static final int FINGERPRINT_POS =
            EnvelopeSchema.SCHEMA.getField(EnvelopeSchema.SCHEMA_FINGERPRINT_FIELD).pos();

    private final int formatVersion;
    private final String keyArn;
    private final byte[] edek;
    private final String orgId;
    private final byte[] nonce;
    private final byte[] tag;
    private final RecordId recordId;
    private final long schemaFingerprint;

    /**
     * Creates an envelope of format version 1.
     *
     * @param schemaFingerprint the exact fingerprint of the derived schema
     * @throws IllegalArgumentException when a part is empty or has the wrong length
     */
    public Envelope(
            String keyArn,
            byte[] edek,
            String orgId,
            byte[] nonce,
            byte[] tag,
            RecordId recordId,
            long schemaFingerprint) {
        this(
                EnvelopeSchema.FORMAT_VERSION,
                keyArn,
                edek,
                orgId,
                nonce,
                tag,
                recordId,
                schemaFingerprint);
    }

    /**
     * Creates an envelope of format version 2, which carries a data-key reference in place of the
     * key ARN and the EDEK.
     *
     * @param reference the {@value EnvelopeSchema#REFERENCE_BYTES}-byte data-key reference
     * @throws IllegalArgumentException when a part is empty or has the wrong length
     */
    public static Envelope withReference(
            byte[] reference,
            String orgId,
            byte[] nonce,
            byte[] tag,
            RecordId recordId,
            long schemaFingerprint) {
        return new Envelope(
                EnvelopeSchema.REFERENCE_FORMAT_VERSION,
                "",
                reference,
                orgId,
                nonce,
                tag,
                recordId,
                schemaFingerprint);
    }

    private Envelope(
            int formatVersion,
            String keyArn,
            byte[] edek,
            String orgId,
            byte[] nonce,
            byte[] tag,
            RecordId recordId,
            long schemaFingerprint) {
        this.formatVersion = formatVersion;
        if (formatVersion == EnvelopeSchema.REFERENCE_FORMAT_VERSION) {
            this.keyArn = Objects.requireNonNull(keyArn, "keyArn");
            if (!keyArn.isEmpty()) {
                throw new IllegalArgumentException(
                        "an envelope with a data-key reference has an empty key ARN");
            }
            this.edek =
                    requireLength(edek, EnvelopeSchema.REFERENCE_BYTES, "data-key reference")
                            .clone();
        } else {
            this.keyArn = requireNonEmpty(keyArn, "key ARN");
            this.edek = requireLength(edek, -1, "EDEK").clone();
        }
        this.orgId = requireNonEmpty(orgId, "org id");
        this.nonce = requireLength(nonce, EnvelopeSchema.NONCE_BYTES, "nonce").clone();
        this.tag = requireLength(tag, EnvelopeSchema.TAG_BYTES, "tag").clone();
        this.recordId = Objects.requireNonNull(recordId, "recordId");
        this.schemaFingerprint = schemaFingerprint;
    }

    public int formatVersion() {
        return formatVersion;
    }

    /** True when this envelope carries a data-key reference in place of the key ARN and EDEK. */
    public boolean hasReference() {
        return formatVersion == EnvelopeSchema.REFERENCE_FORMAT_VERSION;
    }

    /** The key ARN, or the empty string when the envelope carries a data-key reference. */
    public String keyArn() {
        return keyArn;
    }

    /**
     * A copy of the {@code edek} field: the EDEK, or the data-key reference when {@link
     * #hasReference} is true.
     */
    public byte[] edek() {
        return edek.clone();
    }

    public String orgId() {
        return orgId;
    }

    /** Returns the KMS encryption context of the EDEK (see {@link EncryptionContext}). */
    public Map<String, String> encryptionContext() {
        return EncryptionContext.of(orgId);
    }

    public byte[] nonce() {
        return nonce.clone();
    }

    public byte[] tag() {
        return tag.clone();
    }

    public RecordId recordId() {
        return recordId;
    }

    /** Returns the exact fingerprint of the derived schema the record was written with. */
    public long schemaFingerprint() {
        return schemaFingerprint;
    }

    /**
     * Returns a copy of this envelope under another key, for re-wrapping the EDEK of format version
     * 1.
     *
     * @throws IllegalStateException when this envelope carries a data-key reference
     */
    public Envelope withKey(String newKeyArn, byte[] newEdek) {
        if (hasReference()) {
            throw new IllegalStateException(
                    "an envelope with a data-key reference is re-wrapped with withReference");
        }
        return new Envelope(newKeyArn, newEdek, orgId, nonce, tag, recordId, schemaFingerprint);
    }

    /**
     * Returns a copy of this envelope of format version 2 with another data-key reference, for
     * re-wrapping the entry that the reference names.
     *
     * @throws IllegalStateException when this envelope carries the EDEK (format version 1)
     */
    public Envelope withReference(byte[] newReference) {
        if (!hasReference()) {
            throw new IllegalStateException(
                    "an envelope of format version 1 is re-wrapped with withKey");
        }
        return withReference(newReference, orgId, nonce, tag, recordId, schemaFingerprint);
    }

    byte[] nonceBytes() {
        return nonce;
    }

    byte[] tagBytes() {
        return tag;
    }

    /** The envelope as an Avro record of {@link EnvelopeSchema#SCHEMA}. */
    public GenericData.Record toRecord() {
        return record(
                formatVersion,
                keyArn,
                edek.clone(),
                EncryptionContext.of(orgId),
                nonce.clone(),
                tag.clone(),
                recordId,
                Fingerprints.toLittleEndian(schemaFingerprint));
    }

    /**
     * Builds an envelope record from parts that the caller hands over: the arrays and the context
     * map end up in the record without copies.
     */
    static GenericData.Record record(
            int formatVersion,
            String keyArn,
            byte[] edek,
            Map<String, String> encryptionContext,
            byte[] nonce,
            byte[] tag,
            RecordId recordId,
            byte[] schemaFingerprint) {
        GenericData.Record id = new GenericData.Record(EnvelopeSchema.RECORD_ID_SCHEMA);
        id.put(0, recordId.topic());
        id.put(1, recordId.partition());
        id.put(2, recordId.offset());
        GenericData.Record record = new GenericData.Record(EnvelopeSchema.SCHEMA);
        record.put(FORMAT_VERSION_POS, formatVersion);
        record.put(KEY_ARN_POS, keyArn);
        record.put(EDEK_POS, ByteBuffer.wrap(edek));
        record.put(CONTEXT_POS, encryptionContext);
        record.put(NONCE_POS, new GenericData.Fixed(EnvelopeSchema.NONCE_SCHEMA, nonce));
        record.put(TAG_POS, new GenericData.Fixed(EnvelopeSchema.TAG_SCHEMA, tag));
        record.put(RECORD_ID_POS, id);
        record.put(
                FINGERPRINT_POS,
                new GenericData.Fixed(
                        EnvelopeSchema.FINGERPRINT_SCHEMA, schemaFingerprint.clone()));
        return record;
    }

    /**
     * Reads an envelope from the value of a derived record's envelope field.
     *
     * @throws InvalidCiphertextException when the value is not a valid envelope of format version 1
     *     or 2
     */
    public static Envelope fromRecord(Object value) throws InvalidCiphertextException {
        if (!(value instanceof GenericRecord record) || !isEnvelopeSchema(record.getSchema())) {
            throw invalid(
                    "envelope field does not contain an "
                            + EnvelopeSchema.SCHEMA.getFullName()
                            + " record",
                    null,
                    null);
        }
        // The ids first, so that every later message can name them.
        RecordId recordId = readRecordId(record.get(RECORD_ID_POS));
        String orgId = readOrgId(record.get(CONTEXT_POS), recordId);

        Object version = record.get(FORMAT_VERSION_POS);
        if (!(version instanceof Integer v)
                || (v != EnvelopeSchema.FORMAT_VERSION
                        && v != EnvelopeSchema.REFERENCE_FORMAT_VERSION)) {
            throw invalid(
                    "envelope has format version "
                            + version
                            + "; this library reads versions "
                            + EnvelopeSchema.FORMAT_VERSION
                            + " and "
                            + EnvelopeSchema.REFERENCE_FORMAT_VERSION,
                    orgId,
                    recordId);
        }
        boolean reference = v == EnvelopeSchema.REFERENCE_FORMAT_VERSION;

        Object keyArn = record.get(KEY_ARN_POS);
        if (!(keyArn instanceof CharSequence arn)) {
            throw invalid("envelope has no key ARN", orgId, recordId);
        }
        if (reference != (arn.length() == 0)) {
            throw invalid(
                    reference
                            ? "envelope of format version 2 has a key ARN; it must be empty"
                            : "envelope has no key ARN",
                    orgId,
                    recordId);
        }
        byte[] edek = bytesOf(record.get(EDEK_POS));
        if (edek == null || edek.length == 0) {
            throw invalid(
                    reference ? "envelope has no data-key reference" : "envelope has no EDEK",
                    orgId,
                    recordId);
        }
        if (reference && edek.length != EnvelopeSchema.REFERENCE_BYTES) {
            throw invalid(
                    "envelope's data-key reference has "
                            + edek.length
                            + " bytes; it must have "
                            + EnvelopeSchema.REFERENCE_BYTES,
                    orgId,
                    recordId);
        }

        byte[] nonce =
                fixedOf(
                        record.get(NONCE_POS),
                        EnvelopeSchema.NONCE_BYTES,
                        "nonce",
                        orgId,
                        recordId);
        byte[] tag = fixedOf(record.get(TAG_POS), EnvelopeSchema.TAG_BYTES, "tag", orgId, recordId);
        byte[] fingerprint =
                fixedOf(
                        record.get(FINGERPRINT_POS),
                        Fingerprints.BYTES,
                        "schema fingerprint",
                        orgId,
                        recordId);

        return new Envelope(
                v,
                arn.toString(),
                edek,
                orgId,
                nonce,
                tag,
                recordId,
                Fingerprints.fromLittleEndian(fingerprint, 0));
    }

    private static boolean isEnvelopeSchema(Schema schema) {
        return schema == EnvelopeSchema.SCHEMA
                || (schema.getType() == Schema.Type.RECORD
                        && schema.getFullName().equals(EnvelopeSchema.SCHEMA.getFullName())
                        && schema.getFields().size() == EnvelopeSchema.SCHEMA.getFields().size());
    }

    private static RecordId readRecordId(Object value) throws InvalidCiphertextException {
        if (value instanceof GenericRecord id
                && id.getSchema().getFields().size() == 3
                && id.get(0) instanceof CharSequence topic
                && id.get(1) instanceof Integer partition
                && id.get(2) instanceof Long offset) {
            try {
                return new RecordId(topic.toString(), partition, offset);
            } catch (IllegalArgumentException e) {
                throw invalid("envelope has an invalid record id: " + e.getMessage(), null, null);
            }
        }
        throw invalid("envelope has no valid record id", null, null);
    }

    private static String readOrgId(Object value, RecordId recordId)
            throws InvalidCiphertextException {
        if (!(value instanceof Map<?, ?> map)) {
            throw invalid("envelope has no encryption context", null, recordId);
        }
        Map<String, String> context = new LinkedHashMap<>(4);
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            if (entry.getKey() == null || entry.getValue() == null) {
                throw invalid(
                        "envelope's encryption context has a null key or value", null, recordId);
            }
            context.put(entry.getKey().toString(), entry.getValue().toString());
        }
        try {
            return EncryptionContext.orgIdOf(context);
        } catch (IllegalArgumentException e) {
            throw invalid("envelope's " + e.getMessage(), null, recordId);
        }
    }

    private static byte[] bytesOf(Object value) {
        if (!(value instanceof ByteBuffer buffer)) {
            return null;
        }
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }

    private static byte[] fixedOf(
            Object value, int length, String what, String orgId, RecordId recordId)
            throws InvalidCiphertextException {
        if (value instanceof GenericFixed fixed
                && fixed.bytes() != null
                && fixed.bytes().length == length) {
            return fixed.bytes().clone();
        }
        throw invalid("envelope has no " + length + "-byte " + what, orgId, recordId);
    }

    private static InvalidCiphertextException invalid(
            String message, String orgId, RecordId recordId) {
        return new InvalidCiphertextException(message, orgId, recordId, null);
    }

    private static String requireNonEmpty(String value, String what) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException(what + " must not be empty");
        }
        return value;
    }

    /** Checks the length of {@code bytes}: exactly {@code length}, or at least 1 when negative. */
    private static byte[] requireLength(byte[] bytes, int length, String what) {
        Objects.requireNonNull(bytes, what);
        if (length < 0 ? bytes.length == 0 : bytes.length != length) {
            throw new IllegalArgumentException(
                    what
                            + " must be "
                            + (length < 0 ? "non-empty" : length + " bytes")
                            + ", got "
                            + bytes.length
                            + " bytes");
        }
        return bytes;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Envelope that
                && formatVersion == that.formatVersion
                && keyArn.equals(that.keyArn)
                && Arrays.equals(edek, that.edek)
                && orgId.equals(that.orgId)
                && Arrays.equals(nonce, that.nonce)
                && Arrays.equals(tag, that.tag)
                && recordId.equals(that.recordId)
                && schemaFingerprint == that.schemaFingerprint;
    }

    @Override
    public int hashCode() {
        return Objects.hash(keyArn, orgId, recordId, schemaFingerprint, Arrays.hashCode(nonce));
    }

    /** Names the key, org, record and schema; the EDEK appears only as its length. */
    @Override
    public String toString() {
        return "Envelope[version="
                + formatVersion
                + ", keyArn="
                + keyArn
                + ", org="
                + orgId
                + ", record="
                + recordId
                + ", schema="
                + Fingerprints.toHex(schemaFingerprint)
                + (hasReference() ? ", reference=" : ", edek=")
                + edek.length
                + " bytes]";
    }
}
