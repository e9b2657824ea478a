package io.cmekflink.job;

/**
 * What the resolve step hands to the encrypt step: a record with its org's key ARN, a record that
 * is already encrypted, or a control element telling the encrypt step to drop an org's DEKs because
 * its key link changed. A Flink POJO.
 */
public class Routed {
    public static final int RECORD = 0;
    public static final int PASS_THROUGH = 1;
    public static final int CONTROL = 2;

    /** A record that becomes a dead letter whose input the encrypt step seals. */
    public static final int SEAL_DEAD_LETTER = 3;

    public int kind;
    public String orgId;
    public String keyArn;
    public ParsedRecord record;

    /** For {@link #SEAL_DEAD_LETTER}: the error code name, stage name and message. */
    public String errorCode;

    public String stage;
    public String message;

    /**
     * Set by the encrypt step when the element timed out, so that a DEK arriving later does not
     * seal it. Written and read on different threads; a late read costs one wasted seal.
     */
    public volatile boolean timedOut;

    /**
     * For a copy with the opened values of a sealed record: the element the async step keeps, and
     * snapshots, in its queue. Not serialised.
     */
    private transient Routed source;

    public Routed() {}

    /**
     * Copies this element with {@code record} in place of its own, sharing its timed-out flag. The
     * encrypt step works on such a copy when it opens a record sealed in state, so that the element
     * in its queue, which a checkpoint writes, stays sealed.
     */
    Routed withRecord(ParsedRecord record) {
        Routed r = new Routed();
        r.kind = kind;
        r.orgId = orgId;
        r.keyArn = keyArn;
        r.record = record;
        r.errorCode = errorCode;
        r.stage = stage;
        r.message = message;
        r.source = this;
        return r;
    }

    /** Returns whether this element, or the queued element it copies, timed out. */
    boolean isTimedOut() {
        return timedOut || (source != null && source.timedOut);
    }

    static Routed record(ParsedRecord record, String keyArn) {
        Routed r = new Routed();
        r.kind = RECORD;
        r.orgId = record.orgId;
        r.keyArn = keyArn;
        r.record = record;
        return r;
    }

    static Routed passThrough(ParsedRecord record) {
        Routed r = new Routed();
        r.kind = PASS_THROUGH;
        r.orgId = record.orgId;
        r.record = record;
        return r;
    }

    static Routed sealDeadLetter(ParsedRecord record, String stage, String code, String message) {
        Routed r = new Routed();
        r.kind = SEAL_DEAD_LETTER;
        r.orgId = record.orgId;
        r.record = record;
        r.stage = stage;
        r.errorCode = code;
        r.message = message;
        return r;
    }

    static Routed control(String orgId) {
        Routed r = new Routed();
        r.kind = CONTROL;
        r.orgId = orgId;
        return r;
    }

    @Override
    public String toString() {
        return "Routed[" + kind + " org=" + orgId + " " + record + "]";
    }
}
