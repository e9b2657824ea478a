package io.cmekflink.deadletter.report;

/** Reading a topic failed: the topic does not exist, the broker did not respond, or timed out. */
public final class TopicReadException extends RuntimeException {

    public TopicReadException(String message) {
        super(message);
    }

    public TopicReadException(String message, Throwable cause) {
        super(message, cause);
    }
}
