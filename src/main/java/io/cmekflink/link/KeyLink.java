package io.cmekflink.link;

import java.util.Objects;

/**
 * The current key link of one org, as held in the job's broadcast state.
 *
 * <p>A Flink POJO (public fields, no-argument constructor), so that its state serializer supports
 * added fields. An unlink is kept as a link with {@code linked == false}, so that its version still
 * rejects older events replayed from the compacted topic.
 */
public class KeyLink {
    public String orgId;
    public boolean linked;
    public String keyName;
    public String keyArn;
    public String region;
    public String description;
    public long version;
    public long changedAt;

    /** The AWS account of the org's key, pinned at its first link. */
    public String account;

    public KeyLink() {}

    static KeyLink of(KeyChangeEvent event, String account) {
        KeyLink link = new KeyLink();
        link.orgId = event.orgId();
        link.linked = KeyChangeEvent.LINKED.equals(event.change());
        link.keyName = event.keyName();
        link.keyArn = event.keyArn();
        link.region = event.region();
        link.description = event.description();
        link.version = event.version();
        link.changedAt = event.changedAt();
        link.account = account;
        return link;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof KeyLink other)) {
            return false;
        }
        return linked == other.linked
                && version == other.version
                && changedAt == other.changedAt
                && Objects.equals(orgId, other.orgId)
                && Objects.equals(keyName, other.keyName)
                && Objects.equals(keyArn, other.keyArn)
                && Objects.equals(region, other.region)
                && Objects.equals(description, other.description)
                && Objects.equals(account, other.account);
    }

    @Override
    public int hashCode() {
        return Objects.hash(orgId, version, keyArn);
    }

    @Override
    public String toString() {
        return "KeyLink[org="
                + orgId
                + (linked ? " linked " + keyArn : " unlinked")
                + " v"
                + version
                + "]";
    }
}
