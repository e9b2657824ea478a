package io.cmekflink.ingest;

import java.util.Objects;

/**
 * Settings shared by all value decoders.
 *
 * @param maxDepth the maximum nesting of records, maps and arrays (JSON objects and arrays), with
 *     the top-level record at depth 1; deeper input is {@link IngestErrorCode#MALFORMED_RECORD}
 * @param orgIdField name of the top-level string field that contains the org id
 */
public record DecoderOptions(int maxDepth, String orgIdField) {

    /** Default nesting bound, well above the 4 levels of a Kong log entry. */
    public static final int DEFAULT_MAX_DEPTH = 32;

    /**
     * Upper bound of {@link #maxDepth}. The decoders recurse once per level, and {@link
     * JsonValueDecoder} sets Jackson's own nesting limit to twice this bound, so that the decoder's
     * check, which names the path, fires first.
     */
    public static final int MAX_MAX_DEPTH = 500;

    public static final String DEFAULT_ORG_ID_FIELD = "org_id";

    public DecoderOptions {
        if (maxDepth < 1 || maxDepth > MAX_MAX_DEPTH) {
            throw new IllegalArgumentException(
                    "maxDepth must be between 1 and " + MAX_MAX_DEPTH + ", got " + maxDepth);
        }
        Objects.requireNonNull(orgIdField, "orgIdField");
        if (orgIdField.isEmpty()) {
            throw new IllegalArgumentException("orgIdField must not be empty");
        }
    }

    /** Returns the defaults: max depth {@value #DEFAULT_MAX_DEPTH}, org id field {@code org_id}. */
    public static DecoderOptions defaults() {
        return new DecoderOptions(DEFAULT_MAX_DEPTH, DEFAULT_ORG_ID_FIELD);
    }

    /** Returns a copy with another max depth. */
    public DecoderOptions withMaxDepth(int newMaxDepth) {
        return new DecoderOptions(newMaxDepth, orgIdField);
    }

    /** Returns a copy with another org id field name. */
    public DecoderOptions withOrgIdField(String newOrgIdField) {
        return new DecoderOptions(maxDepth, newOrgIdField);
    }
}
