package io.cmekflink.schema;

import org.apache.avro.Schema;

/**
 * The envelope field that every derived record gains, format version 1.
 *
 * <pre>
 * record io.cmekflink.v1.Envelope {
 *   int                     format_version;      // 1
 *   string                  key_arn;             // the KMS key that produced the EDEK
 *   bytes                   edek;                // the DEK encrypted by KMS
 *   map&lt;string&gt;             encryption_context;  // {org_id, purpose = "cmek-flink/v1"}
 *   fixed Nonce(12)         nonce;               // AES-GCM nonce
 *   fixed Tag(16)           tag;                 // AES-GCM tag over all marked values
 *   record RecordId {string topic; int partition; long offset;} record_id;
 *   fixed Fingerprint(8)    schema_fingerprint;  // exact fingerprint of the derived schema
 * }
 * </pre>
 *
 * The record id is the source position of the record's first encryption and stays the same when the
 * record is replayed or its EDEK is re-wrapped.
 *
 * <p>Format version 2 has the same fields: its {@code key_arn} is empty and its {@code edek} holds
 * a {@value #REFERENCE_BYTES}-byte data-key reference in place of the EDEK.
 */
public final class EnvelopeSchema {

    /** The name of the envelope field, the last field of a derived top-level record. */
    public static final String FIELD_NAME = "cmek_envelope";

    /** The namespace of the envelope's types; writer schemas must not use it. */
    public static final String NAMESPACE = "io.cmekflink.v1";

    /** The format version of an envelope that carries the key ARN and the EDEK. */
    public static final int FORMAT_VERSION = 1;

    /**
     * The format version of an envelope that carries a data-key reference: an empty key ARN, and in
     * the {@code edek} field the {@value #REFERENCE_BYTES}-byte location of the DEK's entry in the
     * data-key topic, which holds the key ARN and the EDEK.
     */
    public static final int REFERENCE_FORMAT_VERSION = 2;

    /** The length of a data-key reference in the {@code edek} field of format version 2. */
    public static final int REFERENCE_BYTES = 16;

    public static final int NONCE_BYTES = 12;
    public static final int TAG_BYTES = 16;

    public static final String FORMAT_VERSION_FIELD = "format_version";
    public static final String KEY_ARN_FIELD = "key_arn";
    public static final String EDEK_FIELD = "edek";
    public static final String ENCRYPTION_CONTEXT_FIELD = "encryption_context";
    public static final String NONCE_FIELD = "nonce";
    public static final String TAG_FIELD = "tag";
    public static final String RECORD_ID_FIELD = "record_id";
    public static final String SCHEMA_FINGERPRINT_FIELD = "schema_fingerprint";

    private static final String JSON =
            """
            {"type": "record", "name": "Envelope", "namespace": "io.cmekflink.v1",
             "doc": "How the marked fields of this record were encrypted (cmek-flink format 1).",
             "fields": [
              {"name": "format_version", "type": "int"},
              {"name": "key_arn", "type": "string"},
              {"name": "edek", "type": "bytes"},
              {"name": "encryption_context", "type": {"type": "map", "values": "string"}},
              {"name": "nonce", "type": {"type": "fixed", "name": "Nonce", "size": 12}},
              {"name": "tag", "type": {"type": "fixed", "name": "Tag", "size": 16}},
              {"name": "record_id", "type": {"type": "record", "name": "RecordId", "fields": [
                {"name": "topic", "type": "string"},
                {"name": "partition", "type": "int"},
                {"name": "offset", "type": "long"}]}},
              {"name": "schema_fingerprint",
               "type": {"type": "fixed", "name": "Fingerprint", "size": 8}}
             ]}
            """;

    /** The envelope record schema. Avro schemas are not immutable: do not add properties. */
    public static final Schema SCHEMA = new Schema.Parser().parse(JSON);

    public static final Schema NONCE_SCHEMA = SCHEMA.getField(NONCE_FIELD).schema();
    public static final Schema TAG_SCHEMA = SCHEMA.getField(TAG_FIELD).schema();
    public static final Schema RECORD_ID_SCHEMA = SCHEMA.getField(RECORD_ID_FIELD).schema();
    public static final Schema FINGERPRINT_SCHEMA =
            SCHEMA.getField(SCHEMA_FINGERPRINT_FIELD).schema();

    private EnvelopeSchema() {}

    /** A new field for a derived top-level record. */
    static Schema.Field newField() {
        return new Schema.Field(
                FIELD_NAME,
                SCHEMA,
                "Encryption envelope added by cmek-flink; not part of the writer schema.",
                (Object) null);
    }
}
