package io.cmekflink.schema;

/**
 * Thrown when bytes do not decode as exactly one record of a schema: they end early, contain an
 * invalid encoding, or leave bytes over. The message names the schema and byte counts, never
 * values.
 */
public final class MalformedRecordException extends Exception {

    private final String schemaFullName;
    private final int consumedBytes;
    private final int totalBytes;

    public MalformedRecordException(
            String message,
            String schemaFullName,
            int consumedBytes,
            int totalBytes,
            Throwable cause) {
        super(message, cause);
        this.schemaFullName = schemaFullName;
        this.consumedBytes = consumedBytes;
        this.totalBytes = totalBytes;
    }

    public String schemaFullName() {
        return schemaFullName;
    }

    /** Returns how many bytes decoding consumed before it failed or stopped. */
    public int consumedBytes() {
        return consumedBytes;
    }

    public int totalBytes() {
        return totalBytes;
    }
}
