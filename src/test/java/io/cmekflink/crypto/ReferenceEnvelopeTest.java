package io.cmekflink.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cmekflink.dek.Dek;
import io.cmekflink.schema.ByteArrayEncoder;
import io.cmekflink.schema.CanonicalDatumWriter;
import io.cmekflink.schema.EnvelopeSchema;
import io.cmekflink.schema.SingleObjectEncoding;
import io.cmekflink.schema.StrictRecordDecoder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Records sealed under a DEK with a data-key reference: envelope format version 2, which carries an
 * empty key ARN and the 16-byte reference in place of the EDEK. The associated data is the same for
 * both versions.
 */
class ReferenceEnvelopeTest {

    private static final RecordId RECORD_ID = new RecordId("requests", 1, 42);
    private static final byte[] REFERENCE = {
        1, 0, 3, 0, 0, 0, 0, 4, (byte) 0xD2, 9, 8, 7, 6, 5, 4, 3
    };
    private static final ExecutorService OTHER_THREAD = Executors.newSingleThreadExecutor();

    private final RecordSealer sealer = RecordSealer.create(Sample.DERIVED);
    private final RecordOpener opener = RecordOpener.create(Sample.DERIVED);

    @AfterAll
    static void stopOtherThread() {
        OTHER_THREAD.shutdownNow();
    }

    private static Dek dek(byte[] key, int fixedField, byte[] reference) {
        return Dek.takeOwnershipForEncryption(
                key.clone(), Sample.EDEK, Sample.KEY_ARN, reference, 1L << 32, fixedField);
    }

    private static byte[] key(long seed) {
        byte[] key = new byte[Dek.KEY_BYTES];
        new Random(seed).nextBytes(key);
        return key;
    }

