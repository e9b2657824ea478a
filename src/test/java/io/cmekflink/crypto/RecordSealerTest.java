package io.cmekflink.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cmekflink.dek.Dek;
import io.cmekflink.dek.DekExhaustedException;
import io.cmekflink.schema.DerivationOptions;
import io.cmekflink.schema.DerivedSchema;
import io.cmekflink.schema.MarkingRules;
import io.cmekflink.schema.SingleObjectEncoding;
import java.nio.ByteBuffer;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;

class RecordSealerTest {

    private static final RecordId RECORD_ID = new RecordId("requests", 0, 5);
    private final RecordSealer sealer = RecordSealer.create(Sample.DERIVED);

    @Test
    void sealedRecordHoldsNoPlaintextOfMarkedValues() throws Exception {
        GenericRecord input = Sample.record("org-1", "req-1");

        byte[] bytes = sealer.sealToBytes(input, "org-1", RECORD_ID, Sample.randomDek());

        String text = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1);
        assertThat(text)
                .doesNotContain(
                        "203.0.113.7",
                        "jane@example.com",
                        "made-up-token",
                        "198.51.100",
                        "route-secret",
                        "4111111111111111",
                        "qty");
        assertThat(text).contains("org-1", "req-1", "/v1/orders", "payments", "visa");
        assertThat(SingleObjectEncoding.isSingleObject(bytes)).isTrue();
    }

    @Test
    void envelopeNamesKeyOrgRecordAndSchema() throws Exception {
        Dek dek = Sample.randomDek();

        GenericRecord derived =
                sealer.seal(Sample.record("org-1", "req-1"), "org-1", RECORD_ID, dek);
        Envelope envelope = RecordOpener.envelopeOf(derived);

        assertThat(envelope.keyArn()).isEqualTo(Sample.KEY_ARN);
        assertThat(envelope.edek()).isEqualTo(Sample.EDEK);
        assertThat(envelope.encryptionContext())
                .isEqualTo(Map.of("org_id", "org-1", "purpose", "cmek-flink/v1"));
        assertThat(envelope.recordId()).isEqualTo(RECORD_ID);
        assertThat(envelope.schemaFingerprint()).isEqualTo(Sample.DERIVED.exactFingerprint());
        assertThat(derived.getSchema()).isSameAs(Sample.DERIVED.derivedSchema());
    }

    @Test
    void eachSealUsesNextNonce() throws Exception {
        Dek dek =
                Dek.takeOwnershipForEncryption(
                        new byte[32], Sample.EDEK, Sample.KEY_ARN, 10, 0x01020304);
        GenericRecord input = Sample.record("org-1", "req-1");

        byte[] first = RecordOpener.envelopeOf(sealer.seal(input, "org-1", RECORD_ID, dek)).nonce();
        byte[] second =
                RecordOpener.envelopeOf(sealer.seal(input, "org-1", RECORD_ID, dek)).nonce();

        assertThat(first).containsExactly(1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0);
        assertThat(second).containsExactly(1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 1);
        assertThat(dek.remainingEncryptions()).isEqualTo(8);
    }

    @Test
    void exhaustedDekSealsNothing() throws Exception {
        Dek dek = Dek.takeOwnershipForEncryption(new byte[32], Sample.EDEK, Sample.KEY_ARN, 1, 7);
        GenericRecord input = Sample.record("org-1", "req-1");
        sealer.seal(input, "org-1", RECORD_ID, dek);

        assertThatThrownBy(() -> sealer.seal(input, "org-1", RECORD_ID, dek))
                .isInstanceOf(DekExhaustedException.class);
    }

    @Test
    void rejectsRecordOfAnotherOrg() {
        assertThatThrownBy(
                        () ->
                                sealer.seal(
                                        Sample.record("org-1", "req-1"),
                                        "org-2",
                                        RECORD_ID,
                                        Sample.randomDek()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "record's org id field 'org_id' contains org 'org-1', but the record is"
                                + " sealed for org 'org-2'");
    }

    @Test
    void rejectsRecordOfAnotherSchema() {
        Schema other =
                new Schema.Parser()
                        .parse(Sample.WRITER.toString().replace("\"path\"", "\"route\""));
        GenericData.Record record = new GenericData.Record(other);

        assertThatThrownBy(() -> sealer.seal(record, "org-1", RECORD_ID, Sample.randomDek()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "record has schema io.cmekflink.sample.RequestLog, but this sealer was"
                            + " built for another version of io.cmekflink.sample.RequestLog; build"
                            + " a sealer for the record's writer schema");
    }

    @Test
    void rejectsMismatchedMarkedValueWithoutNamingIt() {
        GenericRecord input = Sample.record("org-1", "req-1");
        @SuppressWarnings("unchecked")
        Map<Object, GenericRecord> routes = (Map<Object, GenericRecord>) input.get("routes");
        routes.values().iterator().next().put("secret", 12345);

        assertThatThrownBy(() -> sealer.seal(input, "org-1", RECORD_ID, Sample.randomDek()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "field routes[*].secret contains a value of type Integer that does not"
                                + " match its schema of type string (ClassCastException)")
                .hasNoCause();
    }

    @Test
    void rejectsNullInNonNullableMarkedField() {
        GenericRecord input = Sample.record("org-1", "req-1");
        input.put("client_ip", null);

        assertThatThrownBy(() -> sealer.seal(input, "org-1", RECORD_ID, Sample.randomDek()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("field client_ip is null, but its schema does not allow null");
    }

    @Test
    void rejectsValueInNoUnionBranch() {
        GenericRecord input = Sample.record("org-1", "req-1");
        input.put("payload", 17);

        assertThatThrownBy(() -> sealer.seal(input, "org-1", RECORD_ID, Sample.randomDek()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "field payload contains a value of type Integer, which matches no branch of"
                                + " its union");
    }

    @Test
    void failedSealLeavesSealerUsable() throws Exception {
        GenericRecord bad = Sample.record("org-1", "req-1");
        bad.put("amount", "not bytes");
        Dek dek = Sample.randomDek();
        assertThatThrownBy(() -> sealer.seal(bad, "org-1", RECORD_ID, dek))
                .isInstanceOf(IllegalArgumentException.class);

        GenericRecord good = Sample.record("org-1", "req-1");
        GenericRecord derived = sealer.seal(good, "org-1", RECORD_ID, dek);

        assertThat(RecordOpener.create(Sample.DERIVED).open(derived, dek)).isEqualTo(good);
        assertThat(dek.remainingEncryptions()).isEqualTo((1L << 32) - 1);
    }

    @Test
    void sealsFromManyThreads() throws Exception {
        Dek dek = Sample.randomDek();
        RecordOpener opener = RecordOpener.create(Sample.DERIVED);
        Thread[] threads = new Thread[4];
        Throwable[] failures = new Throwable[threads.length];
        for (int t = 0; t < threads.length; t++) {
            int index = t;
            threads[t] =
                    new Thread(
                            () -> {
                                try {
                                    for (int i = 0; i < 200; i++) {
                                        GenericRecord input =
                                                Sample.record("org-1", "req-" + index + "-" + i);
                                        byte[] bytes =
                                                sealer.sealToBytes(input, "org-1", RECORD_ID, dek);
                                        assertThat(opener.open(opener.decode(bytes), dek))
                                                .isEqualTo(input);
                                    }
                                } catch (Throwable e) {
                                    failures[index] = e;
                                }
                            });
            threads[t].start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(failures).containsOnlyNulls();
        assertThat(dek.remainingEncryptions()).isEqualTo((1L << 32) - 800);
    }

    @Test
    void derivedRecordSharesUnmarkedValues() throws Exception {
        GenericRecord input = Sample.record("org-1", "req-1");

        GenericRecord derived = sealer.seal(input, "org-1", RECORD_ID, Sample.randomDek());

        assertThat(derived.get("labels")).isSameAs(input.get("labels"));
        assertThat(((GenericRecord) derived.get("request")).get("path"))
                .isSameAs(((GenericRecord) input.get("request")).get("path"));
        assertThat(derived.get("client_ip")).isInstanceOf(ByteBuffer.class);
    }

    @Test
    void sealerWithoutBindingsStillBindsRecordId() throws Exception {
        DerivedSchema unbound =
                DerivedSchema.derive(
                        Sample.WRITER,
                        DerivationOptions.of(
                                MarkingRules.withConfluentTags(java.util.List.of("PII"))));
        Dek dek = Sample.randomDek();
        GenericRecord derived =
                RecordSealer.create(unbound)
                        .seal(Sample.record("org-1", "req-1"), "org-1", RECORD_ID, dek);
        derived.put("request_id", "req-other");
        RecordOpener opener = RecordOpener.create(unbound);

        assertThat(opener.open(derived, dek).get("request_id")).isEqualTo("req-other");
        ((GenericRecord) ((GenericRecord) derived.get("cmek_envelope")).get("record_id"))
                .put("partition", 1);
        assertThatThrownBy(() -> opener.open(derived, dek))
                .isInstanceOf(TamperedRecordException.class);
    }
}
