package io.cmekflink.ingest;

import java.util.Objects;

/**
 * A Kafka record value that cannot enter the encrypt job. The message names the writer schema, the
 * field path and what was wrong (expected type, JSON token type, byte counts), and never a field
 * value, because values may be sensitive.
 *
 * <p>The exception never carries a cause, because the messages of parser exceptions quote the
 * input. It also records no stack trace, because a topic full of poison pills throws one per record
 * and the trace carries no information about the data.
 */
public final class IngestException extends Exception {

    private final IngestErrorCode code;
    private final String writerSchema;
    private final String path;

    /**
     * Creates an exception.
     *
     * @param code the error code
     * @param message what was wrong, without field values
     * @param writerSchema full name of the writer schema, or null when none applies
     * @param path field path such as {@code $.request.headers{2}[0]}, or null when none applies
     */
    public IngestException(IngestErrorCode code, String message, String writerSchema, String path) {
        super(message, null, false, false);
        this.code = Objects.requireNonNull(code, "code");
        this.writerSchema = writerSchema;
        this.path = path;
    }

    /** Returns the error code. */
    public IngestErrorCode code() {
        return code;
    }

    /** Returns the error code's name, as the dead-letter schema spells it. */
    public String codeName() {
        return code.name();
    }

    /** Returns the full name of the writer schema, or null when the failure is before decoding. */
    public String writerSchema() {
        return writerSchema;
    }

    /** Returns the field path of the failure, or null when the failure is not at a field. */
    public String path() {
        return path;
    }
}
