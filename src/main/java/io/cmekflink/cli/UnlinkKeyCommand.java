package io.cmekflink.cli;

import io.cmekflink.link.InvalidKeyLinkException;
import io.cmekflink.link.KeyChangeEvent;
import io.cmekflink.link.KeyChangeSignatures;
import io.cmekflink.link.admin.KeyChangeHistory;
import io.cmekflink.link.admin.KeyChangePublisher;
import java.io.PrintWriter;
import java.security.PrivateKey;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Unlinks an org from its key by publishing a signed UNLINKED event to the key-change topic. From
 * then on the job turns the org's records into {@code KEY_UNLINKED} dead letters, or encrypts them
 * under the platform key where one is configured.
 */
@Command(
        name = "unlink-key",
        sortOptions = false,
        description = {
            "Unlinks an org from its key by publishing a signed UNLINKED key-change event.",
            "Unless --dry-run is given, the command reads the whole key-change topic with"
                + " read_committed and without a consumer group, takes the org's event with the"
                + " highest version among those that one of --public-key verifies, and fails when"
                + " there is none or it is an UNLINKED event. The new event gets that version + 1"
                + " and changed_at = now, is signed with --signing-key (Ed25519), and is published"
                + " with acks=all by an idempotent producer, keyed by the org id.",
            "The job then turns the org's records into KEY_UNLINKED dead letters, or encrypts"
                    + " them under the platform key where one is configured. Records already"
                    + " encrypted under the org's key still need that key to be decrypted.",
            "Prints one JSON line on stdout and warnings on stderr. Exit code 0 when the event"
                    + " was published, or is valid with --dry-run; 2 for invalid options, an org"
                    + " that is not linked, and Kafka errors."
        })
public final class UnlinkKeyCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    // No mixinStandardHelpOptions: its -V/--version would clash with the event's --version.
    @Option(
            names = {"-h", "--help"},
            usageHelp = true,
            description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--org", required = true, paramLabel = "ID", description = "The org id.")
    String orgId;

    @Mixin LinkKeyCommand.TopicOptions topicOptions;

    /** The clock of changed_at; tests set a fixed one. */
    Clock clock = Clock.systemUTC();

    @Override
    public Integer call() {
        topicOptions.requirePublishOptions(spec);
        long draftVersion = topicOptions.version == null ? 1 : topicOptions.version;
        validate(KeyChangeEvent.unlinked(orgId, draftVersion, clock.millis()));
        if (topicOptions.dryRun) {
            topicOptions.print(
                    spec, KeyChangeEvent.unlinked(orgId, draftVersion, clock.millis()), null, null);
            return 0;
        }
        PrintWriter err = spec.commandLine().getErr();
        PrivateKey signingKey = topicOptions.signingKey(err);
        KeyChangeSignatures signatures = topicOptions.publicKeys();
        KeyChangeHistory history = topicOptions.read(orgId, signatures, err);
        long latest = requireLinked(history.latest());
        long version = topicOptions.version != null ? topicOptions.version : latest + 1;
        requireVersionAfter(latest, version);
        KeyChangeEvent next = KeyChangeEvent.unlinked(orgId, version, clock.millis());
        KeyChangeEvent signed = topicOptions.sign(next, signingKey, signatures);
        KeyChangePublisher.Published published = topicOptions.publish(signed, err);
        topicOptions.print(spec, signed, published, null);
        return 0;
    }

    /**
     * Applies the job's rules for an UNLINKED event, which names no key, so that no rule of the geo
     * applies: an org id and a version of at least 1.
     */
    private static void validate(KeyChangeEvent event) {
        try {
            if (event.orgId() == null || event.orgId().isBlank()) {
                throw new InvalidKeyLinkException("org_id", event.orgId(), "an org id is required");
            }
            if (event.version() < 1) {
                throw new InvalidKeyLinkException("version", event.version(), "must be at least 1");
            }
        } catch (InvalidKeyLinkException e) {
            throw new UserException(e.getMessage(), e);
        }
    }

    private long requireLinked(Optional<KeyChangeEvent> latest) {
        if (latest.isEmpty()) {
            throw new UserException(
                    "org "
                            + orgId
                            + " has no key-change events on topic "
                            + topicOptions.topic
                            + ", so there is no link to remove; check the org id and the topic");
        }
        KeyChangeEvent event = latest.get();
        if (!KeyChangeEvent.LINKED.equals(event.change())) {
            throw new UserException(
                    "org "
                            + orgId
                            + " is not linked: its latest event on topic "
                            + topicOptions.topic
                            + " (version "
                            + event.version()
                            + ") is "
                            + event.change());
        }
        return event.version();
    }

    private void requireVersionAfter(long latest, long version) {
        if (version <= latest) {
            throw new UserException(
                    "invalid version '"
                            + version
                            + "': not above the org's latest version "
                            + latest
                            + ", so the job would ignore the event as stale");
        }
        if (version - latest > topicOptions.maxVersionJump) {
            throw new UserException(
                    "invalid version '"
                            + version
                            + "': more than "
                            + topicOptions.maxVersionJump
                            + " ahead of the current version "
                            + latest);
        }
    }
}
