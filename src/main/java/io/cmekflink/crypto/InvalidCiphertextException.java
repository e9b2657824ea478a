package io.cmekflink.crypto;

/**
 * Thrown when a record is not a well-formed encrypted record: no single-object header, bytes that
 * do not decode, an envelope with missing or invalid parts, or a marked field that does not contain
 * bytes. The decrypting side reports it as error code {@code INVALID_CIPHERTEXT}.
 */
public final class InvalidCiphertextException extends RecordOpenException {

    InvalidCiphertextException(String message, String orgId, RecordId recordId, Throwable cause) {
        super(message, orgId, recordId, cause);
    }
}
