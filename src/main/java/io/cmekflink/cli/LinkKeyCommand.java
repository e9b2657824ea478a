package io.cmekflink.cli;

import io.cmekflink.config.JobOptions;
import io.cmekflink.deadletter.report.CommittedTopicReader;
import io.cmekflink.deadletter.report.TopicReadException;
import io.cmekflink.link.Geo;
import io.cmekflink.link.InvalidKeyLinkException;
import io.cmekflink.link.KeyArn;
import io.cmekflink.link.KeyChangeEvent;
import io.cmekflink.link.KeyChangeSignatures;
import io.cmekflink.link.KeyLink;
import io.cmekflink.link.KeyLinkRules;
import io.cmekflink.link.admin.KeyChangeHistory;
import io.cmekflink.link.admin.KeyChangeJson;
import io.cmekflink.link.admin.KeyChangePublishException;
import io.cmekflink.link.admin.KeyChangePublisher;
import io.cmekflink.link.admin.KeyVerification;
import io.cmekflink.link.admin.KeyVerificationException;
import io.cmekflink.link.admin.KeyVerifier;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.PrivateKey;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * Links an org to a KMS key: validates the link with the job's rules, optionally checks the key
 * through KMS, and publishes a signed LINKED event to the key-change topic.
 *
 * <p>Exit code 0 when the event was published (or, with {@code --dry-run}, is valid); 2 for invalid
 * options, a link that the rules reject, a key that {@code --verify} rejects, and Kafka or KMS
 * errors.
 */
@Command(
        name = "link-key",
        sortOptions = false,
        description = {
            "Links an org to a symmetric KMS key by publishing a signed LINKED key-change event.",
            "The link is validated with the job's rules: a key ARN (not an alias) of a key in"
                + " --region, which must be one of the regions of --geo. Unless --dry-run is given,"
                + " the command then reads the whole key-change topic with read_committed and"
                + " without a consumer group, replays the org's events that one of --public-key"
                + " verifies with the job's rules, and rejects a link that the job would reject: a"
                + " key in another AWS account than the org's pinned one needs"
                + " --allow-account-change. The event gets the next version of the org and"
                + " changed_at = now, is signed with --signing-key (Ed25519), and is published with"
                + " acks=all by an idempotent producer, keyed by the org id.",
            "With --verify, the key is then checked through KMS before the event is signed"
                    + " (DescribeKey, GetKeyRotationStatus and GenerateDataKey), with AWS"
                    + " credentials from the"
                    + " AWS SDK's default provider chain: it must be Enabled, SYMMETRIC_DEFAULT"
                    + " and ENCRYPT_DECRYPT, usable under the org's encryption context and denied"
                    + " under another org's (docs/key-policy.md).",
            "Prints one JSON line on stdout and warnings on stderr. Exit code 0 when the event"
                    + " was published, or is valid with --dry-run; 2 for invalid options, a"
                    + " rejected link or key, and Kafka or KMS errors."
        })
