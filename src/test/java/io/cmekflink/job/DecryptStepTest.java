package io.cmekflink.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.cmekflink.config.JobConfig;
import io.cmekflink.crypto.RecordId;
import io.cmekflink.crypto.RecordOpener;
import io.cmekflink.crypto.RecordSealer;
import io.cmekflink.deadletter.DeadLetter;
import io.cmekflink.dek.Dek;
import io.cmekflink.local.kms.KmsEmulator;
import io.cmekflink.schema.ByteArrayEncoder;
import io.cmekflink.schema.CanonicalDatumWriter;
import io.cmekflink.schema.DerivedSchema;
import io.cmekflink.schema.SingleObjectEncoding;
import io.cmekflink.testing.TestAws;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * The decrypt step with the real KMS client against the emulator, under async I/O without Flink's
 * timeout, as the decrypt job runs it: records of one EDEK opened after one shared {@code Decrypt},
 * and records that the binary walk hands to the GenericRecord path ending in that path's dead
 * letters, one output for every input. Which path a record takes is tested in {@code
 * BinaryOpenTest}: both give the same bytes here.
 */
class DecryptStepTest {

    private static final String ORG = "org-d";
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
    private String keyArn;
    private JobConfig config;
    private DerivedSchema derived;
    private RecordSealer sealer;

    @BeforeEach
    void start() throws Exception {
        Path schemaFile = dir.resolve("entry.avsc");
        Files.writeString(schemaFile, SCHEMA);
        kms = KmsEmulator.start(0);
        TestAws.useEmulatorCredentials();
        client = TestAws.syncClient(kms, "eu-west-1");
        keyArn = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
        config =
                JobConfig.parse(
                        """
                        job.type: decrypt
                        geo: EU
                        records: {topic: e, format: avro, schema: "%s"}
                        output.topic: o
                        dead-letters.topic: d
                        kms: {local-region: eu-west-1, endpoint: "%s"}
                        kafka.bootstrap.servers: "127.0.0.1:1"
                        """
                                .formatted(schemaFile, kms.endpoint()),
                        "decrypt.yaml",
                        n -> null);
        derived = JobSchemas.of(config).derived(0);
        sealer = RecordSealer.create(derived);
    }

    @AfterEach
    void stop() {
        client.close();
        kms.close();
    }

    @Test
    void recordsOfOneEdekShareOneDecrypt() throws Exception {
        Dek dek = dataKey();
        kms.faults().setLatency(Duration.ofMillis(300));
        var harness = AsyncStepHarness.open(new DecryptFunction(config), SourceRecord.class);
        for (int offset = 0; offset < 3; offset++) {
            harness.processElement(new StreamRecord<>(sealed(offset, dek)));
        }
        List<OutputRecord> outputs =
                AsyncStepHarness.awaitOutputs(harness, 3, Duration.ofSeconds(10));

        // The three wait for the one call of their EDEK and leave in their order as
        // single-object plaintext.
        assertThat(outputs).extracting(o -> o.deadLetter).containsExactly(false, false, false);
        for (int offset = 0; offset < 3; offset++) {
            assertThat(outputs.get(offset).value).isEqualTo(plaintext(offset));
        }
        assertThat(kms.callCount("Decrypt")).isEqualTo(1);

        // A later record of the EDEK finds its DEK cached and makes no call.
        harness.processElement(new StreamRecord<>(sealed(3, dek)));
        outputs = AsyncStepHarness.awaitOutputs(harness, 4, Duration.ofSeconds(10));
        assertThat(outputs.get(3).value).isEqualTo(plaintext(3));
        assertThat(kms.callCount("Decrypt")).isEqualTo(1);
        harness.endInput();
        harness.close();
        assertThat(AsyncStepHarness.outputs(harness)).hasSize(4);
    }

