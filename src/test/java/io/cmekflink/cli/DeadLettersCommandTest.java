package io.cmekflink.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.cmekflink.deadletter.DeadLetter;
import io.cmekflink.deadletter.ErrorCode;
import io.cmekflink.deadletter.Stage;
import io.cmekflink.local.EmbeddedKafka;
import io.cmekflink.local.Topics;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Runs {@code dead-letters} against a broker in this JVM. The topic has two partitions:
 *
 * <pre>
 * partition 0: org-a KEY_DISABLED, org-a KEY_DISABLED, garbage, MALFORMED_RECORD without org
 * partition 1: org-b KMS_THROTTLED (retriable), org-b KMS_THROTTLED (not retriable),
 *              org-b ACCESS_DENIED, then a committed transaction with org-a KEY_DISABLED and an
 *              aborted transaction with org-c KEY_NOT_FOUND
 * </pre>
 */
class DeadLettersCommandTest {

    private static final String TOPIC = "dead-letters";
    private static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");
    private static final String ARN_1 = "arn:aws:kms:eu-west-1:111122223333:key/k1";
    private static final String ARN_2 = "arn:aws:kms:eu-west-1:111122223333:key/k2";
    private static final String ARN_3 = "arn:aws:kms:us-west-2:444455556666:key/k3";

    private static EmbeddedKafka kafka;

    private record Result(int exitCode, String stdout, String stderr) {}

    @BeforeAll
    static void writeDeadLetters() throws Exception {
        kafka = EmbeddedKafka.start(0);
        kafka.createTopics(2, List.of(TOPIC));
        try (KafkaProducer<byte[], byte[]> producer = Topics.producer(kafka.bootstrapServers())) {
            send(
                    producer,
                    0,
                    letter(Stage.ENCRYPT, ErrorCode.KEY_DISABLED, "org-a", 0)
                            .keyArn(ARN_1)
                            .awsError("DisabledException", "req-1")
                            .message("GenerateDataKey failed: key k1 is disabled"));
            send(
                    producer,
                    0,
                    letter(Stage.DECRYPT, ErrorCode.KEY_DISABLED, "org-a", 60)
                            .keyArn(ARN_2)
                            .awsError("KMSInvalidStateException", "req-2")
                            .message("Decrypt failed: key k2 is disabled"));
            producer.send(
                            new ProducerRecord<>(
                                    TOPIC,
                                    0,
                                    null,
                                    "plain text, not a dead letter"
                                            .getBytes(StandardCharsets.UTF_8)))
                    .get();
            send(
                    producer,
                    0,
                    letter(Stage.PARSE, ErrorCode.MALFORMED_RECORD, null, 5)
                            .message("value does not decode with schema kong.Entry"));
            send(
                    producer,
                    1,
                    letter(Stage.ENCRYPT, ErrorCode.KMS_THROTTLED, "org-b", 30)
                            .keyArn(ARN_3)
                            .awsError("ThrottlingException", "req-3")
                            .message("GenerateDataKey throttled after 4 attempts"));
            send(
                    producer,
                    1,
                    letter(Stage.ENCRYPT, ErrorCode.KMS_THROTTLED, "org-b", 40)
                            .retriable(false)
                            .keyArn(ARN_3)
                            .awsError("ThrottlingException", "req-4")
                            .message("GenerateDataKey throttled after 5 attempts"));
            send(
                    producer,
                    1,
                    letter(Stage.ENCRYPT, ErrorCode.ACCESS_DENIED, "org-b", 120)
                            .keyArn(ARN_3)
                            .awsError("AccessDeniedException", "req-5")
                            .message("GenerateDataKey denied by the key policy of k3"));
        }
        try (KafkaProducer<byte[], byte[]> producer = transactionalProducer()) {
            producer.initTransactions();
            producer.beginTransaction();
            send(
                    producer,
                    1,
                    letter(Stage.ENCRYPT, ErrorCode.KEY_DISABLED, "org-a", 180)
                            .keyArn(ARN_1)
                            .awsError("DisabledException", "req-6")
                            .message("GenerateDataKey failed: key k1 is still disabled"));
            producer.commitTransaction();
            producer.beginTransaction();
            send(
                    producer,
                    1,
                    letter(Stage.ENCRYPT, ErrorCode.KEY_NOT_FOUND, "org-c", 200)
                            .message("aborted, never visible to read_committed"));
            producer.flush();
            producer.abortTransaction();
        }
    }

