package io.cmekflink.crypto;

import io.cmekflink.schema.ByteArrayEncoder;
import io.cmekflink.schema.CanonicalDatumWriter;
import io.cmekflink.schema.SingleObjectEncoding;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericRecord;

/**
 * Encodes opened records into one reused buffer, with one datum writer per schema and map entries
 * sorted by key, as the binary open walk writes them. Avro's message encoder writes through a
 * synchronized stream byte by byte, which cost about 15% of the decrypt task's time in a profile of
 * the bench.
 *
 * <p>The buffer is zeroed after each record.
 *
 * <p>Thread safety: none; each thread needs its own.
 */
final class PlaintextWriter {

    private record SchemaWriter(CanonicalDatumWriter<GenericRecord> datum, long fingerprint) {}

    private final Map<Schema, SchemaWriter> writers = new IdentityHashMap<>();
    private final ByteArrayEncoder out = new ByteArrayEncoder(2048);

    /**
     * Returns the record's Avro binary encoding with sorted maps, after a single-object header (C3
     * 01 and the schema's CRC-64-AVRO fingerprint) when {@code singleObject} is set.
     */
    byte[] write(GenericRecord record, boolean singleObject) {
        SchemaWriter writer =
                writers.computeIfAbsent(
                        record.getSchema(),
                        schema ->
                                new SchemaWriter(
                                        new CanonicalDatumWriter<>(schema),
                                        SchemaNormalization.parsingFingerprint64(schema)));
        out.reset();
        if (singleObject) {
            SingleObjectEncoding.writeHeader(out, writer.fingerprint());
        }
        try {
            writer.datum().write(record, out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("encoding an opened record failed", e);
        } finally {
            // The buffer outlives the call, so it keeps no plaintext between records.
            Arrays.fill(out.buffer(), 0, out.position(), (byte) 0);
        }
    }
}
