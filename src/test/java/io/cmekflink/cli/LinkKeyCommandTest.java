package io.cmekflink.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Argument validation of {@code link-key} and {@code unlink-key} with {@code --dry-run}: no broker,
 * no signing key, and each rule of the job with its exact message.
 */
class LinkKeyCommandTest {

    private static final Clock CLOCK =
            Clock.fixed(Instant.parse("2025-03-01T10:00:00Z"), ZoneOffset.UTC);
    private static final String KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab";
    private static final String ARN = "arn:aws:kms:eu-west-1:111122223333:key/" + KEY_ID;

    /**
     * Runs a valid dry run whose options {@code overrides} replaces or extends. An option of {@code
     * overrides} that is followed by another option or by nothing is a flag.
     */
    private static CommandRun link(String... overrides) {
        List<String> args = new ArrayList<>();
        args.addAll(
                List.of(
                        "--org",
                        "acme",
                        "--name",
                        "prod",
                        "--arn",
                        ARN,
                        "--region",
                        "eu-west-1",
                        "--geo",
                        "EU",
                        "--dry-run"));
        for (int i = 0; i < overrides.length; i++) {
            String option = overrides[i];
            int index = args.indexOf(option);
            boolean flag = i + 1 >= overrides.length || overrides[i + 1].startsWith("--");
            if (flag) {
                if (index < 0) {
                    args.add(option);
                }
                continue;
            }
            String value = overrides[++i];
            if (index >= 0) {
                args.set(index + 1, value);
            } else {
                args.add(option);
                args.add(value);
            }
        }
        LinkKeyCommand command = new LinkKeyCommand();
        command.clock = CLOCK;
        return CommandRun.of(command, args.toArray(String[]::new));
    }

