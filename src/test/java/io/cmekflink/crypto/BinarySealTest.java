package io.cmekflink.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cmekflink.dek.Dek;
import io.cmekflink.schema.ByteArrayEncoder;
import io.cmekflink.schema.CanonicalDatumWriter;
import io.cmekflink.schema.DerivationOptions;
import io.cmekflink.schema.DerivedSchema;
import io.cmekflink.schema.MalformedRecordException;
import io.cmekflink.schema.MarkingRules;
import io.cmekflink.schema.StrictRecordDecoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Compares sealing from the Avro binary encoding with sealing the decoded GenericRecord, byte for
 * byte, with two DEKs built from the same key bytes and nonce fixed field, so that both produce the
 * same nonces.
 */
class BinarySealTest {

    private static final ExecutorService GENERIC_THREAD = Executors.newSingleThreadExecutor();
    private static final RecordId RECORD_ID = new RecordId("records", 3, 1_000_000_007L);

    /** Record ids whose varints take from 1 to 10 bytes, so the envelope's length varies. */
    private static final List<RecordId> RECORD_IDS =
            List.of(
                    new RecordId("records", 0, 0),
                    new RecordId("r", 1, 63),
                    new RecordId("records-é", 70_000, 64),
                    new RecordId("t", Integer.MAX_VALUE, Long.MAX_VALUE),
                    RECORD_ID);

    private static final DerivationOptions OPTIONS =
            DerivationOptions.of(MarkingRules.sensitiveOnly())
                    .withBindingFields(RandomRecords.BINDINGS);

    /** The sealing path under test and the GenericRecord path it must match. */
    private static final class Pair {
        final Schema writer;
        final DerivedSchema derived;
        final RecordSealer sealer;
        final BinarySealWalk walk;
        final StrictRecordDecoder decoder;
        final Dek binaryDek;
        final Dek genericDek;

        Pair(Schema writer, DerivationOptions options, long seed) {
            this.writer = writer;
            this.derived = DerivedSchema.derive(writer, options);
            this.sealer = RecordSealer.create(derived);
            this.walk = new BinarySealWalk(BinaryPlan.compile(RecordPlan.compile(derived)));
            this.decoder = new StrictRecordDecoder(writer);
            Random random = new Random(seed);
            byte[] key = new byte[Dek.KEY_BYTES];
            random.nextBytes(key);
            int fixedField = random.nextInt();
            this.binaryDek =
                    Dek.takeOwnershipForEncryption(
                            key.clone(), Sample.EDEK, Sample.KEY_ARN, 1L << 32, fixedField);
            this.genericDek =
                    Dek.takeOwnershipForEncryption(
                            key.clone(), Sample.EDEK, Sample.KEY_ARN, 1L << 32, fixedField);
        }

        /**
         * Seals on the GenericRecord path, on another thread: each thread's cipher rejects a second
         * encryption with the key and nonce of the one before.
         */
        byte[] generic(byte[] avro, String orgId) throws Exception {
            return generic(avro, orgId, RECORD_ID);
        }

        byte[] generic(byte[] avro, String orgId, RecordId recordId) throws Exception {
            GenericRecord input = decoder.decode(avro);
            try {
                return GENERIC_THREAD
                        .submit(() -> sealer.sealToBytes(input, orgId, recordId, genericDek))
                        .get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof Exception cause) {
                    throw cause;
                }
                throw e;
            }
        }

        /** Seals {@code avro} with the binary walk, placed at offset 3 of a larger array. */
        byte[] direct(byte[] avro, String orgId) throws Exception {
            return direct(avro, orgId, RECORD_ID);
        }

        byte[] direct(byte[] avro, String orgId, RecordId recordId) throws Exception {
            byte[] padded = new byte[avro.length + 7];
            Arrays.fill(padded, (byte) 0x55);
            System.arraycopy(avro, 0, padded, 3, avro.length);
            return walk.seal(padded, 3, avro.length, orgId, recordId, binaryDek);
        }

