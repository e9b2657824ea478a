package io.cmekflink.link;

import java.io.Serializable;

/**
 * Decides what a key-change event does to an org's current link: apply it, ignore it as stale, or
 * reject it as invalid. A rejected event never replaces the current link.
 *
 * <p>Rules, in order: the event must be valid on its own (org id; on LINKED a key name, a key ARN
 * of a symmetric key in the event's region, which must be one of the geo's regions, and a bounded
 * description); events at or below the current version are ignored, so replaying the compacted
 * topic is safe; a version may not jump more than {@code maxVersionJump} ahead; and the key's AWS
 * account is pinned at the first link, so moving to another account needs an event with {@code
 * allow_account_change}.
 */
public final class KeyLinkRules implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Maximum length of a key link description, in characters. */
    public static final int MAX_DESCRIPTION_LENGTH = 1024;

    private final Geo geo;
    private final long maxVersionJump;

    public KeyLinkRules(Geo geo, long maxVersionJump) {
        if (maxVersionJump < 1) {
            throw new IllegalArgumentException(
                    "maxVersionJump must be at least 1, got " + maxVersionJump);
        }
        this.geo = geo;
        this.maxVersionJump = maxVersionJump;
    }

    /** The outcome of one event. */
    public sealed interface Decision {}

    /** The event replaces the current link. */
    public record Applied(KeyLink link) implements Decision {}

    /** The event is not newer than the current link. */
    public record Stale(long currentVersion) implements Decision {}

    /** The event breaks a rule. */
    public record Rejected(String reason) implements Decision {}

    /**
     * Decides what {@code event} does, given the org's current link ({@code null} when the org
     * never had one).
     */
    public Decision decide(KeyLink current, KeyChangeEvent event) {
        try {
            KeyArn arn = validate(event);
            if (current != null && event.version() <= current.version) {
                return new Stale(current.version);
            }
            long base = current == null ? 0 : current.version;
            if (event.version() - base > maxVersionJump) {
                throw new InvalidKeyLinkException(
                        "version",
                        event.version(),
                        "more than " + maxVersionJump + " ahead of the current version " + base);
            }
            String account = pinnedAccount(current, event, arn);
            return new Applied(KeyLink.of(event, account));
        } catch (InvalidKeyLinkException e) {
            return new Rejected(e.getMessage());
        }
    }

    /**
     * Validates an event on its own.
     *
     * @return the parsed key ARN, or {@code null} for an UNLINKED event
     */
    public KeyArn validate(KeyChangeEvent event) throws InvalidKeyLinkException {
        if (event.orgId() == null || event.orgId().isBlank()) {
            throw new InvalidKeyLinkException("org_id", event.orgId(), "an org id is required");
        }
        if (event.version() < 1) {
            throw new InvalidKeyLinkException("version", event.version(), "must be at least 1");
        }
        if (KeyChangeEvent.UNLINKED.equals(event.change())) {
            return null;
        }
        if (!KeyChangeEvent.LINKED.equals(event.change())) {
            throw new InvalidKeyLinkException(
                    "change", event.change(), "expected LINKED or UNLINKED");
        }
        if (event.keyName() == null || event.keyName().isBlank()) {
            throw new InvalidKeyLinkException(
                    "key_name", event.keyName(), "a key name is required on LINKED");
        }
        if (event.region() == null || event.region().isBlank()) {
            throw new InvalidKeyLinkException(
                    "region", event.region(), "a region is required on LINKED");
        }
        KeyArn arn = KeyArn.parse(event.keyArn());
        if (!arn.region().equals(event.region())) {
            throw new InvalidKeyLinkException(
                    "region",
                    event.region(),
                    "differs from the region '" + arn.region() + "' of the key ARN");
        }
        if (!geo.contains(arn.region())) {
            throw new InvalidKeyLinkException(
                    "region",
                    arn.region(),
                    "outside geo " + geo + ", whose regions are " + geo.regions());
        }
        if (event.description() != null && event.description().length() > MAX_DESCRIPTION_LENGTH) {
            throw new InvalidKeyLinkException(
                    "description",
                    event.description().length() + " characters",
                    "at most " + MAX_DESCRIPTION_LENGTH + " characters");
        }
        return arn;
    }

    private static String pinnedAccount(KeyLink current, KeyChangeEvent event, KeyArn arn)
            throws InvalidKeyLinkException {
        String pinned = current == null ? null : current.account;
        if (arn == null) {
            return pinned;
        }
        if (pinned != null && !pinned.equals(arn.account()) && !event.allowAccountChange()) {
            throw new InvalidKeyLinkException(
                    "key_arn",
                    event.keyArn(),
                    "the org's keys are pinned to account "
                            + pinned
                            + "; an event with allow_account_change=true is needed to move it");
        }
        return arn.account();
    }
}
