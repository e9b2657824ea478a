package io.cmekflink.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.cmekflink.config.JobConfig;
import io.cmekflink.crypto.Envelope;
import io.cmekflink.crypto.RecordId;
import io.cmekflink.crypto.RecordOpener;
import io.cmekflink.crypto.RecordSealer;
import io.cmekflink.deadletter.DeadLetter;
import io.cmekflink.dek.Dek;
import io.cmekflink.local.kms.KmsEmulator;
import io.cmekflink.local.kms.KmsErrorType;
import io.cmekflink.local.kms.KmsOperation;
import io.cmekflink.testing.JobHarness;
import io.cmekflink.testing.TestAws;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * The re-wrap step's reuse of moved EDEKs, with the real KMS client against the emulator, under
 * async I/O without Flink's timeout, as the re-wrap job runs it: records wait for one {@code
 * ReEncrypt} per EDEK under the step's own deadline and the job's request budget, a retriable
 * failure is not kept, and a refusal of the key is.
 */
class RewrapStepTest {

    private static final String ORG = "org-r";
    private static final String SCHEMA =
            """
            {"type":"record","name":"Entry","namespace":"t","fields":[
              {"name":"org_id","type":"string"},
              {"name":"secret","type":"string","sensitive":true}
            ]}\
            """;

    @TempDir Path dir;
    private KmsEmulator kms;
    private KmsClient client;
    private String fromKey;
    private String toKey;
    private JobConfig config;
    private RecordSealer sealer;

    @BeforeEach
    void start() throws Exception {
        Path schemaFile = dir.resolve("entry.avsc");
        Files.writeString(schemaFile, SCHEMA);
        kms = KmsEmulator.start(0);
        TestAws.useEmulatorCredentials();
        client = TestAws.syncClient(kms, "eu-west-1");
        fromKey = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
        toKey = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
        config = rewrapConfig(0);
        sealer = RecordSealer.create(JobSchemas.of(config).derived(0));
    }

    /** Parses the re-wrap job's definition, with {@code requestBudget} KMS requests per second. */
    private JobConfig rewrapConfig(int requestBudget) {
        return JobConfig.parse(
                """
                job.type: rewrap
                geo: EU
                records: {topic: e, format: avro, schema: "%s"}
                output.topic: o
                dead-letters.topic: d
                kms: {local-region: eu-west-1, endpoint: "%s", attempt-timeout: 1500ms}
                kms.retry.budget: 900ms
                kms.retry.max-attempts: 2
                kms.request-budget-per-second: %d
                async.timeout: 2500ms
                rewrap: {org: %s, from-key-arn: "%s", to-key-arn: "%s"}
                kafka.bootstrap.servers: "127.0.0.1:1"
                """
                        .formatted(
                                dir.resolve("entry.avsc"),
                                kms.endpoint(),
                                requestBudget,
                                ORG,
                                fromKey,
                                toKey),
                "rewrap.yaml",
                n -> null);
    }

    @AfterEach
    void stop() {
        client.close();
        kms.close();
    }

    @Test
    void recordsOfOneEdekShareOneReEncrypt() throws Exception {
        Dek dek = dataKey();
        kms.faults().setLatency(Duration.ofMillis(300));
        var harness = AsyncStepHarness.open(new RewrapFunction(config), SourceRecord.class);
        for (int offset = 0; offset < 3; offset++) {
            harness.processElement(new StreamRecord<>(sealed(offset, dek)));
        }
        List<OutputRecord> outputs =
                AsyncStepHarness.awaitOutputs(harness, 3, Duration.ofSeconds(10));

        // The three wait for the one call of their EDEK and leave in their order.
        assertThat(outputs).extracting(o -> o.deadLetter).containsExactly(false, false, false);
        for (int offset = 0; offset < 3; offset++) {
            assertThat(recordIdOf(outputs.get(offset))).isEqualTo(new RecordId("e", 0, offset));
            assertThat(keyArnOf(outputs.get(offset))).isEqualTo(toKey);
        }
        assertThat(kms.callCount("ReEncrypt")).isEqualTo(1);

        // A later record of the EDEK takes the kept result and completes inside its call.
        harness.processElement(new StreamRecord<>(sealed(3, dek)));
        outputs = AsyncStepHarness.awaitOutputs(harness, 4, Duration.ofSeconds(10));
        assertThat(keyArnOf(outputs.get(3))).isEqualTo(toKey);
        assertThat(kms.callCount("ReEncrypt")).isEqualTo(1);
        harness.endInput();
        harness.close();
        assertThat(AsyncStepHarness.outputs(harness)).hasSize(4);
    }

