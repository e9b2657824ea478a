package io.cmekflink.link;

/** A key-change event or key link that breaks a validation rule. */
public final class InvalidKeyLinkException extends Exception {

    private final String field;

    public InvalidKeyLinkException(String field, Object value, String rule) {
        super("invalid " + field + " '" + value + "': " + rule);
        this.field = field;
    }

    /** The name of the event field that broke the rule. */
    public String field() {
        return field;
    }
}
