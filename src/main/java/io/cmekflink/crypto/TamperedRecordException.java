package io.cmekflink.crypto;

/**
 * Thrown when an encrypted record fails authentication: the AES-GCM tag does not verify, or the
 * record's org id differs from the org in its envelope. Any changed byte of a marked value, the
 * nonce, the tag or the associated data causes it, and so do a wrong DEK, a slice moved to another
 * field or record, and a record moved to another org. The decrypting side reports it as error code
 * {@code TAMPERED}.
 */
public final class TamperedRecordException extends RecordOpenException {

    TamperedRecordException(String message, String orgId, RecordId recordId, Throwable cause) {
        super(message, orgId, recordId, cause);
    }
}
