package io.cmekflink.link.admin;

/** Publishing a key-change event failed or was not acknowledged in time. */
public final class KeyChangePublishException extends RuntimeException {

    public KeyChangePublishException(String message, Throwable cause) {
        super(message, cause);
    }
}
