package io.cmekflink.link.admin;

/** A key that must not be linked, or a KMS call that failed while checking it. */
public final class KeyVerificationException extends Exception {

    public KeyVerificationException(String message) {
        super(message);
    }

    public KeyVerificationException(String message, Throwable cause) {
        super(message, cause);
    }
}