        byte[] sealBinary(byte[] avro, String orgId) throws Exception {
            return sealer.sealBinary(avro, 0, avro.length, orgId, RECORD_ID, binaryDek);
        }
    }

    @AfterAll
    static void stopGenericThread() {
        GENERIC_THREAD.shutdownNow();
    }

    @Test
    void randomSchemasMatchGenericPath() throws Exception {
        Random random = new Random(20_261_204L);
        int records = 0;
        for (int s = 0; s < 80; s++) {
            RandomRecords generator = new RandomRecords(random, s);
            Schema writer = generator.schema();
            Pair pair = new Pair(writer, OPTIONS, s);
            RecordOpener opener = RecordOpener.create(pair.derived);
            assertThat(pair.sealer.binaryUnsupportedReason()).as("schema %d", s).isNull();
            for (int r = 0; r < 40; r++) {
                GenericRecord record = generator.record(writer);
                byte[] avro = encode(writer, record);
                RecordId recordId = RECORD_IDS.get(r % RECORD_IDS.size());
                byte[] expected = pair.generic(avro, RandomRecords.ORG, recordId);
                byte[] actual = pair.direct(avro, RandomRecords.ORG, recordId);
                assertThat(actual).as("schema %d record %d: %s", s, r, writer).isEqualTo(expected);
                GenericRecord opened = opener.open(opener.decode(actual), pair.genericDek);
                assertThat(encodeCanonical(writer, opened))
                        .as("schema %d record %d", s, r)
                        .isEqualTo(avro);
                records++;
            }
        }
        assertThat(records).isEqualTo(3200);
    }

    @Test
    void unsortedMapsFallBackToSameBytes() throws Exception {
        Random random = new Random(7);
        int fallbacks = 0;
        for (int s = 0; s < 30; s++) {
            RandomRecords generator = new RandomRecords(random, s);
            generator.unsortedMaps = true;
            Schema writer = generator.schema();
            Pair pair = new Pair(writer, OPTIONS, s);
            for (int r = 0; r < 20; r++) {
                byte[] avro = encode(writer, generator.record(writer));
                if (needsFallback(pair, avro, RandomRecords.ORG)) {
                    fallbacks++;
                }
                assertThat(pair.sealBinary(avro, RandomRecords.ORG))
                        .as("schema %d record %d", s, r)
                        .isEqualTo(pair.generic(avro, RandomRecords.ORG));
            }
        }
        assertThat(fallbacks).isGreaterThan(100);
    }

    @Test
    void sampleRecordMatchesGenericPath() throws Exception {
        Pair pair =
                new Pair(
                        Sample.WRITER,
                        DerivationOptions.of(MarkingRules.withConfluentTags(List.of("PII")))
                                .withBindingFields(List.of("request_id", "received_at")),
                        1);
        for (int i = 0; i < 5; i++) {
            GenericRecord record = Sample.record("org-1", "req-" + i);
            byte[] sorted = encodeCanonical(Sample.WRITER, record);
            assertThat(pair.direct(sorted, "org-1")).isEqualTo(pair.generic(sorted, "org-1"));
            // Decoded maps are hash maps, whose order is not sorted here.
            byte[] hashOrder = encode(Sample.WRITER, record);
            assertThat(needsFallback(pair, hashOrder, "org-1")).isTrue();
            assertThat(pair.sealBinary(hashOrder, "org-1"))
                    .isEqualTo(pair.generic(hashOrder, "org-1"));
        }
    }

    @Test
    void recursiveRecordMatchesGenericPath() throws Exception {
        Schema writer =
                parse(
                        "{'type':'record','name':'Chain','namespace':'test','fields':["
                                + "{'name':'org_id','type':'string'},"
                                + "{'name':'head','type':{'type':'record','name':'Node','fields':["
                                + "{'name':'secret','type':['null','string'],'sensitive':true},"
                                + "{'name':'next','type':['null','Node']}]}}]}");
        Pair pair = new Pair(writer, DerivationOptions.of(MarkingRules.sensitiveOnly()), 2);
        Schema nodeSchema = writer.getField("head").schema();
        GenericData.Record tail = new GenericData.Record(nodeSchema);
        tail.put("secret", "tail-secret");
        GenericData.Record middle = new GenericData.Record(nodeSchema);
        middle.put("next", tail);
        GenericData.Record head = new GenericData.Record(nodeSchema);
        head.put("secret", "head-secret");
        head.put("next", middle);
        GenericData.Record chain = new GenericData.Record(writer);
        chain.put("org_id", "org-1");
        chain.put("head", head);
        byte[] avro = encode(writer, chain);
        assertThat(pair.direct(avro, "org-1")).isEqualTo(pair.generic(avro, "org-1"));
    }

    private static final Schema HAND =
            parse(
                    "{'type':'record','name':'Hand','namespace':'test','fields':["
                            + "{'name':'org_id','type':'string'},"
                            + "{'name':'count','type':'int'},"
                            + "{'name':'items','type':{'type':'array','items':'string'},"
                            + "'sensitive':true},"
                            + "{'name':'scores','type':{'type':'array','items':'int'}},"
                            + "{'name':'ratio','type':'float'}]}");

    /** Writes a record of {@link #HAND}, with the parts that tests vary given as raw bytes. */
    private static byte[] hand(String orgId, byte[] count, byte[] items, byte[] ratio) {
        ByteArrayEncoder out = new ByteArrayEncoder(64);
        out.writeString(orgId);
        out.writeRaw(count, 0, count.length);
        out.writeRaw(items, 0, items.length);
        out.writeLong(2);
        out.writeInt(-5);
        out.writeInt(300);
        out.writeLong(0);
        out.writeRaw(ratio, 0, ratio.length);
        return out.toByteArray();
    }

    private static final byte[] COUNT = {0x0A};
    private static final byte[] ITEMS = {0x04, 0x02, 'a', 0x04, 'b', 'c', 0x00};
    private static final byte[] RATIO = {0, 0, (byte) 0x80, 0x3F};

    @Test
    void canonicalHandRecordSealsDirectly() throws Exception {
        Pair pair = new Pair(HAND, DerivationOptions.of(MarkingRules.sensitiveOnly()), 3);
        byte[] avro = hand("org-1", COUNT, ITEMS, RATIO);
        assertThat(pair.direct(avro, "org-1")).isEqualTo(pair.generic(avro, "org-1"));
    }

    @Test
    void nonCanonicalEncodingsFallBackToSameBytes() throws Exception {
        Pair pair = new Pair(HAND, DerivationOptions.of(MarkingRules.sensitiveOnly()), 4);
        List<byte[]> inputs =
                List.of(
                        // count 5 as a two-byte varint
                        hand("org-1", new byte[] {(byte) 0x8A, 0x00}, ITEMS, RATIO),
                        // items in two blocks of one
                        hand(
                                "org-1",
                                COUNT,
                                new byte[] {0x02, 0x02, 'a', 0x02, 0x04, 'b', 'c', 0},
                                RATIO),
                        // items in one block with a negative count and a byte size
                        hand(
                                "org-1",
                                COUNT,
                                new byte[] {0x03, 0x0A, 0x02, 'a', 0x04, 'b', 'c', 0},
                                RATIO),
                        // a string length as a two-byte varint inside the marked value
                        hand(
                                "org-1",
                                COUNT,
                                new byte[] {0x04, (byte) 0x82, 0, 'a', 0x04, 'b', 'c', 0},
                                RATIO),
                        // a NaN with a payload
                        hand("org-1", COUNT, ITEMS, new byte[] {1, 0, (byte) 0xC0, 0x7F}));
        for (int i = 0; i < inputs.size(); i++) {
            byte[] avro = inputs.get(i);
            assertThat(needsFallback(pair, avro, RandomRecords.ORG)).as("input %d", i).isTrue();
            assertThat(pair.sealBinary(avro, "org-1"))
                    .as("input %d", i)
                    .isEqualTo(pair.generic(avro, "org-1"));
        }
    }

    @Test
    void malformedInputThrowsDecoderMessage() throws Exception {
        Pair pair = new Pair(HAND, DerivationOptions.of(MarkingRules.sensitiveOnly()), 5);
        byte[] valid = hand("org-1", COUNT, ITEMS, RATIO);
        byte[] truncated = Arrays.copyOf(valid, valid.length - 2);
        byte[] trailing = Arrays.copyOf(valid, valid.length + 1);
        byte[] badLength = valid.clone();
        badLength[0] = 0x7E;
        for (byte[] avro : List.of(truncated, trailing, badLength)) {
            String expected = decoderMessage(pair.decoder, avro);
            assertThatThrownBy(() -> pair.sealBinary(avro, "org-1"))
                    .isInstanceOf(MalformedRecordException.class)
                    .hasMessage(expected);
        }
        // No nonce was spent on the rejected inputs.
        assertThat(pair.sealBinary(valid, "org-1")).isEqualTo(pair.generic(valid, "org-1"));
    }

    @Test
    void otherOrgThrowsSameMessage() throws Exception {
        Pair pair = new Pair(HAND, DerivationOptions.of(MarkingRules.sensitiveOnly()), 6);
        byte[] avro = hand("org-2", COUNT, ITEMS, RATIO);
        assertThatThrownBy(() -> pair.sealBinary(avro, "org-1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "record's org id field 'org_id' contains org 'org-2', but the record is"
                                + " sealed for org 'org-1'");
        byte[] valid = hand("org-1", COUNT, ITEMS, RATIO);
        assertThat(pair.sealBinary(valid, "org-1")).isEqualTo(pair.generic(valid, "org-1"));
    }

    @Test
    void nullOrgIdThrowsSameMessage() throws Exception {
        Schema writer =
                parse(
                        "{'type':'record','name':'N','namespace':'test','fields':["
                                + "{'name':'org_id','type':['null','string']},"
                                + "{'name':'secret','type':'string','sensitive':true}]}");
        Pair pair = new Pair(writer, DerivationOptions.of(MarkingRules.sensitiveOnly()), 7);
        GenericData.Record record = new GenericData.Record(writer);
        record.put("secret", "s");
        byte[] avro = encode(writer, record);
        assertThatThrownBy(() -> pair.sealBinary(avro, "org-1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "record's org id field 'org_id' contains null, but the record is sealed"
                                + " for org 'org-1'");
    }

    @Test
    void javaStringSchemaTakesGenericPath() throws Exception {
        Schema writer =
                parse(
                        "{'type':'record','name':'J','namespace':'test','fields':["
                                + "{'name':'org_id','type':'string'},"
                                + "{'name':'secret','type':{'type':'string',"
                                + "'avro.java.string':'String'},'sensitive':true}]}");
        Pair pair = new Pair(writer, DerivationOptions.of(MarkingRules.sensitiveOnly()), 8);
        assertThat(pair.sealer.binaryUnsupportedReason())
                .isEqualTo("a string sets avro.java.string");
        GenericData.Record record = new GenericData.Record(writer);
        record.put("org_id", "org-1");
        record.put("secret", "s€cret");
        byte[] avro = encode(writer, record);
        assertThat(pair.sealBinary(avro, "org-1")).isEqualTo(pair.generic(avro, "org-1"));
    }

    @Test
    void plaintextBufferIsZeroedAfterSeal() throws Exception {
        // The sample's marked fields are apart in the input, so their encodings are copied.
        Pair pair =
                new Pair(
                        Sample.WRITER,
                        DerivationOptions.of(MarkingRules.withConfluentTags(List.of("PII"))),
                        9);
        byte[] avro = encodeCanonical(Sample.WRITER, Sample.record("org-1", "req-1"));
        pair.direct(avro, "org-1");
        Field field = BinarySealWalk.class.getDeclaredField("plaintext");
        field.setAccessible(true);
        ByteArrayEncoder plaintext = (ByteArrayEncoder) field.get(pair.walk);
        assertThat(plaintext.position()).isGreaterThan(100);
        assertThat(Arrays.copyOf(plaintext.buffer(), plaintext.position())).containsOnly(0);
    }

    @Test
    void sealBinaryOpensWithRecordOpener() throws Exception {
        Pair pair = new Pair(HAND, DerivationOptions.of(MarkingRules.sensitiveOnly()), 10);
        byte[] avro = hand("org-1", COUNT, ITEMS, RATIO);
        RecordOpener opener = RecordOpener.create(pair.derived);
        byte[] sealed = pair.sealBinary(avro, "org-1");
        GenericRecord opened = opener.open(opener.decode(sealed), pair.binaryDek);
        assertThat(encodeCanonical(HAND, opened)).isEqualTo(avro);
    }

    private static boolean needsFallback(Pair pair, byte[] avro, String orgId) throws Exception {
        Dek probe = Sample.randomDek();
        try {
            pair.walk.seal(avro, 0, avro.length, orgId, RECORD_ID, probe);
            return false;
        } catch (BinaryWalk.Fallback e) {
            assertThat(probe.remainingEncryptions()).isEqualTo(1L << 32);
            return true;
        }
    }

    private static String decoderMessage(StrictRecordDecoder decoder, byte[] avro) {
        try {
            decoder.decode(avro);
        } catch (MalformedRecordException e) {
            return e.getMessage();
        }
        throw new AssertionError("input decodes");
    }

    /** Encodes {@code record} with its maps in their iteration order. */
    static byte[] encode(Schema schema, GenericRecord record) {
        return encode(new GenericDatumWriter<>(schema, CanonicalDatumWriter.GENERIC_DATA), record);
    }

    /** Encodes {@code record} with its map entries sorted by key. */
    static byte[] encodeCanonical(Schema schema, GenericRecord record) {
        return encode(new CanonicalDatumWriter<>(schema), record);
    }

    private static byte[] encode(GenericDatumWriter<Object> writer, GenericRecord record) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        try {
            writer.write(record, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static Schema parse(String json) {
        return new Schema.Parser().parse(json.replace('\'', '"'));
    }
}
