package io.cmekflink.crypto;

/**
 * Thrown when an encrypted record cannot be opened. Messages name the org id, record id and field
 * path (map keys redacted), never values.
 */
public abstract class RecordOpenException extends Exception {

    private final String orgId;
    private final RecordId recordId;

    RecordOpenException(String message, String orgId, RecordId recordId, Throwable cause) {
        super(
                message
                        + " (org "
                        + (orgId == null ? "unknown" : orgId)
                        + ", record "
                        + (recordId == null ? "unknown" : recordId)
                        + ")",
                cause);
        this.orgId = orgId;
        this.recordId = recordId;
    }

    /** Returns the org id from the envelope, or null when the envelope could not be read. */
    public String orgId() {
        return orgId;
    }

    /** Returns the record id from the envelope, or null when the envelope could not be read. */
    public RecordId recordId() {
        return recordId;
    }
}