    @Test
    void requestBudgetSpacesCallsUntilDeadline() throws Exception {
        // One ReEncrypt per second: the calls of four EDEKs go out at about 0, 1, 2 and 3 s. The
        // fourth comes after its record's 2.5 s deadline, so the margins are half a second.
        config = rewrapConfig(1);
        var harness = AsyncStepHarness.open(new RewrapFunction(config), SourceRecord.class);
        for (int offset = 0; offset < 4; offset++) {
            harness.processElement(new StreamRecord<>(sealed(offset, dataKey())));
        }
        List<OutputRecord> outputs =
                AsyncStepHarness.awaitOutputs(harness, 4, Duration.ofSeconds(10));

        assertThat(outputs)
                .extracting(o -> o.deadLetter)
                .containsExactly(false, false, false, true);
        OutputRecord late = outputs.get(3);
        assertThat(late.errorCode).isEqualTo("KMS_UNAVAILABLE");
        DeadLetter letter = DeadLetter.fromBytes(late.value);
        assertThat(letter.message())
                .isEqualTo(
                        "no re-wrapped EDEK within async.timeout (2500ms); check KMS latency and"
                                + " throttling, and the data-key topic's brokers when"
                                + " encryption.data-key-topic is set, or raise async.timeout");
        assertThat(letter.sourceOffset()).isEqualTo(3L);
        // The fourth call still goes out, and its late response adds no output.
        JobHarness.await(
                "the fourth ReEncrypt call",
                Duration.ofSeconds(10),
                () -> kms.callCount("ReEncrypt") == 4L);
        harness.endInput();
        harness.close();
        assertThat(AsyncStepHarness.outputs(harness)).hasSize(4);
    }

    @Test
    void retriableFailureCallsAgain() throws Exception {
        Dek dek = dataKey();
        // Both attempts of the first call fail; the next call succeeds.
        kms.faults().failNext(2, KmsErrorType.KMS_INTERNAL, KmsOperation.RE_ENCRYPT);
        var harness = AsyncStepHarness.open(new RewrapFunction(config), SourceRecord.class);
        harness.processElement(new StreamRecord<>(sealed(0, dek)));
        List<OutputRecord> outputs =
                AsyncStepHarness.awaitOutputs(harness, 1, Duration.ofSeconds(10));
        assertThat(outputs.get(0).errorCode).isEqualTo("KMS_UNAVAILABLE");
        assertThat(kms.callCount("ReEncrypt")).isEqualTo(2);

        harness.processElement(new StreamRecord<>(sealed(1, dek)));
        outputs = AsyncStepHarness.awaitOutputs(harness, 2, Duration.ofSeconds(10));

        assertThat(outputs.get(1).deadLetter).isFalse();
        assertThat(keyArnOf(outputs.get(1))).isEqualTo(toKey);
        assertThat(kms.callCount("ReEncrypt")).isEqualTo(3);
        harness.endInput();
        harness.close();
    }

    @Test
    void keyRejectionKeptForRun() throws Exception {
        Dek dek = dataKey();
        kms.disableKey(toKey);
        var harness = AsyncStepHarness.open(new RewrapFunction(config), SourceRecord.class);
        harness.processElement(new StreamRecord<>(sealed(0, dek)));
        List<OutputRecord> outputs =
                AsyncStepHarness.awaitOutputs(harness, 1, Duration.ofSeconds(10));
        assertThat(outputs.get(0).errorCode).isEqualTo("KEY_DISABLED");

        // Enabled again, but this run keeps the rejection: one call per EDEK, however many records.
        kms.enableKey(toKey);
        harness.processElement(new StreamRecord<>(sealed(1, dek)));
        outputs = AsyncStepHarness.awaitOutputs(harness, 2, Duration.ofSeconds(10));

        assertThat(outputs.get(1).errorCode).isEqualTo("KEY_DISABLED");
        assertThat(kms.callCount("ReEncrypt")).isEqualTo(1);
        harness.endInput();
        harness.close();
    }

    private Dek dataKey() {
        return StepInputs.dataKey(client, fromKey, ORG);
    }

    private SourceRecord sealed(long offset, Dek dek) throws Exception {
        GenericRecord record = new GenericData.Record(new Schema.Parser().parse(SCHEMA));
        record.put("org_id", ORG);
        record.put("secret", "SECRET-" + offset);
        return StepInputs.source(
                "e", offset, sealer.sealToBytes(record, ORG, new RecordId("e", 0, offset), dek));
    }

    private String keyArnOf(OutputRecord output) throws Exception {
        return envelopeOf(output).keyArn();
    }

    private RecordId recordIdOf(OutputRecord output) throws Exception {
        return envelopeOf(output).recordId();
    }

    private Envelope envelopeOf(OutputRecord output) throws Exception {
        RecordOpener opener = RecordOpener.create(JobSchemas.of(config).derived(0));
        return RecordOpener.envelopeOf(opener.decode(output.value));
    }
}
