package io.cmekflink.local.bench;

import io.cmekflink.schema.EnvelopeSchema;
import io.cmekflink.schema.SingleObjectEncoding;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;

/**
 * Rewrites encrypted records into the data-key reference layout that the benchmark measures, as if
 * the key ARN and the EDEK were kept once per DEK in a compacted data-key topic. The envelope's key
 * ARN becomes empty and its EDEK becomes {@value #REFERENCE_BYTES} random bytes, the same for all
 * records of one DEK. With {@code withoutContext}, the encryption context is emptied too, because
 * the data-key topic's entry would bind the DEK to its org.
 *
 * <p>Everything else stays as the job wrote it. An empty string, an empty map and a bytes length
 * prefix cost 3 bytes that a dedicated layout would save, so sizes measured on the result are an
 * upper bound within 3 bytes. The rewritten records cannot be decrypted: they only measure what the
 * layout would cost to store and to write.
 *
 * <p>Thread safety: none; each thread needs its own instance.
 */
final class DataKeyReferences {

    static final int REFERENCE_BYTES = 16;

    private final GenericDatumReader<GenericRecord> reader;
    private final GenericDatumWriter<GenericRecord> writer;
    private final boolean withoutContext;
    private final Map<ByteBuffer, ByteBuffer> references = new HashMap<>();
    private final SecureRandom random = new SecureRandom();
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream(2048);
    private BinaryDecoder decoder;
    private BinaryEncoder encoder;

    DataKeyReferences(Schema derivedSchema, boolean withoutContext) {
        this.reader = new GenericDatumReader<>(derivedSchema);
        this.writer = new GenericDatumWriter<>(derivedSchema);
        this.withoutContext = withoutContext;
    }

    /**
     * Returns {@code value}, an encrypted record in single-object encoding, in the reference
     * layout.
     *
     * @throws IOException when the value does not decode with the derived schema
     */
    byte[] rewrite(byte[] value) throws IOException {
        int header = SingleObjectEncoding.HEADER_BYTES;
        decoder = DecoderFactory.get().binaryDecoder(value, header, value.length - header, decoder);
        GenericRecord derived = reader.read(null, decoder);

        GenericRecord envelope = (GenericRecord) derived.get(EnvelopeSchema.FIELD_NAME);
        ByteBuffer edek = (ByteBuffer) envelope.get(EnvelopeSchema.EDEK_FIELD);
        ByteBuffer reference = references.computeIfAbsent(edek, key -> newReference());
        envelope.put(EnvelopeSchema.KEY_ARN_FIELD, "");
        envelope.put(EnvelopeSchema.EDEK_FIELD, reference.duplicate());
        if (withoutContext) {
            envelope.put(EnvelopeSchema.ENCRYPTION_CONTEXT_FIELD, Map.of());
        }

        bytes.reset();
        bytes.write(value, 0, header);
        encoder = EncoderFactory.get().directBinaryEncoder(bytes, encoder);
        writer.write(derived, encoder);
        encoder.flush();
        return bytes.toByteArray();
    }

    private ByteBuffer newReference() {
        byte[] reference = new byte[REFERENCE_BYTES];
        random.nextBytes(reference);
        return ByteBuffer.wrap(reference);
    }
}
