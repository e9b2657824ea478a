package io.cmekflink.ingest;

import io.cmekflink.schema.BoundedBinaryDecoder.InvalidEncodingException;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.regex.Pattern;

/**
 * Internal failure of one decode call, turned into an {@link IngestException} at the top. Readers
 * add their path segment while the failure passes up, so the path costs nothing on success.
 *
 * <p>It extends {@link IOException} so that it passes through Avro's {@code DatumReader} methods.
 */
final class DecodeFailure extends IOException {

    private static final Pattern PLAIN_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_-]*");
    private static final int MAX_NAME_CHARS = 64;

    private final IngestErrorCode code;
    private final String problem;
    private final String location;
    private final ArrayDeque<String> segments = new ArrayDeque<>();

    private DecodeFailure(IngestErrorCode code, String problem, String location) {
        super(problem);
        this.code = code;
        this.problem = problem;
        this.location = location;
    }

    /** Skips the stack trace: the failure is about the data, and poison pills arrive in bulk. */
    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }

    static DecodeFailure malformed(String problem) {
        return new DecodeFailure(IngestErrorCode.MALFORMED_RECORD, problem, null);
    }

    static DecodeFailure malformed(String problem, String location) {
        return new DecodeFailure(IngestErrorCode.MALFORMED_RECORD, problem, location);
    }

    /**
     * Converts an exception thrown while reading Avro binary into a malformed-record failure. The
     * message of an {@link InvalidEncodingException} is kept, because it names byte positions,
     * lengths and counts, never values. Any other exception contributes only its type.
     */
    static DecodeFailure fromRead(IOException e) {
        if (e instanceof DecodeFailure failure) {
            return failure;
        }
        if (e instanceof InvalidEncodingException) {
            return malformed(e.getMessage());
        }
        return malformed("reading Avro binary failed (" + e.getClass().getSimpleName() + ")");
    }

    static DecodeFailure missingOrgId(String problem, String location) {
        return new DecodeFailure(IngestErrorCode.MISSING_ORG_ID, problem, location);
    }

    /** Adds the segment of a record field, outermost last. */
    DecodeFailure inField(String fieldName) {
        segments.addFirst(fieldSegment(fieldName));
        return this;
    }

    /** Adds the segment of an array item. */
    DecodeFailure inItem(long index) {
        segments.addFirst("[" + index + "]");
        return this;
    }

    /**
     * Adds the segment of a map entry by its 0-based position in the input. Map keys are data (a
     * bare query flag's key is whatever the client sent), so paths never contain them.
     */
    DecodeFailure inEntry(long position) {
        segments.addFirst("{" + position + "}");
        return this;
    }

    /** Returns the path, such as {@code $.request.headers{2}[0]}. */
    String path() {
        StringBuilder path = new StringBuilder("$");
        for (String segment : segments) {
            path.append(segment);
        }
        return path.toString();
    }

    IngestException toIngestException(String writerSchemaDescription, String writerSchemaName) {
        String path = path();
        StringBuilder message = new StringBuilder(problem).append(" at ").append(path);
        if (location != null) {
            message.append(" (").append(location).append(')');
        }
        message.append(" in writer schema ").append(writerSchemaDescription);
        return new IngestException(code, message.toString(), writerSchemaName, path);
    }

    /**
     * Renders a field name as a path segment. Schema field names print plainly; a JSON key that is
     * not in the schema is quoted, escaped and cut to {@value #MAX_NAME_CHARS} characters.
     */
    static String fieldSegment(String name) {
        if (PLAIN_NAME.matcher(name).matches() && name.length() <= MAX_NAME_CHARS) {
            return "." + name;
        }
        StringBuilder quoted = new StringBuilder("[\"");
        int end = Math.min(name.length(), MAX_NAME_CHARS);
        for (int i = 0; i < end; i++) {
            char c = name.charAt(i);
            if (c == '"' || c == '\\') {
                quoted.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f) {
                quoted.append(String.format("\\u%04x", (int) c));
            } else {
                quoted.append(c);
            }
        }
        if (name.length() > MAX_NAME_CHARS) {
            quoted.append("...");
        }
        return quoted.append("\"]").toString();
    }
}