    private static byte[] avro(GenericRecord record) {
        ByteArrayEncoder out = new ByteArrayEncoder(1024);
        try {
            new CanonicalDatumWriter<GenericRecord>(record.getSchema()).write(record, out);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }

    private byte[] sealBinary(GenericRecord record, Dek dek) throws Exception {
        byte[] avro = avro(record);
        return sealer.sealBinary(avro, 0, avro.length, "org-1", RECORD_ID, dek);
    }

    /** Re-encodes {@code sealed} with its envelope changed by {@code change}. */
    private byte[] withEnvelope(byte[] sealed, java.util.function.Consumer<GenericRecord> change)
            throws Exception {
        GenericRecord derived = opener.decode(sealed);
        change.accept((GenericRecord) derived.get(EnvelopeSchema.FIELD_NAME));
        ByteArrayEncoder out = new ByteArrayEncoder(2048);
        SingleObjectEncoding.writeHeader(out, Sample.DERIVED.layoutFingerprint());
        new CanonicalDatumWriter<GenericRecord>(derived.getSchema()).write(derived, out);
        return out.toByteArray();
    }

    @Test
    void envelopeCarriesOnlyReference() throws Exception {
        Dek dek = dek(key(1), 77, REFERENCE);
        byte[] sealed = sealBinary(Sample.record("org-1", "req-1"), dek);

        Envelope envelope = RecordOpener.envelopeOf(opener.decode(sealed));

        assertThat(envelope.formatVersion()).isEqualTo(2);
        assertThat(envelope.hasReference()).isTrue();
        assertThat(envelope.keyArn()).isEmpty();
        assertThat(envelope.edek()).isEqualTo(REFERENCE);
        assertThat(envelope.orgId()).isEqualTo("org-1");
        assertThat(envelope.recordId()).isEqualTo(RECORD_ID);
        // Neither the key ARN nor the EDEK appears anywhere in the record.
        String bytes = new String(sealed, StandardCharsets.ISO_8859_1);
        assertThat(bytes).doesNotContain(new String(Sample.EDEK, StandardCharsets.ISO_8859_1));
        assertThat(bytes).doesNotContain(Sample.KEY_ARN);
    }

    @Test
    void referenceRecordIsSmaller() throws Exception {
        byte[] key = key(2);
        GenericRecord record = Sample.record("org-1", "req-2");
        byte[] full =
                sealBinary(
                        record,
                        Dek.takeOwnershipForEncryption(
                                key.clone(), Sample.EDEK, Sample.KEY_ARN, 1L << 32, 5));
        byte[] referenced = sealBinary(record, dek(key, 5, REFERENCE));

        int keyArnBytes = Sample.KEY_ARN.length();
        assertThat(full.length - referenced.length)
                .isEqualTo(
                        keyArnBytes
                                + Sample.EDEK.length
                                - REFERENCE.length
                                // Length prefixes: the key ARN's shrinks from 2 bytes to 1.
                                + 1);
    }

    @Test
    void sealersWriteSameBytes() throws Exception {
        byte[] key = key(3);
        Dek binaryDek = dek(key, 91, REFERENCE);
        Dek genericDek = dek(key, 91, REFERENCE);
        StrictRecordDecoder decoder = new StrictRecordDecoder(Sample.WRITER);
        for (int i = 0; i < 20; i++) {
            byte[] avro = avro(Sample.record("org-1", "req-" + i));
            byte[] binary = sealer.sealBinary(avro, 0, avro.length, "org-1", RECORD_ID, binaryDek);
            GenericRecord input = decoder.decode(avro);
            byte[] generic =
                    OTHER_THREAD
                            .submit(() -> sealer.sealToBytes(input, "org-1", RECORD_ID, genericDek))
                            .get();
            assertThat(binary).as("record %d", i).isEqualTo(generic);
        }
    }

    @Test
    void opensOnBothPaths() throws Exception {
        Dek dek = dek(key(4), 3, REFERENCE);
        GenericRecord record = Sample.record("org-1", "req-4");
        byte[] avro = avro(record);
        byte[] sealed = sealBinary(record, dek);

        SealedRecord read = opener.read(sealed);

        assertThat(read.opening()).as("read by the binary walk").isNotNull();
        assertThat(read.hasReference()).isTrue();
        assertThat(read.keyArn()).isEmpty();
        assertThat(read.edek()).isEqualTo(REFERENCE);
        assertThat(opener.openToBytes(read, dek, false)).isEqualTo(avro);
        assertThat(avro(opener.open(opener.decode(sealed), dek))).isEqualTo(avro);
    }

    @Test
    void layoutsConvertByEnvelopeRewrite() throws Exception {
        byte[] key = key(5);
        GenericRecord record = Sample.record("org-1", "req-5");
        byte[] avro = avro(record);
        Dek referenceDek = dek(key, 8, REFERENCE);
        Dek fullDek =
                Dek.takeOwnershipForEncryption(
                        key.clone(), Sample.EDEK, Sample.KEY_ARN, 1L << 32, 9);

        // A record of format version 2 given the entry's key ARN and EDEK, as version 1.
        byte[] toFull =
                withEnvelope(
                        sealBinary(record, referenceDek),
                        e -> {
                            e.put(EnvelopeSchema.FORMAT_VERSION_FIELD, 1);
                            e.put(EnvelopeSchema.KEY_ARN_FIELD, Sample.KEY_ARN);
                            e.put(EnvelopeSchema.EDEK_FIELD, ByteBuffer.wrap(Sample.EDEK));
                        });
        // A record of format version 1 given a reference, as version 2.
        byte[] toReference =
                withEnvelope(
                        sealBinary(record, fullDek),
                        e -> {
                            e.put(EnvelopeSchema.FORMAT_VERSION_FIELD, 2);
                            e.put(EnvelopeSchema.KEY_ARN_FIELD, "");
                            e.put(EnvelopeSchema.EDEK_FIELD, ByteBuffer.wrap(REFERENCE));
                        });

        assertThat(opener.read(toFull).hasReference()).isFalse();
        assertThat(opener.openToBytes(opener.read(toFull), fullDek, false)).isEqualTo(avro);
        assertThat(opener.read(toReference).hasReference()).isTrue();
        assertThat(opener.openToBytes(opener.read(toReference), fullDek, false)).isEqualTo(avro);
        assertThat(avro(opener.open(opener.decode(toReference), fullDek))).isEqualTo(avro);
        Dek otherDek = dek(key(9), 8, REFERENCE);
        assertThatThrownBy(() -> opener.openToBytes(opener.read(toReference), otherDek, false))
                .isInstanceOf(TamperedRecordException.class);
    }

    @Test
    void otherReferenceSameDekOpens() throws Exception {
        // The tag does not cover the reference, so re-wrapping can point a record at a new entry
        // of the same DEK. An entry of another DEK fails the tag.
        Dek dek = dek(key(6), 4, REFERENCE);
        GenericRecord record = Sample.record("org-1", "req-6");
        byte[] other = REFERENCE.clone();
        other[15] ^= 1;
        byte[] moved =
                withEnvelope(
                        sealBinary(record, dek),
                        e -> e.put(EnvelopeSchema.EDEK_FIELD, ByteBuffer.wrap(other)));

        assertThat(opener.openToBytes(opener.read(moved), dek, false)).isEqualTo(avro(record));
        Dek otherDek = dek(key(7), 4, other);
        assertThatThrownBy(() -> opener.openToBytes(opener.read(moved), otherDek, false))
                .isInstanceOf(TamperedRecordException.class);
    }

    @Test
    void shortReferenceIsRejected() throws Exception {
        Dek dek = dek(key(8), 4, REFERENCE);
        byte[] moved =
                withEnvelope(
                        sealBinary(Sample.record("org-1", "req-8"), dek),
                        e -> e.put(EnvelopeSchema.EDEK_FIELD, ByteBuffer.wrap(new byte[15])));

        assertThatThrownBy(() -> opener.read(moved))
                .isInstanceOf(InvalidCiphertextException.class)
                .hasMessage(
                        "envelope's data-key reference has 15 bytes; it must have 16 (org org-1,"
                                + " record requests/1/42)");
    }
}
