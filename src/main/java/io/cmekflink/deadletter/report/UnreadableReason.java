package io.cmekflink.deadletter.report;

/** The reason why a record of the dead-letter topic does not decode as a dead letter. */
public enum UnreadableReason {
    NULL_VALUE("the value is null"),
    OTHER_FORMAT("the cmek-format header names another format"),
    NOT_SINGLE_OBJECT("the value is not in Avro single-object encoding"),
    UNKNOWN_SCHEMA("the schema fingerprint is not the dead-letter schema's"),
    INVALID_AVRO("the value does not decode with the dead-letter schema");

    private final String description;

    UnreadableReason(String description) {
        this.description = description;
    }

    /** Returns a phrase for the table output, which never quotes bytes of the record. */
    public String description() {
        return description;
    }
}
