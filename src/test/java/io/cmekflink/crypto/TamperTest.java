package io.cmekflink.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cmekflink.dek.Dek;
import io.cmekflink.schema.EnvelopeSchema;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.stream.Stream;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every change to a sealed record that must fail the tag check for the whole record. */
class TamperTest {

    private static final RecordId RECORD_ID = new RecordId("requests", 1, 100);
    private static final List<String> MARKED_PATHS =
            List.of(
                    "client_ip",
                    "user.email",
                    "request.headers",
                    "request.body",
                    "tries[0].ip",
                    "tries[1].ip",
                    "routes[\"backup\"].secret",
                    "routes[\"primary\"].secret",
                    "amount",
                    "payload<io.cmekflink.sample.Card>.number");

    private final RecordSealer sealer = RecordSealer.create(Sample.DERIVED);
    private final RecordOpener opener = RecordOpener.create(Sample.DERIVED);
    private Dek dek;
    private GenericRecord sealed;

    @BeforeEach
    void seal() throws Exception {
        dek = Sample.randomDek();
        sealed =
                reseal(
                        sealer.sealToBytes(
                                Sample.record("org-1", "req-1"), "org-1", RECORD_ID, dek));
    }

    /** Decodes a sealed record into a fresh, mutable copy, as the decrypting side does. */
    private GenericRecord reseal(byte[] bytes) throws Exception {
        return opener.decode(bytes);
    }

    private void assertTampered(GenericRecord record) {
        assertThatThrownBy(() -> opener.open(record, dek))
                .isInstanceOf(TamperedRecordException.class);
    }

    private static ByteBuffer slice(GenericRecord record, String path) {
        return (ByteBuffer) ValuePaths.find(record, path).value();
    }

    private static void putSlice(GenericRecord record, String path, Object value) {
        ValuePaths.Found found = ValuePaths.find(record, path);
        found.record().put(found.fieldName(), value);
    }

    private static GenericRecord envelope(GenericRecord record) {
        return (GenericRecord) record.get(EnvelopeSchema.FIELD_NAME);
    }

    static Stream<String> markedPaths() {
        return MARKED_PATHS.stream();
    }

