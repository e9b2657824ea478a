package io.cmekflink.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.cmekflink.config.JobConfig;
import io.cmekflink.deadletter.DeadLetter;
import io.cmekflink.local.kms.KmsEmulator;
import io.cmekflink.testing.JobHarness;
import io.cmekflink.testing.TestAws;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The encrypt step's own bound on a record's wait ({@code async.timeout}), with the real KMS client
 * against the emulator, under async I/O without Flink's timeout, as the job runs it.
 *
 * <p>Every DEK may seal one record, and each {@code GenerateDataKey} takes 1 s. Three records of
 * one org arrive together. The first seals under the first DEK at about 1 s and the second under
 * the second DEK at about 2 s. The third would get the third DEK at about 3 s, after its 2.5 s
 * deadline, so the margins are half a second on each side.
 */
class EncryptDeadlineTest {

    private static final String SCHEMA =
            """
            {"type":"record","name":"Entry","namespace":"t","fields":[
              {"name":"org_id","type":"string"},
              {"name":"secret","type":"string","sensitive":true}
            ]}\
            """;

    @Test
    void asyncTimeoutDeadLettersTheLateRecord(@TempDir Path dir) throws Exception {
        Path schemaFile = dir.resolve("entry.avsc");
        Files.writeString(schemaFile, SCHEMA);
        try (KmsEmulator kms = KmsEmulator.start(0)) {
            TestAws.useEmulatorCredentials();
            String arn = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
            JobConfig config =
                    JobConfig.parse(
                            """
                            geo: EU
                            records: {topic: r, format: avro, schema: "%s"}
                            key-changes.topic: k
                            key-changes.public-keys: [control-plane.pem]
                            output.topic: o
                            dead-letters.topic: d
                            kms: {local-region: eu-west-1, endpoint: "%s", attempt-timeout: 1500ms}
                            kms.retry.budget: 900ms
                            dek.max-encryptions: 1
                            key.health-check-interval: 0s
                            async.timeout: 2500ms
                            kafka.bootstrap.servers: "127.0.0.1:1"
                            """
                                    .formatted(schemaFile, kms.endpoint()),
                            "t.yaml",
                            n -> null);
            kms.faults().setLatency(Duration.ofSeconds(1));

            var harness = AsyncStepHarness.open(new EncryptFunction(config), Routed.class);
            for (int offset = 0; offset < 3; offset++) {
                harness.processElement(
                        new StreamRecord<>(Routed.record(parse(config, offset), arn)));
            }
            harness.endInput();
            List<OutputRecord> outputs = AsyncStepHarness.outputs(harness);

            assertThat(outputs).extracting(o -> o.deadLetter).containsExactly(false, false, true);
            OutputRecord late = outputs.get(2);
            assertThat(late.errorCode).isEqualTo("KMS_UNAVAILABLE");
            DeadLetter letter = DeadLetter.fromBytes(late.value);
            assertThat(letter.message())
                    .isEqualTo(
                            "no data key within async.timeout (2500ms); check KMS latency and"
                                    + " throttling, and the data-key topic's brokers when"
                                    + " encryption.data-key-topic is set, or raise async.timeout");
            assertThat(letter.sourceOffset()).isEqualTo(2L);

            // The record's third GenerateDataKey call went out, and its late DEK adds no output.
            JobHarness.await(
                    "the third GenerateDataKey call",
                    Duration.ofSeconds(10),
                    () -> kms.callCounts().getOrDefault("GenerateDataKey", 0L) == 3L);
            harness.close();
            assertThat(AsyncStepHarness.outputs(harness)).hasSize(3);
        }
    }

    private static ParsedRecord parse(JobConfig config, long offset) throws Exception {
        Schema schema = new Schema.Parser().parse(SCHEMA);
        GenericRecord r = new GenericData.Record(schema);
        r.put("org_id", "org-a");
        r.put("secret", "SECRET-" + offset);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(schema).write(r, enc);
        enc.flush();
        SourceRecord src = new SourceRecord();
        src.topic = "r";
        src.offset = offset;
        src.value = out.toByteArray();
        src.headerKeys = new String[0];
        src.headerValues = new byte[0][];
        var parse = ProcessFunctionTestHarnesses.forProcessFunction(new ParseFunction(config));
        parse.processElement(src, 0);
        assertThat(parse.extractOutputValues()).hasSize(1);
        return parse.extractOutputValues().get(0);
    }
}
