package io.cmekflink.schema;

import org.apache.avro.Schema;

/**
 * A marked field of a writer schema: the record that declares it, its name and its schema.
 *
 * @param recordFullName the full name of the record type that declares the field
 * @param fieldName the field's name
 * @param schema the field's schema, whose values are encrypted as one value
 */
public record MarkedField(String recordFullName, String fieldName, Schema schema) {

    /** Returns the field as {@code record.full.Name.field}. */
    @Override
    public String toString() {
        return recordFullName + "." + fieldName;
    }
}
