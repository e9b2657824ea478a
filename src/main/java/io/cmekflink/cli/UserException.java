package io.cmekflink.cli;

/** A problem with what the user asked for, shown without a stack trace; exit code 2. */
public final class UserException extends RuntimeException {

    public UserException(String message) {
        super(message);
    }

    public UserException(String message, Throwable cause) {
        super(message, cause);
    }
}
