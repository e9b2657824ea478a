package io.cmekflink.ingest;

import java.util.Arrays;
import java.util.stream.Collectors;

/** Encodings of Kafka record values that the encrypt job reads. */
public enum ValueFormat {
    /** Avro binary encoding of one record of the writer schema, nothing before or after it. */
    AVRO("avro"),
    /**
     * Confluent wire format: magic byte 0, a 4-byte big-endian schema id, then Avro binary encoding
     * under the schema of that id.
     */
    CONFLUENT_AVRO("confluent-avro"),
    /**
     * One plain JSON object mapped onto the writer schema by field name (not Avro's JSON encoding).
     */
    JSON("json");

    private final String formatName;

    ValueFormat(String formatName) {
        this.formatName = formatName;
    }

    /** Returns the name used in job definitions. */
    public String formatName() {
        return formatName;
    }

    /**
     * Returns the format of a name used in job definitions.
     *
     * @throws IllegalArgumentException when no format has that name
     */
    public static ValueFormat fromName(String name) {
        for (ValueFormat format : values()) {
            if (format.formatName.equals(name)) {
                return format;
            }
        }
        String known =
                Arrays.stream(values())
                        .map(ValueFormat::formatName)
                        .collect(Collectors.joining(", "));
        throw new IllegalArgumentException(
                "unknown value format '" + name + "': use one of " + known);
    }
}