public final class LinkKeyCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    // No mixinStandardHelpOptions: its -V/--version would clash with the event's --version.
    @Option(
            names = {"-h", "--help"},
            usageHelp = true,
            description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--org", required = true, paramLabel = "ID", description = "The org id.")
    String orgId;

    @Option(
            names = "--name",
            required = true,
            paramLabel = "NAME",
            description = "The key name that the org admin gave the link.")
    String keyName;

    @Option(
            names = "--arn",
            required = true,
            paramLabel = "ARN",
            description = "The key ARN: arn:aws:kms:<region>:<account>:key/<key id>.")
    String keyArn;

    @Option(
            names = "--region",
            required = true,
            paramLabel = "REGION",
            description = "The AWS region of the key; must equal the region in --arn.")
    String region;

    @Option(
            names = "--description",
            paramLabel = "TEXT",
            description = "A description of the link, at most 1024 characters.")
    String description;

    @Option(
            names = "--geo",
            required = true,
            paramLabel = "GEO",
            converter = GeoConverter.class,
            description = "The platform geo of the job: AU, EU, ME, US or IN.")
    Geo geo;

    @Option(
            names = "--allow-account-change",
            description =
                    "Allow a key in another AWS account than the one the org's keys are pinned"
                            + " to, and pin the org to the new account.")
    boolean allowAccountChange;

    @Option(
            names = "--verify",
            description =
                    "Check the key through KMS before publishing, and reject a key that the job"
                            + " cannot use or that serves other orgs too.")
    boolean verify;

    @Option(
            names = "--kms-endpoint",
            paramLabel = "URL",
            converter = EndpointConverter.class,
            description =
                    "KMS endpoint for --verify, such as an emulator's http://127.0.0.1:4566"
                            + " (default: the KMS endpoint of the key's region).")
    URI kmsEndpoint;

    @Mixin TopicOptions topicOptions;

    /** The clock of changed_at; tests set a fixed one. */
    Clock clock = Clock.systemUTC();

    @Override
    public Integer call() {
        topicOptions.requirePublishOptions(spec);
        KeyLinkRules rules = new KeyLinkRules(geo, topicOptions.maxVersionJump);
        long draftVersion = topicOptions.version == null ? 1 : topicOptions.version;
        KeyArn arn = validate(rules, event(draftVersion));
        PrintWriter err = spec.commandLine().getErr();
        if (topicOptions.dryRun) {
            KeyVerification verification = verify ? verify(arn, err) : null;
            topicOptions.print(spec, event(draftVersion), null, verification);
        } else {
            publish(rules, arn, err);
        }
        return 0;
    }

    /** Reads the org's link from the topic, checks the new one against it and publishes it. */
    private void publish(KeyLinkRules rules, KeyArn arn, PrintWriter err) {
        PrivateKey signingKey = topicOptions.signingKey(err);
        KeyChangeSignatures signatures = topicOptions.publicKeys();
        KeyChangeHistory history = topicOptions.read(orgId, signatures, err);
        KeyLink current = replay(history, rules, err).current();
        long version =
                topicOptions.version != null
                        ? topicOptions.version
                        : (current == null ? 0 : current.version) + 1;
        KeyChangeEvent next = event(version);
        requirePinnedAccount(current, arn);
        decide(rules, current, next);

        KeyVerification verification = verify ? verify(arn, err) : null;
        KeyChangeEvent signed = topicOptions.sign(next, signingKey, signatures);
        KeyChangePublisher.Published published = topicOptions.publish(signed, err);
        topicOptions.print(spec, signed, published, verification);
    }

    private KeyChangeEvent event(long version) {
        return new KeyChangeEvent(
                orgId,
                KeyChangeEvent.LINKED,
                keyName,
                keyArn,
                region,
                description,
                version,
                clock.millis(),
                allowAccountChange,
                null);
    }

    private static KeyArn validate(KeyLinkRules rules, KeyChangeEvent event) {
        try {
            return rules.validate(event);
        } catch (InvalidKeyLinkException e) {
            throw new UserException(e.getMessage(), e);
        }
    }

    private KeyVerification verify(KeyArn arn, PrintWriter err) {
        try (KmsClient kms = KeyVerifier.client(arn.region(), kmsEndpoint, topicOptions.timeout)) {
            KeyVerification verification = new KeyVerifier(kms).verify(arn, orgId, geo);
            verification.warnings().forEach(w -> err.println("warning: " + w));
            err.flush();
            return verification;
        } catch (KeyVerificationException e) {
            throw new UserException(e.getMessage(), e);
        }
    }

    private KeyChangeHistory.Replay replay(
            KeyChangeHistory history, KeyLinkRules rules, PrintWriter err) {
        KeyChangeHistory.Replay replay = history.replay(rules);
        if (!replay.rejections().isEmpty()) {
            err.println(
                    "warning: the job's rules reject "
                            + replay.rejections().size()
                            + " events of org "
                            + orgId
                            + " on topic "
                            + topicOptions.topic
                            + "; they are ignored:");
            replay.rejections().stream()
                    .limit(TopicOptions.MAX_LISTED)
                    .forEach(r -> err.println("warning:   " + r));
            err.flush();
        }
        return replay;
    }

    /**
     * Rejects a key in another account than the org's pinned one before {@link KeyLinkRules#decide}
     * does, with a message that names the option.
     */
    private void requirePinnedAccount(KeyLink current, KeyArn arn) {
        if (current == null || current.account == null || allowAccountChange) {
            return;
        }
        if (!current.account.equals(arn.account())) {
            throw new UserException(
                    "invalid key_arn '"
                            + keyArn
                            + "': the keys of org "
                            + orgId
                            + " are pinned to AWS account "
                            + current.account
                            + ", and this key is in account "
                            + arn.account()
                            + "; pass --allow-account-change to move the org to account "
                            + arn.account());
        }
    }

    private static void decide(KeyLinkRules rules, KeyLink current, KeyChangeEvent next) {
        KeyLinkRules.Decision decision = rules.decide(current, next);
        if (decision instanceof KeyLinkRules.Rejected rejected) {
            throw new UserException(rejected.reason());
        }
        if (decision instanceof KeyLinkRules.Stale stale) {
            throw new UserException(
                    "invalid version '"
                            + next.version()
                            + "': not above the org's current version "
                            + stale.currentVersion()
                            + ", so the job would ignore the event as stale");
        }
    }

    /**
     * The options that {@code link-key} and {@code unlink-key} share: where to publish, how to
     * sign, and the version.
     */
    static final class TopicOptions {

        /** The maximum number of rejected events listed one by one in a warning. */
        static final int MAX_LISTED = 10;

        @Option(
                names = "--bootstrap",
                paramLabel = "HOST:PORT",
                description =
                        "Kafka bootstrap servers, comma-separated; required unless --dry-run.")
        String bootstrapServers;

        @Option(
                names = "--topic",
                paramLabel = "NAME",
                description = "The compacted key-change topic; required unless --dry-run.")
        String topic;

        @Option(
                names = "--signing-key",
                paramLabel = "FILE",
                description =
                        "The control plane's Ed25519 private key (PKCS #8 PEM, as keygen writes"
                                + " it); required unless --dry-run.")
        Path signingKeyFile;

        @Option(
                names = "--public-key",
                paramLabel = "FILE",
                description =
                        "A public key the job is configured with (key-changes.public-keys);"
                                + " repeatable, and required unless --dry-run. Events on the"
                                + " topic that none of them verifies are ignored, as the job"
                                + " ignores them, and the new signature must verify with one of"
                                + " them.")
        List<Path> publicKeyFiles = new ArrayList<>();

        @Option(
                names = "--dry-run",
                description =
                        "Validate only: read no topic, publish nothing; no broker and no signing"
                                + " key are needed.")
        boolean dryRun;

        @Option(
                names = "--version",
                paramLabel = "N",
                description =
                        "The event's version, instead of the org's current version + 1 (for a"
                                + " dry run: 1). Without --dry-run it must still be above the"
                                + " current version and within --max-version-jump of it.")
        Long version;

        @Option(
                names = "--max-version-jump",
                paramLabel = "N",
                description =
                        "How far a version may be ahead of the org's current version, as the"
                                + " job's key-changes.max-version-jump (default:"
                                + " ${DEFAULT-VALUE}).")
        long maxVersionJump = JobOptions.KEY_CHANGES_MAX_VERSION_JUMP.defaultValue();

        @Option(
                names = "--timeout",
                paramLabel = "DURATION",
                defaultValue = "30s",
                converter = DeadLettersCommand.TimeoutConverter.class,
                description =
                        "Maximum duration of each step: the topic read, each KMS call, the"
                                + " publication (default: ${DEFAULT-VALUE}).")
        Duration timeout;

        void requirePublishOptions(CommandSpec spec) {
            if (maxVersionJump < 1) {
                throw new ParameterException(
                        spec.commandLine(),
                        "--max-version-jump must be at least 1, got " + maxVersionJump);
            }
            if (dryRun) {
                return;
            }
            List<String> missing = new ArrayList<>();
            if (bootstrapServers == null) {
                missing.add("'--bootstrap=HOST:PORT'");
            }
            if (topic == null) {
                missing.add("'--topic=NAME'");
            }
            if (signingKeyFile == null) {
                missing.add("'--signing-key=FILE'");
            }
            if (!missing.isEmpty()) {
                throw new ParameterException(
                        spec.commandLine(),
                        "Missing required option"
                                + (missing.size() > 1 ? "s: " : ": ")
                                + String.join(", ", missing)
                                + " (only --dry-run runs without them)");
            }
            if (publicKeyFiles.isEmpty()) {
                // Anyone who can write the topic can put unsigned events there. Counting them
                // would let one forged event set the version or the current link, and the job
                // would then reject the event this command publishes.
                throw new ParameterException(
                        spec.commandLine(),
                        "Missing required option: '--public-key=FILE' (only --dry-run runs"
                                + " without it): pass the job's key-changes.public-keys, so that"
                                + " events on the topic that the job rejects as unsigned or"
                                + " badly signed are not counted");
            }
        }

        PrivateKey signingKey(PrintWriter err) {
            PrivateKey key;
            try {
                key = KeyChangeSignatures.readPrivateKey(signingKeyFile);
            } catch (IllegalArgumentException e) {
                throw new UserException(e.getMessage() + " (--signing-key)", e);
            }
            warnIfShared(signingKeyFile, err);
            return key;
        }

        /** Reads the public keys, which {@link #requirePublishOptions} requires. */
        KeyChangeSignatures publicKeys() {
            try {
                return KeyChangeSignatures.fromPublicKeyFiles(publicKeyFiles);
            } catch (IllegalArgumentException e) {
                throw new UserException(e.getMessage() + " (--public-key)", e);
            }
        }

        KeyChangeHistory read(String orgId, KeyChangeSignatures signatures, PrintWriter err) {
            KeyChangeHistory history = new KeyChangeHistory(orgId, signatures);
            try {
                new CommittedTopicReader(bootstrapServers, timeout).read(topic, history::accept);
            } catch (TopicReadException e) {
                throw new UserException(e.getMessage(), e);
            }
            if (history.undecodable() > 0) {
                err.println(
                        "warning: skipped "
                                + history.undecodable()
                                + " of "
                                + history.records()
                                + " records of topic "
                                + topic
                                + " that are not key-change events");
            }
            if (history.unverified() > 0) {
                err.println(
                        "warning: skipped "
                                + history.unverified()
                                + " events of org "
                                + orgId
                                + " that no --public-key verifies");
            }
            err.flush();
            return history;
        }

        KeyChangeEvent sign(
                KeyChangeEvent event, PrivateKey signingKey, KeyChangeSignatures signatures) {
            KeyChangeEvent signed = KeyChangeSignatures.sign(event, signingKey);
            if (!signatures.verifies(signed)) {
                throw new UserException(
                        "no --public-key verifies a signature of --signing-key "
                                + signingKeyFile
                                + ", so the job would reject the event: sign with the private"
                                + " key of one of the job's public keys");
            }
            return signed;
        }

        KeyChangePublisher.Published publish(KeyChangeEvent signed, PrintWriter err) {
            KeyChangePublisher publisher = new KeyChangePublisher(bootstrapServers, timeout);
            String policy = publisher.cleanupPolicy(topic);
            if (policy == null) {
                err.println(
                        "warning: could not read the cleanup.policy of topic "
                                + topic
                                + "; it must be compact");
            } else if (!policy.contains("compact")) {
                err.println(
                        "warning: topic "
                                + topic
                                + " has cleanup.policy="
                                + policy
                                + ", expected compact: retention will delete links, and a job"
                                + " that starts without state will not see them");
            }
            err.flush();
            try {
                return publisher.publish(topic, signed);
            } catch (KeyChangePublishException e) {
                throw new UserException(e.getMessage(), e);
            }
        }

        void print(
                CommandSpec spec,
                KeyChangeEvent event,
                KeyChangePublisher.Published published,
                KeyVerification verification) {
            PrintWriter out = spec.commandLine().getOut();
            out.println(KeyChangeJson.summary(event, published, verification));
            out.flush();
        }

        /** Warns when the private key file is readable by others than its owner. */
        private static void warnIfShared(Path file, PrintWriter err) {
            Set<PosixFilePermission> permissions;
            try {
                permissions = Files.getPosixFilePermissions(file);
            } catch (IOException | UnsupportedOperationException e) {
                return;
            }
            if (permissions.contains(PosixFilePermission.GROUP_READ)
                    || permissions.contains(PosixFilePermission.OTHERS_READ)) {
                err.println(
                        "warning: signing key "
                                + file
                                + " is readable by group or others; restrict it with chmod 600 "
                                + file);
            }
        }
    }

    /** Converts a geo name, in any case, and lists the valid geos otherwise. */
    static final class GeoConverter implements ITypeConverter<Geo> {
        @Override
        public Geo convert(String value) {
            try {
                return Geo.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** Accepts an absolute http or https URL with a host. */
    static final class EndpointConverter implements ITypeConverter<URI> {
        @Override
        public URI convert(String value) {
            URI uri = null;
            try {
                uri = new URI(value);
            } catch (URISyntaxException e) {
                // Reported below with the expected form.
            }
            if (uri == null
                    || uri.getHost() == null
                    || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
                throw new TypeConversionException(
                        "'"
                                + value
                                + "' is not an http or https URL with a host, such as"
                                + " http://127.0.0.1:4566");
            }
            return uri;
        }
    }
}
