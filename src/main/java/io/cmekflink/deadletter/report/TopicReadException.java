package io.cmekflink.deadletter.report;

/**
 * An error reading a topic: the topic does not exist, the bootstrap servers are invalid, or the
 * read timed out.
 */
public final class TopicReadException extends RuntimeException {

    public TopicReadException(String message) {
        super(message);
    }

    public TopicReadException(String message, Throwable cause) {
        super(message, cause);
    }
}
