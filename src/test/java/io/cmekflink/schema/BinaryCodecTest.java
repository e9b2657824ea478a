package io.cmekflink.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;

/** {@link ByteArrayEncoder} and {@link BoundedBinaryDecoder} against Avro's binary codec. */
class BinaryCodecTest {

    private static final Schema SCHEMA =
            Schemas.parse(
                    "{'type':'record','name':'All','namespace':'test','fields':["
                        + "{'name':'b','type':'boolean'},{'name':'i','type':'int'},{'name':'l','type':'long'},"
                        + "{'name':'f','type':'float'},{'name':'d','type':'double'},{'name':'s','type':'string'},"
                        + "{'name':'y','type':'bytes'},{'name':'n','type':'null'},"
                        + "{'name':'e','type':{'type':'enum','name':'E','symbols':['A','B','C']}},"
                        + "{'name':'x','type':{'type':'fixed','name':'X','size':3}},"
                        + "{'name':'a','type':{'type':'array','items':'long'}},"
                        + "{'name':'m','type':{'type':'map','values':'string'}},"
                        + "{'name':'u','type':['null','string','long']}]}");

    private static GenericRecord record() {
        GenericData.Record record = new GenericData.Record(SCHEMA);
        record.put("b", true);
        record.put("i", -123456);
        record.put("l", Long.MIN_VALUE);
        record.put("f", Float.intBitsToFloat(0x7fc00123));
        record.put("d", -0.0);
        record.put("s", "Grüße 🙂");
        record.put("y", ByteBuffer.wrap(new byte[] {0, 1, (byte) 0xFF}));
        record.put("e", new GenericData.EnumSymbol(SCHEMA.getField("e").schema(), "C"));
        record.put("x", new GenericData.Fixed(SCHEMA.getField("x").schema(), new byte[] {7, 8, 9}));
        record.put("a", List.of(1L, -1L, Long.MAX_VALUE));
        record.put("m", Map.of("only", "one"));
        record.put("u", 99L);
        return record;
    }

    @Test
    void encoderWritesAvroBinaryEncoderBytes() throws Exception {
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        BinaryEncoder avro = EncoderFactory.get().binaryEncoder(expected, null);
        new GenericDatumWriter<GenericRecord>(SCHEMA).write(record(), avro);
        avro.flush();
        ByteArrayEncoder ours = new ByteArrayEncoder(4);

        new GenericDatumWriter<GenericRecord>(SCHEMA).write(record(), ours);

        assertThat(ours.toByteArray()).isEqualTo(expected.toByteArray());
    }

    @Test
    void decoderReadsWhatAvroReads() throws Exception {
        ByteArrayEncoder out = new ByteArrayEncoder(64);
        new GenericDatumWriter<GenericRecord>(SCHEMA).write(record(), out);
        byte[] bytes = out.toByteArray();
        GenericDatumReader<GenericRecord> reader = new GenericDatumReader<>(SCHEMA);

        GenericRecord avro = reader.read(null, DecoderFactory.get().binaryDecoder(bytes, null));
        BoundedBinaryDecoder decoder = new BoundedBinaryDecoder().reset(bytes, 0, bytes.length);
        GenericRecord ours = reader.read(null, decoder);

        assertThat(ours).isEqualTo(avro);
        assertThat(decoder.isEnd()).isTrue();
        assertThat(decoder.position()).isEqualTo(bytes.length);
    }

    @Test
    void decoderReadsNegativeBlockCounts() throws Exception {
        Schema array = Schema.createArray(Schema.create(Schema.Type.INT));
        // Two blocks: count -2 with its byte size 2, items 1 and 2; count 1, item 3; end.
        byte[] bytes = {0x03, 0x04, 0x02, 0x04, 0x02, 0x06, 0x00};

        Object items =
                new GenericDatumReader<>(array)
                        .read(null, new BoundedBinaryDecoder().reset(bytes, 0, bytes.length));

        assertThat(items).isEqualTo(List.of(1, 2, 3));
    }

    @Test
    void decoderSkipsFieldsTheReaderSchemaDrops() throws Exception {
        Schema writer =
                Schemas.parse(
                        "{'type':'record','name':'R','fields':["
                                + "{'name':'s','type':'string'},{'name':'y','type':'bytes'},"
                                + "{'name':'x','type':{'type':'fixed','name':'X','size':3}},"
                                + "{'name':'a','type':{'type':'array','items':'long'}},"
                                + "{'name':'m','type':{'type':'map','values':'string'}},"
                                + "{'name':'keep','type':'int'}]}");
        Schema reader =
                Schemas.parse(
                        "{'type':'record','name':'R','fields':[{'name':'keep','type':'int'}]}");
        GenericData.Record value = new GenericData.Record(writer);
        value.put("s", "skipped");
        value.put("y", ByteBuffer.wrap(new byte[] {1, 2}));
        value.put("x", new GenericData.Fixed(writer.getField("x").schema(), new byte[] {7, 8, 9}));
        value.put("a", List.of(1L, 2L));
        value.put("m", Map.of("k", "v"));
        value.put("keep", 42);
        ByteArrayEncoder out = new ByteArrayEncoder(64);
        new GenericDatumWriter<GenericRecord>(writer).write(value, out);
        byte[] bytes = out.toByteArray();
        BoundedBinaryDecoder decoder = new BoundedBinaryDecoder().reset(bytes, 0, bytes.length);

        GenericRecord read =
                new GenericDatumReader<GenericRecord>(writer, reader).read(null, decoder);

        assertThat(read.get("keep")).isEqualTo(42);
        assertThat(decoder.isEnd()).isTrue();
    }

    @Test
    void canonicalWriterSortsMapKeysByUtf8Bytes() throws Exception {
        Schema map = Schema.createMap(Schema.create(Schema.Type.INT));
        Map<String, Integer> value = new java.util.LinkedHashMap<>();
        value.put("é", 1);
        value.put("b", 2);
        value.put("A", 3);
        ByteArrayEncoder out = new ByteArrayEncoder(16);

        new CanonicalDatumWriter<Object>(map).write(value, out);

        byte[] expected = {
            0x06, 0x02, 'A', 0x06, 0x02, 'b', 0x04, 0x04, (byte) 0xC3, (byte) 0xA9, 0x02, 0x00
        };
        assertThat(out.toByteArray()).isEqualTo(expected);
    }
}
