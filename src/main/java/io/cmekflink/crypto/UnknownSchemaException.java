package io.cmekflink.crypto;

/**
 * Thrown when no known derived schema has the fingerprint that a record names. The decrypting side
 * reports it as error code {@code UNKNOWN_SCHEMA}; loading the missing schema file fixes it.
 */
public final class UnknownSchemaException extends RecordOpenException {

    UnknownSchemaException(String message, String orgId, RecordId recordId) {
        super(message, orgId, recordId, null);
    }
}
