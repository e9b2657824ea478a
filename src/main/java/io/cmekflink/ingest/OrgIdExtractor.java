package io.cmekflink.ingest;

import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;

/**
 * Reads the org id from a top-level string field of a decoded record. Thread-safe.
 *
 * <p>Missing, null, empty or blank values and values that are not strings are {@link
 * IngestErrorCode#MISSING_ORG_ID}. The message names the field and the value's type, never the
 * value.
 */
public final class OrgIdExtractor {

    private final String fieldName;

    /** Creates an extractor of the top-level field {@code fieldName}. */
    public OrgIdExtractor(String fieldName) {
        this.fieldName = Objects.requireNonNull(fieldName, "fieldName");
    }

    /** Creates an extractor of the field that {@code options} names. */
    public OrgIdExtractor(DecoderOptions options) {
        this(options.orgIdField());
    }

    /** Returns the field name. */
    public String fieldName() {
        return fieldName;
    }

    /**
     * Returns the org id of a record.
     *
     * @throws IngestException with {@link IngestErrorCode#MISSING_ORG_ID} when there is none
     */
    public String extract(GenericRecord record) throws IngestException {
        Schema schema = record.getSchema();
        Schema.Field field = schema.getField(fieldName);
        if (field == null) {
            throw missing(schema, "the writer schema has no top-level field " + fieldName);
        }
        Object value = record.get(field.pos());
        if (value == null) {
            throw missing(schema, "org id field is null");
        }
        if (!(value instanceof CharSequence text)) {
            throw missing(
                    schema,
                    "org id field holds a "
                            + value.getClass().getSimpleName()
                            + ", expected a string");
        }
        String orgId = text.toString();
        if (orgId.isBlank()) {
            throw missing(schema, "org id field is empty or blank");
        }
        return orgId;
    }

    private IngestException missing(Schema schema, String problem) {
        String path = "$." + fieldName;
        return new IngestException(
                IngestErrorCode.MISSING_ORG_ID,
                problem + " at " + path + " in writer schema " + schema.getFullName(),
                schema.getFullName(),
                path);
    }
}