    @AfterAll
    static void stopKafka() throws Exception {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void jsonReportsEveryOrgAndCode() {
        Result result = run("--json");

        assertThat(result.exitCode()).isZero();
        assertThat(result.stderr()).isEmpty();
        assertThat(result.stdout())
                .isEqualTo(
                        "{\"topic\":\"dead-letters\",\"records\":8,\"matched\":7,\"unreadable\":1,"
                            + "\"unreadable_records\":[{\"partition\":0,\"offset\":2,"
                            + "\"reason\":\"NOT_SINGLE_OBJECT\"}],\"orgs\":{"
                            + "\"org-a\":{\"KEY_DISABLED\":{\"count\":3,\"retriable\":\"false\","
                            + "\"first_failed_at\":\"2025-03-01T10:00:00Z\","
                            + "\"last_failed_at\":\"2025-03-01T13:00:00Z\","
                            + "\"stages\":[\"ENCRYPT\",\"DECRYPT\"],\"key_arns\":[\""
                                + ARN_1
                                + "\",\""
                                + ARN_2
                                + "\"],\"aws_error_codes\":[\"DisabledException\","
                                + "\"KMSInvalidStateException\"],\"latest_message\":\"GenerateDataKey"
                                + " failed: key k1 is still disabled\"}},"
                                + "\"org-b\":{\"KMS_THROTTLED\":{\"count\":2,\"retriable\":\"mixed\","
                                + "\"first_failed_at\":\"2025-03-01T10:30:00Z\","
                                + "\"last_failed_at\":\"2025-03-01T10:40:00Z\","
                                + "\"stages\":[\"ENCRYPT\"],\"key_arns\":[\""
                                + ARN_3
                                + "\"],"
                                + "\"aws_error_codes\":[\"ThrottlingException\"],"
                                + "\"latest_message\":"
                                + "\"GenerateDataKey throttled after 5 attempts\"},"
                                + "\"ACCESS_DENIED\":{\"count\":1,\"retriable\":\"false\","
                                + "\"first_failed_at\":\"2025-03-01T12:00:00Z\","
                                + "\"last_failed_at\":\"2025-03-01T12:00:00Z\","
                                + "\"stages\":[\"ENCRYPT\"],"
                                + "\"key_arns\":[\""
                                + ARN_3
                                + "\"],"
                                + "\"aws_error_codes\":[\"AccessDeniedException\"],"
                                + "\"latest_message\":"
                                + "\"GenerateDataKey denied by the key policy of k3\"}},"
                                + "\"(none)\":{\"MALFORMED_RECORD\":{\"count\":1,"
                                + "\"retriable\":\"false\","
                                + "\"first_failed_at\":\"2025-03-01T10:05:00Z\","
                                + "\"last_failed_at\":\"2025-03-01T10:05:00Z\","
                                + "\"stages\":[\"PARSE\"],\"key_arns\":[],\"aws_error_codes\":[],"
                                + "\"latest_message\":"
                                + "\"value does not decode with schema kong.Entry\"}}}}\n");
    }

    @Test
    void tableAlignsRowsAndListsUnreadable() {
        Result result = run();

        assertThat(result.exitCode()).isZero();
        assertThat(result.stderr()).isEmpty();
        assertThat(result.stdout().split("\n", -1))
                .containsExactly(
                        "ORG     CODE              COUNT  RETRIABLE  FIRST SEEN            LAST"
                                + " SEEN             KEY ARN",
                        "org-a   KEY_DISABLED          3  false      2025-03-01T10:00:00Z "
                                + " 2025-03-01T13:00:00Z  "
                                + ARN_1,
                        " ".repeat(88) + ARN_2,
                        "org-b   KMS_THROTTLED         2  mixed      2025-03-01T10:30:00Z "
                                + " 2025-03-01T10:40:00Z  "
                                + ARN_3,
                        "org-b   ACCESS_DENIED         1  false      2025-03-01T12:00:00Z "
                                + " 2025-03-01T12:00:00Z  "
                                + ARN_3,
                        "(none)  MALFORMED_RECORD      1  false      2025-03-01T10:05:00Z "
                                + " 2025-03-01T10:05:00Z  -",
                        "",
                        "Latest message per org and code:",
                        "  org-a KEY_DISABLED (stage ENCRYPT, DECRYPT; AWS error"
                                + " DisabledException, KMSInvalidStateException): GenerateDataKey"
                                + " failed: key k1 is still disabled",
                        "  org-b KMS_THROTTLED (stage ENCRYPT; AWS error ThrottlingException):"
                                + " GenerateDataKey throttled after 5 attempts",
                        "  org-b ACCESS_DENIED (stage ENCRYPT; AWS error AccessDeniedException):"
                                + " GenerateDataKey denied by the key policy of k3",
                        "  (none) MALFORMED_RECORD (stage PARSE): value does not decode with"
                                + " schema kong.Entry",
                        "",
                        "Topic dead-letters: 8 records read, 7 dead letters matched, 1"
                                + " unreadable.",
                        "Unreadable records:",
                        "  partition 0 offset 2: the value is not in Avro single-object encoding",
                        "");
    }

    @Test
    void orgAndCodeFiltersCombine() {
        Result result =
                run("--org", "org-b", "--org", "(none)", "--code", "access_denied", "--json");

        assertThat(result.exitCode()).isZero();
        assertThat(result.stdout())
                .startsWith(
                        "{\"topic\":\"dead-letters\",\"records\":8,\"matched\":1,\"unreadable\":1,")
                .contains("\"orgs\":{\"org-b\":{\"ACCESS_DENIED\":{\"count\":1,")
                .doesNotContain("KMS_THROTTLED", "MALFORMED_RECORD", "org-a");
    }

    @Test
    void noOrgFilterSelectsDeadLettersWithoutOrg() {
        Result result = run("--org", "(none)");

        assertThat(result.exitCode()).isZero();
        assertThat(result.stdout().split("\n"))
                .contains(
                        "(none)  MALFORMED_RECORD      1  false      2025-03-01T10:05:00Z "
                                + " 2025-03-01T10:05:00Z  -",
                        "Topic dead-letters: 8 records read, 1 dead letters matched, 1"
                                + " unreadable.");
        assertThat(result.stdout()).doesNotContain("org-a", "org-b");
    }

    @Test
    void sinceAndUntilInstantsBoundFailureTime() {
        Result result =
                run("--since", "2025-03-01T10:30:00Z", "--until", "2025-03-01T12:00:00Z", "--json");

        assertThat(result.exitCode()).isZero();
        assertThat(result.stdout())
                .contains("\"matched\":3,")
                .contains("\"org-a\":{\"KEY_DISABLED\":{\"count\":1,")
                .contains("\"last_failed_at\":\"2025-03-01T11:00:00Z\"")
                .contains("\"org-b\":{\"KMS_THROTTLED\":{\"count\":2,")
                .doesNotContain("ACCESS_DENIED", "MALFORMED_RECORD");
    }

    @Test
    void sinceDurationCountsBackFromClock() {
        DeadLettersCommand command = new DeadLettersCommand();
        command.clock = Clock.fixed(T0.plus(Duration.ofHours(4)), ZoneOffset.UTC);

        Result result = run(command, "--since", "2h", "--json");

        assertThat(result.exitCode()).isZero();
        assertThat(result.stdout())
                .contains("\"matched\":2,")
                .contains(
                        "\"orgs\":{\"org-a\":{\"KEY_DISABLED\":{\"count\":1,\"retriable\":\"false\","
                            + "\"first_failed_at\":\"2025-03-01T13:00:00Z\",")
                .contains("\"org-b\":{\"ACCESS_DENIED\":{\"count\":1,")
                .doesNotContain("KMS_THROTTLED");
    }

    @Test
    void noMatchPrintsTotalsOnly() {
        Result result = run("--code", "TAMPERED");

        assertThat(result.exitCode()).isZero();
        assertThat(result.stdout())
                .isEqualTo(
                        "No dead letters matched.\n"
                                + "\n"
                                + "Topic dead-letters: 8 records read, 0 dead letters matched, 1"
                                + " unreadable.\n"
                                + "Unreadable records:\n"
                                + "  partition 0 offset 2: the value is not in Avro single-object"
                                + " encoding\n");
    }

    @Test
    void unknownCodeListsValidCodes() {
        Result result = run("--code", "KEY_DISABLE");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.stdout()).isEmpty();
        assertThat(firstLine(result.stderr()))
                .isEqualTo(
                        "Invalid value for option '--code' (CODE): 'KEY_DISABLE' is not an error"
                            + " code; valid codes: MALFORMED_RECORD, MISSING_ORG_ID,"
                            + " UNKNOWN_SCHEMA, NO_KEY_LINKED, KEY_UNLINKED, INVALID_KEY_LINK,"
                            + " KEY_DISABLED, KEY_PENDING_DELETION, KEY_NOT_FOUND, ACCESS_DENIED,"
                            + " INVALID_KEY_USAGE, INVALID_CIPHERTEXT, TAMPERED, KEY_MISMATCH,"
                            + " KMS_THROTTLED, KMS_UNAVAILABLE, RECORD_TOO_LARGE, INTERNAL_ERROR,"
                            + " UNKNOWN, DATA_KEY_NOT_FOUND, DATA_KEY_UNAVAILABLE");
    }