    @Test
    void untouchedRecordOpens() throws Exception {
        assertThat(opener.open(sealed, dek)).isEqualTo(Sample.record("org-1", "req-1"));
        assertThat(ParsedAad.parse(opener.associatedData(sealed)).paths())
                .containsExactlyElementsOf(MARKED_PATHS);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("markedPaths")
    void flippedByteInSliceFails(String path) {
        ByteBuffer slice = slice(sealed, path);
        int last = slice.limit() - 1;
        slice.put(last, (byte) (slice.get(last) ^ 0x01));

        assertTampered(sealed);
    }

    @Test
    void flippedByteInNonceFails() {
        byte[] nonce = ((GenericFixed) envelope(sealed).get("nonce")).bytes();
        nonce[11] ^= 0x01;

        assertTampered(sealed);
    }

    @Test
    void flippedByteInTagFails() {
        byte[] tag = ((GenericFixed) envelope(sealed).get("tag")).bytes();
        tag[0] ^= (byte) 0x80;

        assertTampered(sealed);
    }

    @Test
    void swappedSlicesOfEqualLengthFail() {
        ByteBuffer first = slice(sealed, "tries[0].ip");
        ByteBuffer second = slice(sealed, "tries[1].ip");
        assertThat(first.remaining()).isEqualTo(second.remaining());
        putSlice(sealed, "tries[0].ip", second);
        putSlice(sealed, "tries[1].ip", first);

        assertTampered(sealed);
    }

    @Test
    void sliceMovedToAnotherFieldFails() {
        putSlice(sealed, "user.email", slice(sealed, "client_ip"));

        assertTampered(sealed);
    }

    @Test
    void bytesMovedAcrossSliceBoundaryFail() {
        ByteBuffer first = slice(sealed, "tries[0].ip");
        ByteBuffer second = slice(sealed, "tries[1].ip");
        byte[] shorter = new byte[first.remaining() - 1];
        first.duplicate().get(shorter);
        byte[] longer = new byte[second.remaining() + 1];
        longer[0] = first.get(first.limit() - 1);
        second.duplicate().get(longer, 1, second.remaining());
        putSlice(sealed, "tries[0].ip", ByteBuffer.wrap(shorter));
        putSlice(sealed, "tries[1].ip", ByteBuffer.wrap(longer));

        assertTampered(sealed);
    }

    @Test
    void sliceMovedToAnotherRecordOfSameOrgFails() throws Exception {
        GenericRecord other =
                reseal(
                        sealer.sealToBytes(
                                Sample.record("org-1", "req-2"),
                                "org-1",
                                new RecordId("requests", 1, 101),
                                dek));
        putSlice(other, "client_ip", slice(sealed, "client_ip"));

        assertTampered(other);
    }

    @Test
    void encryptedPartMovedToAnotherRecordOfSameOrgFails() throws Exception {
        GenericRecord other =
                reseal(
                        sealer.sealToBytes(
                                Sample.record("org-1", "req-2"),
                                "org-1",
                                new RecordId("requests", 1, 101),
                                dek));
        for (String path : MARKED_PATHS) {
            putSlice(sealed, path, slice(other, path));
        }
        sealed.put(EnvelopeSchema.FIELD_NAME, envelope(other));

        assertTampered(sealed);
    }

    @Test
    void recordMovedToAnotherOrgByItsFieldFails() {
        sealed.put("org_id", "org-2");

        assertThatThrownBy(() -> opener.open(sealed, dek))
                .isInstanceOf(TamperedRecordException.class)
                .hasMessage(
                        "record's org id field 'org_id' contains org 'org-2', but its envelope was"
                                + " sealed for org 'org-1' (org org-1, record requests/1/100)");
    }

    @Test
    void recordMovedToAnotherOrgByItsEnvelopeFails() {
        sealed.put("org_id", "org-2");
        envelope(sealed).put("encryption_context", EncryptionContext.of("org-2"));

        assertTampered(sealed);
    }

    @Test
    void changedBindingFieldFails() {
        sealed.put("request_id", "req-9");

        assertTampered(sealed);
    }

    @Test
    void changedTimestampBindingFails() {
        sealed.put("received_at", (Long) sealed.get("received_at") + 1);

        assertTampered(sealed);
    }

    @Test
    void changedRecordIdFails() {
        ((GenericRecord) envelope(sealed).get("record_id")).put("offset", 101L);

        assertTampered(sealed);
    }

    @Test
    void changedRecordIdTopicFails() {
        ((GenericRecord) envelope(sealed).get("record_id")).put("topic", "replayed");

        assertTampered(sealed);
    }

    @Test
    void removedNullableValueFails() {
        putSlice(sealed, "request.body", null);

        assertTampered(sealed);
    }

    @Test
    void addedNullableValueFails() throws Exception {
        GenericRecord input = Sample.record("org-1", "req-1");
        ((GenericRecord) input.get("request")).put("body", null);
        GenericRecord withoutBody = reseal(sealer.sealToBytes(input, "org-1", RECORD_ID, dek));
        putSlice(withoutBody, "request.body", ByteBuffer.wrap(new byte[] {1, 2}));

        assertTampered(withoutBody);
    }

    @Test
    void removedArrayItemWithMarksFails() {
        ((GenericData.Array<?>) sealed.get("tries")).remove(1);

        assertTampered(sealed);
    }

    @Test
    void wrongDekFails() {
        assertThatThrownBy(() -> opener.open(sealed, Sample.randomDek()))
                .isInstanceOf(TamperedRecordException.class)
                .hasMessage(
                        "AES-GCM tag over the 10 marked values of io.cmekflink.sample.RequestLog"
                            + " does not verify: a value, the nonce, the tag or the associated data"
                            + " changed, or the DEK is not the record's (org org-1, record"
                            + " requests/1/100)");
    }

    @Test
    void unmarkedFieldsMayChange() throws Exception {
        sealed.put("labels", java.util.Map.of("team", "other"));
        ((GenericRecord) sealed.get("request")).put("path", "/v2");

        GenericRecord opened = opener.open(sealed, dek);

        assertThat(((GenericRecord) opened.get("request")).get("path")).isEqualTo("/v2");
    }

    @Test
    void rewrappedEnvelopeStillOpens() throws Exception {
        Envelope rewrapped =
                RecordOpener.envelopeOf(sealed)
                        .withKey("arn:aws:kms:eu-west-1:111122223333:key/other", new byte[] {9, 9});
        sealed.put(EnvelopeSchema.FIELD_NAME, rewrapped.toRecord());

        assertThat(opener.open(sealed, dek)).isEqualTo(Sample.record("org-1", "req-1"));
    }
}
