package io.cmekflink.datakey;

import io.cmekflink.schema.ByteArrayEncoder;
import io.cmekflink.schema.Fingerprints;
import io.cmekflink.schema.MalformedRecordException;
import io.cmekflink.schema.SingleObjectEncoding;
import io.cmekflink.schema.StrictRecordDecoder;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericRecord;

/**
 * The entry of one data key (DEK) in the data-key topic: the org, the KMS key that encrypted the
 * DEK, and the EDEK that KMS returned. The encrypt job publishes it once per DEK, and records in
 * the data-key reference layout point to it with a {@link DataKeyReference}.
 *
 * <p>The Kafka record value is this entry in Avro single-object encoding with {@link #SCHEMA},
 * which {@code schemas/data-key-entry.avsc} contains too. The record key is {@link #newEntryKey()}.
 *
 * <p>{@link #toString()} prints the EDEK's length, never its bytes. The EDEK array is copied in and
 * out, so an entry is immutable.
 *
 * @param orgId the org whose key encrypted the DEK
 * @param keyArn the ARN of the KMS key that encrypted the DEK
 * @param edek the encrypted DEK, as KMS {@code GenerateDataKey} returned it
 * @param createdAtMillis when the DEK was generated, in milliseconds since the epoch
 */
public record DataKeyEntry(String orgId, String keyArn, byte[] edek, long createdAtMillis) {

    /** The value of the {@code format_version} field that this version writes and reads. */
    public static final int FORMAT_VERSION = 1;

    /** The length of a record key that {@link #newEntryKey()} returns. */
    public static final int ENTRY_KEY_BYTES = 16;

    public static final Schema SCHEMA = buildSchema();

    private static final long FINGERPRINT = Fingerprints.layoutFingerprint(SCHEMA);
    private static final StrictRecordDecoder BODY_DECODER = new StrictRecordDecoder(SCHEMA);
    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * @throws NullPointerException when a string or the EDEK is null
     * @throws IllegalArgumentException when a string or the EDEK is empty
     */
    public DataKeyEntry {
        requireNotEmpty(orgId, "orgId");
        requireNotEmpty(keyArn, "keyArn");
        Objects.requireNonNull(edek, "edek");
        if (edek.length == 0) {
            throw new IllegalArgumentException("edek is empty");
        }
        edek = edek.clone();
    }

    /** Returns a copy of the EDEK. */
    @Override
    public byte[] edek() {
        return edek.clone();
    }

    /** Returns the length of the EDEK in bytes. */
    public int edekLength() {
        return edek.length;
    }

    /**
     * Checks that this entry belongs to {@code recordOrgId}, the org of the record that carries
     * {@code reference}, and returns this entry. A record whose reference names another org's entry
     * must not be decrypted under that org's key.
     *
     * @throws DataKeyException (not retriable) naming the reference and both orgs
     */
    public DataKeyEntry requireOrg(DataKeyReference reference, String recordOrgId) {
        if (!orgId.equals(recordOrgId)) {
            throw new DataKeyException(
                    reference
                            + " names an entry of org "
                            + orgId
                            + ", but the record belongs to org "
                            + recordOrgId,
                    false);
        }
        return this;
    }

    /**
     * Returns a new random record key of {@value #ENTRY_KEY_BYTES} bytes from a {@link
     * SecureRandom}. Each DEK gets its own key, so compaction never removes an entry in favour of
     * another one.
     */
    public static byte[] newEntryKey() {
        byte[] key = new byte[ENTRY_KEY_BYTES];
        RANDOM.nextBytes(key);
        return key;
    }

    /** Encodes this entry as the Kafka record value, in Avro single-object encoding. */
    public byte[] encode() {
        ByteArrayEncoder out =
                new ByteArrayEncoder(64 + orgId.length() + keyArn.length() + edek.length);
        SingleObjectEncoding.writeHeader(out, FINGERPRINT);
        out.writeInt(FORMAT_VERSION);
        out.writeString(orgId);
        out.writeString(keyArn);
        out.writeBytes(edek, 0, edek.length);
        out.writeLong(createdAtMillis);
        return out.toByteArray();
    }