    private static void assertRejected(CommandRun run, String message) {
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.stdout()).isEmpty();
        assertThat(run.stderr()).isEqualTo("error: " + message + System.lineSeparator());
    }

    @Test
    void dryRunPrintsTheEvent() {
        CommandRun run = link("--description", "production key");

        assertThat(run.exitCode()).isZero();
        assertThat(run.stderr()).isEmpty();
        assertThat(run.stdout())
                .isEqualTo(
                        "{\"org_id\":\"acme\",\"change\":\"LINKED\",\"version\":1,"
                                + "\"key_name\":\"prod\",\"key_arn\":\""
                                + ARN
                                + "\",\"region\":\"eu-west-1\","
                                + "\"changed_at\":\"2025-03-01T10:00:00Z\","
                                + "\"allow_account_change\":false,\"dry_run\":true}"
                                + System.lineSeparator());
    }

    @Test
    void dryRunTakesVersionAndAccountChange() {
        CommandRun run = link("--version", "7", "--allow-account-change", "--geo", "eu");

        assertThat(run.exitCode()).isZero();
        assertThat(run.stdout()).contains("\"version\":7,", "\"allow_account_change\":true,");
    }

    @Test
    void dryRunAcceptsMultiRegionKey() {
        String mrk =
                "arn:aws:kms:eu-central-1:111122223333:key/mrk-" + "0123456789abcdef".repeat(2);

        CommandRun run = link("--arn", mrk, "--region", "eu-central-1");

        assertThat(run.exitCode()).isZero();
        assertThat(run.stdout()).contains("\"key_arn\":\"" + mrk + "\"");
    }

    @Test
    void blankOrgIsRejected() {
        assertRejected(link("--org", " "), "invalid org_id ' ': an org id is required");
    }

    @Test
    void versionBelowOneIsRejected() {
        assertRejected(link("--version", "0"), "invalid version '0': must be at least 1");
    }

    @Test
    void blankKeyNameIsRejected() {
        assertRejected(link("--name", ""), "invalid key_name '': a key name is required on LINKED");
    }

    @Test
    void blankRegionIsRejected() {
        assertRejected(link("--region", ""), "invalid region '': a region is required on LINKED");
    }

    @Test
    void blankArnIsRejected() {
        assertRejected(link("--arn", ""), "invalid key_arn '': a key ARN is required");
    }

    @Test
    void aliasArnIsRejected() {
        String alias = "arn:aws:kms:eu-west-1:111122223333:alias/prod";

        assertRejected(
                link("--arn", alias),
                "invalid key_arn '"
                        + alias
                        + "': alias ARNs are not accepted: link the key ARN (key/...)");
    }

    @Test
    void bareKeyIdIsRejected() {
        assertRejected(
                link("--arn", KEY_ID),
                "invalid key_arn '"
                        + KEY_ID
                        + "': expected arn:<partition>:kms:<region>:<12-digit account>:key/<key"
                        + " id>");
    }

    @Test
    void shortAccountIsRejected() {
        String arn = "arn:aws:kms:eu-west-1:11112222333:key/" + KEY_ID;

        assertRejected(
                link("--arn", arn),
                "invalid key_arn '"
                        + arn
                        + "': expected arn:<partition>:kms:<region>:<12-digit account>:key/<key"
                        + " id>");
    }

    @Test
    void partitionOfOtherRegionIsRejected() {
        String arn = "arn:aws-cn:kms:eu-west-1:111122223333:key/" + KEY_ID;

        assertRejected(
                link("--arn", arn),
                "invalid key_arn '"
                        + arn
                        + "': partition 'aws-cn' does not match region 'eu-west-1' (expected"
                        + " 'aws')");
    }

    @Test
    void malformedRegionInArnIsRejected() {
        String arn = "arn:aws:kms:euwest1:111122223333:key/" + KEY_ID;

        assertRejected(
                link("--arn", arn, "--region", "euwest1"),
                "invalid key_arn '" + arn + "': 'euwest1' is not a region");
    }

    @Test
    void uppercaseKeyIdIsRejected() {
        String arn = "arn:aws:kms:eu-west-1:111122223333:key/" + KEY_ID.toUpperCase();

        assertRejected(
                link("--arn", arn),
                "invalid key_arn '"
                        + arn
                        + "': the key id must be a lowercase UUID or mrk- followed by 32 hex"
                        + " digits");
    }

    @Test
    void regionOtherThanArnsIsRejected() {
        assertRejected(
                link("--region", "eu-central-1"),
                "invalid region 'eu-central-1': differs from the region 'eu-west-1' of the key"
                        + " ARN");
    }

    @Test
    void regionOutsideGeoIsRejected() {
        String arn = "arn:aws:kms:us-west-2:111122223333:key/" + KEY_ID;

        assertRejected(
                link("--arn", arn, "--region", "us-west-2"),
                "invalid region 'us-west-2': outside geo EU, whose regions are [eu-central-1,"
                        + " eu-west-1]");
    }

    @Test
    void longDescriptionIsRejected() {
        assertRejected(
                link("--description", "d".repeat(1025)),
                "invalid description '1025 characters': at most 1024 characters");
    }

    @Test
    void descriptionOfMaximumLengthIsAccepted() {
        assertThat(link("--description", "d".repeat(1024)).exitCode()).isZero();
    }

    @Test
    void unknownGeoIsRejected() {
        CommandRun run = link("--geo", "XX");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.stdout()).isEmpty();
        assertThat(run.firstErrLine())
                .isEqualTo(
                        "Invalid value for option '--geo': invalid geo 'XX': expected one of AU,"
                                + " EU, ME, US, IN");
    }

    @Test
    void missingArnIsRejected() {
        LinkKeyCommand command = new LinkKeyCommand();
        CommandRun run =
                CommandRun.of(
                        command,
                        "--org",
                        "acme",
                        "--name",
                        "prod",
                        "--region",
                        "eu-west-1",
                        "--geo",
                        "EU",
                        "--dry-run");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.firstErrLine()).isEqualTo("Missing required option: '--arn=ARN'");
    }

    @Test
    void publishingWithoutTopicOptionsIsRejected() {
        LinkKeyCommand command = new LinkKeyCommand();
        CommandRun run =
                CommandRun.of(
                        command,
                        "--org",
                        "acme",
                        "--name",
                        "prod",
                        "--arn",
                        ARN,
                        "--region",
                        "eu-west-1",
                        "--geo",
                        "EU",
                        "--bootstrap",
                        "127.0.0.1:1");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.stdout()).isEmpty();
        assertThat(run.firstErrLine())
                .isEqualTo(
                        "Missing required options: '--topic=NAME', '--signing-key=FILE' (only"
                                + " --dry-run runs without them)");
    }

    @Test
    void versionJumpBelowOneIsRejected() {
        CommandRun run = link("--max-version-jump", "0");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.firstErrLine()).isEqualTo("--max-version-jump must be at least 1, got 0");
    }

    @Test
    void endpointWithoutSchemeIsRejected() {
        CommandRun run = link("--kms-endpoint", "127.0.0.1:4566");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.firstErrLine())
                .isEqualTo(
                        "Invalid value for option '--kms-endpoint': '127.0.0.1:4566' is not an"
                                + " http or https URL with a host, such as http://127.0.0.1:4566");
    }

    @Test
    void zeroTimeoutIsRejected() {
        CommandRun run = link("--timeout", "0s");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.firstErrLine())
                .isEqualTo(
                        "Invalid value for option '--timeout': '0s' is not a positive duration;"
                                + " write e.g. 30s or 2m");
    }

    @Test
    void missingSigningKeyFileIsRejected() {
        LinkKeyCommand command = new LinkKeyCommand();
        CommandRun run =
                CommandRun.of(
                        command,
                        "--org",
                        "acme",
                        "--name",
                        "prod",
                        "--arn",
                        ARN,
                        "--region",
                        "eu-west-1",
                        "--geo",
                        "EU",
                        "--bootstrap",
                        "127.0.0.1:1",
                        "--topic",
                        "key-changes",
                        "--signing-key",
                        "/nonexistent/signing-key.pem",
                        "--public-key",
                        "/nonexistent/public-key.pem");

        assertRejected(run, "cannot read key file /nonexistent/signing-key.pem (--signing-key)");
    }

    @Test
    void unlinkDryRunPrintsTheEvent() {
        UnlinkKeyCommand command = new UnlinkKeyCommand();
        command.clock = CLOCK;

        CommandRun run = CommandRun.of(command, "--org", "acme", "--dry-run", "--version", "4");

        assertThat(run.exitCode()).isZero();
        assertThat(run.stderr()).isEmpty();
        assertThat(run.stdout())
                .isEqualTo(
                        "{\"org_id\":\"acme\",\"change\":\"UNLINKED\",\"version\":4,"
                                + "\"key_name\":null,\"key_arn\":null,\"region\":null,"
                                + "\"changed_at\":\"2025-03-01T10:00:00Z\","
                                + "\"allow_account_change\":false,\"dry_run\":true}"
                                + System.lineSeparator());
    }

    @Test
    void unlinkOfBlankOrgIsRejected() {
        CommandRun run = CommandRun.of(new UnlinkKeyCommand(), "--org", "", "--dry-run");

        assertRejected(run, "invalid org_id '': an org id is required");
    }

    @Test
    void unlinkWithVersionBelowOneIsRejected() {
        CommandRun run =
                CommandRun.of(
                        new UnlinkKeyCommand(), "--org", "acme", "--dry-run", "--version", "-1");

        assertRejected(run, "invalid version '-1': must be at least 1");
    }

    @Test
    void helpNamesTheOptions() {
        CommandRun run = CommandRun.of(new LinkKeyCommand(), "--help");

        assertThat(run.exitCode()).isZero();
        assertThat(run.stdout())
                .contains(
                        "Usage: link-key",
                        "--org=ID",
                        "--geo=GEO",
                        "--verify",
                        "--kms-endpoint=URL",
                        "--version=N",
                        "--dry-run");
    }
}
