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

    public int kind;
    public String orgId;
    public String keyArn;
    public ParsedRecord record;

    public Routed() {}

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