    /**
     * Decodes a Kafka record value that {@link #encode()} wrote.
     *
     * @throws DataKeyException (not retriable) when the value is null, lacks the single-object
     *     header of {@link #SCHEMA}, is malformed or has trailing bytes, has another format
     *     version, or has an empty org id, key ARN or EDEK. The message names byte counts and the
     *     problem, never the bytes.
     */
    public static DataKeyEntry decode(byte[] value) {
        requireHeader(value);
        GenericRecord record = decodeBody(value);

        int formatVersion = (Integer) record.get("format_version");
        if (formatVersion != FORMAT_VERSION) {
            throw invalid(
                    "has format_version "
                            + formatVersion
                            + ", expected "
                            + FORMAT_VERSION
                            + ": it was written by another version of cmek-flink");
        }

        String orgId = record.get("org_id").toString();
        String keyArn = record.get("key_arn").toString();
        ByteBuffer edekBuffer = (ByteBuffer) record.get("edek");
        byte[] edek = new byte[edekBuffer.remaining()];
        edekBuffer.duplicate().get(edek);
        if (orgId.isEmpty()) {
            throw invalid("has an empty org_id");
        }
        if (keyArn.isEmpty()) {
            throw invalid("has an empty key_arn");
        }
        if (edek.length == 0) {
            throw invalid("has an empty edek");
        }
        return new DataKeyEntry(orgId, keyArn, edek, (Long) record.get("created_at"));
    }

    private static void requireHeader(byte[] value) {
        if (value == null) {
            throw invalid("is null (a tombstone)");
        }
        if (!SingleObjectEncoding.isSingleObject(value)) {
            throw invalid(
                    "of "
                            + value.length
                            + " bytes does not start with the single-object marker C3 01 and an"
                            + " 8-byte schema fingerprint");
        }
        long fingerprint = SingleObjectEncoding.fingerprint(value);
        if (fingerprint != FINGERPRINT) {
            throw invalid(
                    "has schema fingerprint "
                            + Fingerprints.toHex(fingerprint)
                            + ", expected "
                            + Fingerprints.toHex(FINGERPRINT)
                            + " of "
                            + SCHEMA.getFullName()
                            + ": the value is not a data-key entry of a schema this version knows");
        }
    }

    /** Decodes the bytes after the header, which must contain exactly one record of the schema. */
    private static GenericRecord decodeBody(byte[] value) {
        try {
            return BODY_DECODER.decode(
                    value,
                    SingleObjectEncoding.HEADER_BYTES,
                    value.length - SingleObjectEncoding.HEADER_BYTES);
        } catch (MalformedRecordException e) {
            // The decoder's message names byte positions and types, never decoded values.
            throw new DataKeyException("invalid data-key entry: " + e.getMessage(), false, e);
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof DataKeyEntry that
                && createdAtMillis == that.createdAtMillis
                && orgId.equals(that.orgId)
                && keyArn.equals(that.keyArn)
                && Arrays.equals(edek, that.edek);
    }

    @Override
    public int hashCode() {
        return Objects.hash(orgId, keyArn, Arrays.hashCode(edek), createdAtMillis);
    }

    /** Returns the fields with the EDEK's length in place of its bytes. */
    @Override
    public String toString() {
        return "DataKeyEntry[orgId="
                + orgId
                + ", keyArn="
                + keyArn
                + ", edek="
                + edek.length
                + " bytes, createdAtMillis="
                + createdAtMillis
                + "]";
    }

    private static DataKeyException invalid(String problem) {
        return new DataKeyException("invalid data-key entry: the value " + problem, false);
    }

    private static void requireNotEmpty(String value, String name) {
        Objects.requireNonNull(value, name);
        if (value.isEmpty()) {
            throw new IllegalArgumentException(name + " is empty");
        }
    }

    private static Schema buildSchema() {
        Schema timestampMillis =
                LogicalTypes.timestampMillis().addToSchema(Schema.create(Schema.Type.LONG));
        return SchemaBuilder.record("DataKeyEntry")
                .namespace("io.cmekflink.v1")
                .doc(
                        "The encrypted form of one data key (DEK), published once per DEK by the"
                                + " encrypt job to the compacted data-key topic with a random"
                                + " 16-byte Kafka key. Records in the data-key reference layout"
                                + " store the entry's partition, offset and the first 7 bytes of"
                                + " its Kafka key in place of the key ARN and the EDEK.")
                .fields()
                .name("format_version")
                .doc("Always 1 in this version; readers reject other values.")
                .type()
                .intType()
                .noDefault()
                .name("org_id")
                .doc("The org whose KMS key encrypted the DEK.")
                .type()
                .stringType()
                .noDefault()
                .name("key_arn")
                .doc("The ARN of the KMS key that encrypted the DEK.")
                .type()
                .stringType()
                .noDefault()
                .name("edek")
                .doc("The encrypted DEK, as KMS GenerateDataKey returned it.")
                .type()
                .bytesType()
                .noDefault()
                .name("created_at")
                .doc("When the encrypt job generated the DEK.")
                .type(timestampMillis)
                .noDefault()
                .endRecord();
    }
}
