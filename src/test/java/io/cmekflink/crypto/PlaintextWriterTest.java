package io.cmekflink.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import io.cmekflink.schema.ByteArrayEncoder;
import io.cmekflink.schema.SingleObjectEncoding;
import java.io.ByteArrayOutputStream;
import java.util.Random;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;

/** The encoder of opened records writes the bytes that Avro's own encoders write. */
class PlaintextWriterTest {

    @Test
    void singleObjectsMatchAvroMessageEncoder() throws Exception {
        PlaintextWriter writer = new PlaintextWriter();
        int records = 0;
        Random random = new Random(4_120_226L);
        for (int s = 0; s < 40; s++) {
            RandomRecords generator = new RandomRecords(random, s);
            Schema schema = generator.schema();
            BinaryMessageEncoder<GenericRecord> avro =
                    new BinaryMessageEncoder<>(GenericData.get(), schema);
            for (int r = 0; r < 20; r++) {
                GenericRecord record = generator.record(schema);
                assertThat(writer.write(record, true))
                        .as("schema %d record %d", s, r)
                        .isEqualTo(avro.encode(record).array());
                records++;
            }
        }
        assertThat(records).isEqualTo(800);
    }

    @Test
    void plainBinaryMatchesAvroBinaryEncoder() throws Exception {
        PlaintextWriter writer = new PlaintextWriter();
        Random random = new Random(17L);
        for (int s = 0; s < 40; s++) {
            RandomRecords generator = new RandomRecords(random, s);
            Schema schema = generator.schema();
            for (int r = 0; r < 20; r++) {
                GenericRecord record = generator.record(schema);
                ByteArrayOutputStream expected = new ByteArrayOutputStream();
                BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(expected, null);
                new GenericDatumWriter<GenericRecord>(schema).write(record, encoder);
                encoder.flush();
                assertThat(writer.write(record, false))
                        .as("schema %d record %d", s, r)
                        .isEqualTo(expected.toByteArray());
            }
        }
    }

    @Test
    void writerSwitchesBetweenSchemas() throws Exception {
        PlaintextWriter writer = new PlaintextWriter();
        Random random = new Random(3L);
        RandomRecords first = new RandomRecords(random, 0);
        RandomRecords second = new RandomRecords(random, 1);
        Schema firstSchema = first.schema();
        Schema secondSchema = second.schema();
        GenericRecord firstRecord = first.record(firstSchema);
        GenericRecord secondRecord = second.record(secondSchema);

        byte[] firstBytes = writer.write(firstRecord, true);
        byte[] secondBytes = writer.write(secondRecord, true);
        byte[] firstAgain = writer.write(firstRecord, true);

        assertThat(firstAgain).isEqualTo(firstBytes);
        assertThat(secondBytes)
                .isEqualTo(
                        new BinaryMessageEncoder<GenericRecord>(GenericData.get(), secondSchema)
                                .encode(secondRecord)
                                .array());
    }

    @Test
    void bufferIsZeroedAfterWrite() throws Exception {
        PlaintextWriter writer = new PlaintextWriter();
        RandomRecords generator = new RandomRecords(new Random(5L), 2);
        Schema schema = generator.schema();

        byte[] written = writer.write(generator.record(schema), true);

        assertThat(written).hasSizeGreaterThan(SingleObjectEncoding.HEADER_BYTES);
        java.lang.reflect.Field field = PlaintextWriter.class.getDeclaredField("out");
        field.setAccessible(true);
        ByteArrayEncoder out = (ByteArrayEncoder) field.get(writer);
        assertThat(out.buffer()).containsOnly(0);
    }
}
