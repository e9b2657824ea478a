package io.cmekflink.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.cmekflink.config.JobConfig;
import io.cmekflink.local.kms.KmsEmulator;
import io.cmekflink.testing.TestAws;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
 * Records of several Confluent schema versions are sealed under their own version, whatever order
 * the job definition lists the ids in: sealing under another version could leave a field that only
 * the record's version marks in plaintext.
 */
class SchemaVersionsTest {

    private static String schema(boolean markB) {
        return """
        {"type":"record","name":"Entry","namespace":"t","fields":[
          {"name":"org_id","type":"string"},
          {"name":"a","type":"string","sensitive":true},
          {"name":"b","type":"string"%s}
        ]}\
        """
                .formatted(markB ? ",\"sensitive\":true" : "");
    }

    @Test
    void idsListedOutOfOrderSealUnderTheirOwnVersion(@TempDir Path dir) throws Exception {
        Path v1 = dir.resolve("v1.avsc");
        Path v2 = dir.resolve("v2.avsc");
        Files.writeString(v1, schema(false));
        Files.writeString(v2, schema(true));
        try (KmsEmulator kms = KmsEmulator.start(0)) {
            TestAws.useEmulatorCredentials();
            String arn = kms.createKey(KmsEmulator.DEFAULT_ACCOUNT, "eu-west-1");
            String yaml =
                    """
                    geo: EU
                    records.topic: r
                    records.format: confluent-avro
                    records.schema-ids: {"2": "%s", "1": "%s"}
                    key-changes.topic: k
                    key-changes.public-keys: [control-plane.pem]
                    output.topic: o
                    dead-letters.topic: d
                    kms.local-region: eu-west-1
                    kms.endpoint: "%s"
                    kafka.bootstrap.servers: "127.0.0.1:1"
                    """
                            .formatted(v2, v1, kms.endpoint());
            JobConfig config = JobConfig.parse(yaml, "t.yaml", n -> null);

            List<OutputRecord> outputs = new ArrayList<>();
            for (int id : new int[] {1, 2}) {
                ParsedRecord parsed = parse(config, id, new Schema.Parser().parse(schema(id == 2)));
                assertThat(
                                JobSchemas.of(config)
                                                .writerSchema(parsed.schemaIndex)
                                                .getField("b")
                                                .getObjectProp("sensitive")
                                        != null)
                        .as("schema id " + id + " marks b")
                        .isEqualTo(id == 2);
                outputs.add(encrypt(config, parsed, arn));
            }
            for (OutputRecord out : outputs) {
                String bytes = new String(out.value, StandardCharsets.ISO_8859_1);
                assertThat(out.deadLetter).isFalse();
                assertThat(bytes).doesNotContain("ALPHA-SECRET-VALUE");
            }
            assertThat(new String(outputs.get(0).value, StandardCharsets.ISO_8859_1))
                    .contains("BRAVO-PLAIN-VALUE");
            assertThat(new String(outputs.get(1).value, StandardCharsets.ISO_8859_1))
                    .doesNotContain("BRAVO-PLAIN-VALUE");
        }
    }

    private static ParsedRecord parse(JobConfig config, int schemaId, Schema schema)
            throws Exception {
        GenericRecord r = new GenericData.Record(schema);
        r.put("org_id", "org-a");
        r.put("a", "ALPHA-SECRET-VALUE");
        r.put("b", "BRAVO-PLAIN-VALUE");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.write(ByteBuffer.allocate(4).putInt(schemaId).array());
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(schema).write(r, enc);
        enc.flush();
        SourceRecord src = new SourceRecord();
        src.topic = "r";
        src.value = out.toByteArray();
        src.headerKeys = new String[0];
        src.headerValues = new byte[0][];
        var parse = ProcessFunctionTestHarnesses.forProcessFunction(new ParseFunction(config));
        parse.processElement(src, 0);
        assertThat(parse.extractOutputValues()).hasSize(1);
        return parse.extractOutputValues().get(0);
    }

    private static OutputRecord encrypt(JobConfig config, ParsedRecord parsed, String arn)
            throws Exception {
        var harness = AsyncStepHarness.open(new EncryptFunction(config), Routed.class);
        harness.processElement(new StreamRecord<>(Routed.record(parsed, arn)));
        harness.endInput();
        List<OutputRecord> outs = AsyncStepHarness.outputs(harness);
        harness.close();
        assertThat(outs).hasSize(1);
        return outs.get(0);
    }
}