    @Test
    void badTimeNamesAcceptedForms() {
        Result result = run("--since", "yesterday");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.stdout()).isEmpty();
        assertThat(firstLine(result.stderr()))
                .isEqualTo(
                        "Invalid value for option '--since': 'yesterday' is neither an ISO-8601"
                                + " instant such as 2025-01-31T12:00:00Z nor a duration ago such"
                                + " as 30m, 2h or 7d");
    }

    @Test
    void negativeDurationRejected() {
        Result result = run("--until", "PT-1H");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(firstLine(result.stderr()))
                .isEqualTo(
                        "Invalid value for option '--until': 'PT-1H' is a negative duration;"
                                + " write how long ago, such as 2h");
    }

    @Test
    void sinceAfterUntilRejected() {
        Result result = run("--since", "2025-03-01T12:00:00Z", "--until", "2025-03-01T11:00:00Z");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.stdout()).isEmpty();
        assertThat(firstLine(result.stderr()))
                .isEqualTo(
                        "--since (2025-03-01T12:00:00Z) must be before --until"
                                + " (2025-03-01T11:00:00Z)");
    }

    @Test
    void zeroTimeoutRejected() {
        Result result = run("--timeout", "0s");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(firstLine(result.stderr()))
                .isEqualTo(
                        "Invalid value for option '--timeout': '0s' is not a positive duration;"
                                + " write e.g. 30s or 2m");
    }

    @Test
    void missingTopicOptionRejected() {
        StringWriter err = new StringWriter();
        int exitCode =
                new CommandLine(new DeadLettersCommand())
                        .setErr(new PrintWriter(err))
                        .execute("--bootstrap", kafka.bootstrapServers());

        assertThat(exitCode).isEqualTo(2);
        assertThat(firstLine(err.toString())).isEqualTo("Missing required option: '--topic=NAME'");
    }

    @Test
    void unknownTopicExitsTwo() {
        Result result =
                runMain("--bootstrap", kafka.bootstrapServers(), "--topic", "no-such-topic");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.stdout()).isEmpty();
        assertThat(result.stderr())
                .isEqualTo(
                        "error: topic 'no-such-topic' does not exist on "
                                + kafka.bootstrapServers()
                                + "; check the topic name and the bootstrap servers"
                                + System.lineSeparator());
    }

    @Test
    void bootstrapWithoutPortRejected() {
        // No port, so the client rejects the address before any name lookup.
        Result result = runMain("--bootstrap", "localhost", "--topic", TOPIC);

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.stderr())
                .isEqualTo(
                        "error: invalid bootstrap servers 'localhost': Invalid url in"
                                + " bootstrap.servers: localhost; write them as"
                                + " HOST:PORT[,HOST:PORT...]"
                                + System.lineSeparator());
    }

    @Test
    void unreachableBrokerTimesOut() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        String bootstrap = "127.0.0.1:" + closedPort;

        Result result = runMain("--bootstrap", bootstrap, "--topic", TOPIC, "--timeout", "1s");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.stderr())
                .isEqualTo(
                        "error: fetching the partitions of topic 'dead-letters' on "
                                + bootstrap
                                + " timed out (timeout 1s); check that the broker is reachable,"
                                + " or raise the timeout"
                                + System.lineSeparator());
    }

    private static Result run(String... options) {
        return run(new DeadLettersCommand(), options);
    }

    /** Runs the command through picocli with the bootstrap address and topic of the test. */
    private static Result run(DeadLettersCommand command, String... options) {
        List<String> args = new ArrayList<>(List.of("--bootstrap", kafka.bootstrapServers()));
        args.addAll(List.of("--topic", TOPIC));
        args.addAll(List.of(options));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exitCode =
                new CommandLine(command)
                        .setOut(new PrintWriter(out))
                        .setErr(new PrintWriter(err))
                        .execute(args.toArray(String[]::new));
        return new Result(exitCode, out.toString(), err.toString());
    }

    /**
     * Runs the command through {@link Main#execute}, which maps a {@link UserException} to exit
     * code 2, with {@code System.out} and {@code System.err} captured.
     */
    private static Result runMain(String... args) {
        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exitCode;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            exitCode = Main.execute(new DeadLettersCommand(), args);
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
        return new Result(
                exitCode,
                out.toString(StandardCharsets.UTF_8),
                err.toString(StandardCharsets.UTF_8));
    }

    private static String firstLine(String text) {
        return text.lines().findFirst().orElse("");
    }

    private static DeadLetter.Builder letter(
            Stage stage, ErrorCode code, String orgId, int minutes) {
        return DeadLetter.builder(stage, code, "api-logs", 0, 1000L + minutes, 1L)
                .orgId(orgId)
                .failedAt(T0.plus(Duration.ofMinutes(minutes)).toEpochMilli());
    }

    private static void send(
            KafkaProducer<byte[], byte[]> producer, int partition, DeadLetter.Builder letter)
            throws Exception {
        RecordHeaders headers = new RecordHeaders();
        headers.add(DeadLetter.FORMAT_HEADER, DeadLetter.FORMAT.getBytes(StandardCharsets.UTF_8));
        producer.send(
                        new ProducerRecord<>(
                                TOPIC, partition, null, null, letter.build().toBytes(), headers))
                .get();
    }

    private static KafkaProducer<byte[], byte[]> transactionalProducer() {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "dead-letters-test");
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }
}
