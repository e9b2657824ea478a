package io.cmekflink.link;

import io.cmekflink.schema.MalformedRecordException;
import io.cmekflink.schema.SingleObjectEncoding;
import io.cmekflink.schema.StrictRecordDecoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;

/**
 * A change of an org's key link, as published to the key-change topic in Avro single-object
 * encoding with the schema {@code schemas/key-change-event.avsc} and the org id as Kafka key.
 *
 * @param change {@code LINKED}, {@code UNLINKED}, or {@code UNKNOWN} for a symbol this version does
 *     not know
 */
public record KeyChangeEvent(
        String orgId,
        String change,
        String keyName,
        String keyArn,
        String region,
        String description,
        long version,
        long changedAt,
        boolean allowAccountChange,
        byte[] signature) {

    public static final String LINKED = "LINKED";
    public static final String UNLINKED = "UNLINKED";

    /** The domain label that prefixes the bytes a key-change signature covers. */
    public static final String SIGNATURE_LABEL = "cmek-flink/key-change/v1\u0000";

    public static final Schema SCHEMA = loadSchema();

    private static final BinaryMessageEncoder<GenericRecord> ENCODER =
            new BinaryMessageEncoder<>(GenericData.get(), SCHEMA);
    private static final long FINGERPRINT = SchemaNormalization.parsingFingerprint64(SCHEMA);

    /**
     * Decodes the body after the single-object header. Avro's own {@code BinaryMessageDecoder}
     * allocates whatever length a string declares, and events are decoded before their signature is
     * checked, so a 20-byte value on the key-change topic could make every task allocate 256 MiB.
     * This decoder checks each length against the bytes that remain.
     */
    private static final StrictRecordDecoder BODY_DECODER = new StrictRecordDecoder(SCHEMA);

    public KeyChangeEvent {
        Objects.requireNonNull(change, "change");
    }

    /** A LINKED event without signature. */
    public static KeyChangeEvent linked(
            String orgId,
            String keyName,
            String keyArn,
            String region,
            String description,
            long version,
            long changedAt) {
        return new KeyChangeEvent(
                orgId,
                LINKED,
                keyName,
                keyArn,
                region,
                description,
                version,
                changedAt,
                false,
                null);
    }

    /** An UNLINKED event without signature. */
    public static KeyChangeEvent unlinked(String orgId, long version, long changedAt) {
        return new KeyChangeEvent(
                orgId, UNLINKED, null, null, null, null, version, changedAt, false, null);
    }

    /** Returns a copy of this event with the given signature. */
    public KeyChangeEvent withSignature(byte[] newSignature) {
        return new KeyChangeEvent(
                orgId,
                change,
                keyName,
                keyArn,
                region,
                description,
                version,
                changedAt,
                allowAccountChange,
                newSignature == null ? null : newSignature.clone());
    }

    /**
     * The bytes a signature covers: a domain label followed by this event without its signature in
     * Avro single-object encoding. The encoding of a record is deterministic, so signer and
     * verifier compute the same bytes.
     */
    public byte[] signedBytes() {
        byte[] label = SIGNATURE_LABEL.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] body = withSignature(null).toBytes();
        byte[] out = new byte[label.length + body.length];
        System.arraycopy(label, 0, out, 0, label.length);
        System.arraycopy(body, 0, out, label.length, body.length);
        return out;
    }

    public byte[] toBytes() {
        GenericRecord r = new GenericData.Record(SCHEMA);
        r.put("org_id", orgId);
        r.put("change", new GenericData.EnumSymbol(SCHEMA.getField("change").schema(), change));
        r.put("key_name", keyName);
        r.put("key_arn", keyArn);
        r.put("region", region);
        r.put("description", description);
        r.put("version", version);
        r.put("changed_at", changedAt);
        r.put("allow_account_change", allowAccountChange);
        r.put("signature", signature == null ? null : ByteBuffer.wrap(signature));
        try {
            return ENCODER.encode(r).array();
        } catch (IOException e) {
            throw new UncheckedIOException("encoding a key-change event failed", e);
        }
    }

    /**
     * Decodes an event.
     *
     * @throws InvalidKeyLinkException when the bytes are not a key-change event of a known schema
     */
    public static KeyChangeEvent fromBytes(byte[] bytes) throws InvalidKeyLinkException {
        if (bytes == null) {
            throw new InvalidKeyLinkException(
                    "value", "null", "a tombstone is not a key-change event; publish UNLINKED");
        }
        if (!SingleObjectEncoding.isSingleObject(bytes)
                || SingleObjectEncoding.fingerprint(bytes) != FINGERPRINT) {
            throw new InvalidKeyLinkException(
                    "value",
                    bytes.length + " bytes",
                    "not a key-change event: it does not start with the single-object header"
                            + " (C3 01 and the fingerprint) of schema "
                            + SCHEMA.getFullName());
        }
        GenericRecord r;
        try {
            r =
                    BODY_DECODER.decode(
                            bytes,
                            SingleObjectEncoding.HEADER_BYTES,
                            bytes.length - SingleObjectEncoding.HEADER_BYTES);
        } catch (MalformedRecordException e) {
            // The decoder's message names byte positions and types, never decoded values.
            throw new InvalidKeyLinkException(
                    "value", bytes.length + " bytes", "not a key-change event: " + e.getMessage());
        }
        ByteBuffer signature = (ByteBuffer) r.get("signature");
        byte[] signatureBytes = null;
        if (signature != null) {
            signatureBytes = new byte[signature.remaining()];
            signature.duplicate().get(signatureBytes);
        }
        return new KeyChangeEvent(
                string(r.get("org_id")),
                r.get("change").toString(),
                string(r.get("key_name")),
                string(r.get("key_arn")),
                string(r.get("region")),
                string(r.get("description")),
                (Long) r.get("version"),
                (Long) r.get("changed_at"),
                (Boolean) r.get("allow_account_change"),
                signatureBytes);
    }

    private static String string(Object value) {
        return value == null ? null : value.toString();
    }

    private static Schema loadSchema() {
        String path = "/schemas/key-change-event.avsc";
        try (InputStream in = KeyChangeEvent.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException(path + " is not on the classpath");
            }
            return new Schema.Parser().parse(in);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + path + " failed", e);
        }
    }

    @Override
    public String toString() {
        return "KeyChangeEvent[org="
                + orgId
                + " "
                + change
                + " v"
                + version
                + " arn="
                + keyArn
                + "]";
    }
}