    @Test
    void genericPathRecordsKeepTheirCodes() throws Exception {
        Dek dek = dataKey();
        byte[] otherOrg = withOrgIdField(sealed(0, dek).value, "org-x");
        byte[] unknownSchema = sealed(1, dek).value;
        Arrays.fill(unknownSchema, unknownSchema.length - 8, unknownSchema.length, (byte) 0);
        byte[] notSingleObject = "not a record".getBytes(StandardCharsets.UTF_8);
        var harness = AsyncStepHarness.open(new DecryptFunction(config), SourceRecord.class);
        List<byte[]> payloads = List.of(otherOrg, unknownSchema, notSingleObject);
        for (int offset = 0; offset < payloads.size(); offset++) {
            harness.processElement(new StreamRecord<>(source(offset, payloads.get(offset))));
        }
        harness.processElement(new StreamRecord<>(sealed(3, dek)));

        List<OutputRecord> outputs =
                AsyncStepHarness.awaitOutputs(harness, 4, Duration.ofSeconds(10));

        assertThat(outputs)
                .extracting(o -> o.errorCode)
                .containsExactly("TAMPERED", "UNKNOWN_SCHEMA", "MALFORMED_RECORD", null);
        DeadLetter tampered = DeadLetter.fromBytes(outputs.get(0).value);
        assertThat(tampered.orgId()).isEqualTo(ORG);
        assertThat(tampered.keyArn()).isEqualTo(keyArn);
        assertThat(tampered.sourceOffset()).isEqualTo(0L);
        assertThat(tampered.message())
                .isEqualTo(
                        "record's org id field 'org_id' contains org 'org-x', but its envelope"
                                + " was sealed for org 'org-d' (org org-d, record e/0/0)");
        DeadLetter unknown = DeadLetter.fromBytes(outputs.get(1).value);
        assertThat(unknown.orgId()).isEqualTo(ORG);
        assertThat(unknown.sourceOffset()).isEqualTo(1L);
        assertThat(unknown.message())
                .startsWith("no derived schema with exact fingerprint 0000000000000000");
        assertThat(DeadLetter.fromBytes(outputs.get(2).value).orgId()).isNull();
        assertThat(outputs.get(3).value).isEqualTo(plaintext(3));
        harness.endInput();
        harness.close();
        assertThat(AsyncStepHarness.outputs(harness)).hasSize(4);
    }

    private Dek dataKey() {
        return StepInputs.dataKey(client, keyArn, ORG);
    }

    private GenericRecord entry(long offset) {
        GenericRecord record = new GenericData.Record(derived.writerSchema());
        record.put("org_id", ORG);
        record.put("secret", "SECRET-" + offset);
        return record;
    }

    private SourceRecord sealed(long offset, Dek dek) throws Exception {
        return source(
                offset, sealer.sealToBytes(entry(offset), ORG, new RecordId("e", 0, offset), dek));
    }

    private static SourceRecord source(long offset, byte[] value) {
        return StepInputs.source("e", offset, value);
    }

    /**
     * Returns the writer schema's single-object encoding of the record sealed at {@code offset}.
     */
    private byte[] plaintext(long offset) throws Exception {
        Schema writer = derived.writerSchema();
        ByteArrayEncoder out = new ByteArrayEncoder(64);
        SingleObjectEncoding.writeHeader(out, SchemaNormalization.parsingFingerprint64(writer));
        byte[] header = out.toByteArray();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.write(header);
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(bytes, null);
        new CanonicalDatumWriter<GenericRecord>(writer).write(entry(offset), encoder);
        encoder.flush();
        return bytes.toByteArray();
    }

    /** Returns {@code sealed} with its unencrypted org id field set to {@code orgId}. */
    private byte[] withOrgIdField(byte[] sealed, String orgId) throws Exception {
        GenericRecord record = RecordOpener.create(derived).decode(sealed);
        record.put("org_id", orgId);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.write(sealed, 0, SingleObjectEncoding.HEADER_BYTES);
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(bytes, null);
        new CanonicalDatumWriter<GenericRecord>(derived.derivedSchema()).write(record, encoder);
        encoder.flush();
        return bytes.toByteArray();
    }
}
