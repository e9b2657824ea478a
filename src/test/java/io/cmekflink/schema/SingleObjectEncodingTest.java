package io.cmekflink.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;

class SingleObjectEncodingTest {

    private static final Schema SCHEMA = Schemas.top("{'name':'n','type':'long'}");

    private static GenericRecord record() {
        GenericData.Record record = new GenericData.Record(SCHEMA);
        record.put("org_id", "org-1");
        record.put("n", 300L);
        return record;
    }

    private static byte[] ours(GenericRecord record) throws Exception {
        ByteArrayEncoder out = new ByteArrayEncoder(32);
        SingleObjectEncoding.writeHeader(out, Fingerprints.layoutFingerprint(SCHEMA));
        new CanonicalDatumWriter<Object>(SCHEMA).write(record, out);
        return out.toByteArray();
    }

    @Test
    void headerMatchesAvroMessageEncoder() throws Exception {
        ByteBuffer avro =
                new BinaryMessageEncoder<GenericRecord>(new GenericData(), SCHEMA).encode(record());
        byte[] expected = new byte[avro.remaining()];
        avro.get(expected);

        assertThat(ours(record())).isEqualTo(expected);
    }

    @Test
    void avroMessageDecoderReadsOurBytes() throws Exception {
        GenericRecord decoded =
                new BinaryMessageDecoder<GenericRecord>(new GenericData(), SCHEMA)
                        .decode(ours(record()));

        assertThat(decoded).isEqualTo(record());
    }

    @Test
    void recognisesHeader() throws Exception {
        byte[] bytes = ours(record());

        assertThat(SingleObjectEncoding.isSingleObject(bytes)).isTrue();
        assertThat(SingleObjectEncoding.fingerprint(bytes))
                .isEqualTo(Fingerprints.layoutFingerprint(SCHEMA));
        assertThat(SingleObjectEncoding.isSingleObject(null)).isFalse();
        assertThat(
                        SingleObjectEncoding.isSingleObject(
                                new byte[] {(byte) 0xC3, 0x01, 0, 0, 0, 0, 0, 0, 0}))
                .isFalse();
        assertThat(
                        SingleObjectEncoding.isSingleObject(
                                new byte[] {(byte) 0xC3, 0x02, 0, 0, 0, 0, 0, 0, 0, 0}))
                .isFalse();
        assertThat(SingleObjectEncoding.formatHeaderValue())
                .isEqualTo("cmek-flink/v1".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(SingleObjectEncoding.KAFKA_HEADER).isEqualTo("cmek-format");
    }

    @Test
    void fingerprintRejectsPlainBytes() {
        assertThatThrownBy(() -> SingleObjectEncoding.fingerprint(new byte[] {1, 2}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "payload of 2 bytes has no single-object header (C3 01 and an 8-byte"
                                + " fingerprint)");
    }

    @Test
    void fingerprintsAreLittleEndian() {
        assertThat(Fingerprints.toLittleEndian(0x0102030405060708L))
                .containsExactly(8, 7, 6, 5, 4, 3, 2, 1);
        assertThat(Fingerprints.fromLittleEndian(new byte[] {8, 7, 6, 5, 4, 3, 2, 1}, 0))
                .isEqualTo(0x0102030405060708L);
        assertThat(Fingerprints.toHex(0x0102030405060708L)).isEqualTo("0807060504030201");
    }
}
