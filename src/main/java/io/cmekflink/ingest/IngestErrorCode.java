package io.cmekflink.ingest;

/**
 * Cause of a Kafka record value that could not become a record of the writer schema. The names
 * equal the dead-letter error codes of the same meaning, so a dead letter can carry {@link
 * #name()}.
 */
public enum IngestErrorCode {
    /** The bytes do not decode under the writer schema, or the JSON does not map onto it. */
    MALFORMED_RECORD,
    /** The Confluent schema id of the value is not configured. */
    UNKNOWN_SCHEMA,
    /** The record has no usable org id: missing, null, empty or not a string. */
    MISSING_ORG_ID
}
