package io.cmekflink.ingest;

import java.io.IOException;
import java.util.List;
import org.apache.avro.AvroTypeException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.Decoder;
import org.apache.avro.io.ResolvingDecoder;

/**
 * Avro's generic reader with a nesting bound and failure paths. Each record, array and map adds its
 * segment to a {@link DecodeFailure} on the way out. Input errors of {@link
 * io.cmekflink.schema.BoundedBinaryDecoder} and runtime failures of Avro (a union branch or enum
 * index out of range) become one.
 *
 * <p>Avro 1.12.1 turns on its fast reader by default, which would bypass these overrides, so the
 * reader uses its own {@link GenericData} with the fast reader off. Not thread-safe.
 */
final class PathTrackingDatumReader extends GenericDatumReader<GenericRecord> {

    private final int maxDepth;
    private final long[] itemCounts;
    private int depth;

    PathTrackingDatumReader(Schema schema, int maxDepth) {
        super(schema, schema, plainGenericData());
        this.maxDepth = maxDepth;
        this.itemCounts = new long[maxDepth + 1];
    }

    private static GenericData plainGenericData() {
        GenericData data = new GenericData();
        data.setFastReaderEnabled(false);
        return data;
    }

    /** Resets the nesting state after a failed read. */
    void resetDepth() {
        depth = 0;
    }

    @Override
    protected Object readRecord(Object old, Schema expected, ResolvingDecoder in)
            throws IOException {
        enter();
        try {
            return super.readRecord(old, expected, in);
        } finally {
            depth--;
        }
    }

    @Override
    protected void readField(
            Object record, Schema.Field field, Object oldDatum, ResolvingDecoder in, Object state)
            throws IOException {
        try {
            super.readField(record, field, oldDatum, in, state);
        } catch (IOException e) {
            throw DecodeFailure.fromRead(e).inField(field.name());
        } catch (RuntimeException e) {
            throw fromAvro(e).inField(field.name());
        }
    }

    @Override
    protected Object readEnum(Schema expected, Decoder in) throws IOException {
        int index = in.readEnum();
        List<String> symbols = expected.getEnumSymbols();
        if (index < 0 || index >= symbols.size()) {
            // The index is left out of the message: bytes of another schema can put a field
            // value where the index is expected.
            throw DecodeFailure.malformed(
                    "enum index is out of range for "
                            + expected.getFullName()
                            + " ("
                            + symbols.size()
                            + " symbols)");
        }
        return createEnum(symbols.get(index), expected);
    }

    @Override
    protected Object readArray(Object old, Schema expected, ResolvingDecoder in)
            throws IOException {
        int level = enter();
        itemCounts[level] = 0;
        try {
            return super.readArray(old, expected, in);
        } catch (IOException e) {
            throw DecodeFailure.fromRead(e).inItem(itemCounts[level]);
        } catch (RuntimeException e) {
            throw fromAvro(e).inItem(itemCounts[level]);
        } finally {
            depth--;
        }
    }

    @Override
    protected void addToArray(Object array, long pos, Object e) {
        super.addToArray(array, pos, e);
        itemCounts[depth] = pos + 1;
    }

    @Override
    protected Object readMap(Object old, Schema expected, ResolvingDecoder in) throws IOException {
        int level = enter();
        itemCounts[level] = 0;
        try {
            return super.readMap(old, expected, in);
        } catch (IOException e) {
            throw DecodeFailure.fromRead(e).inEntry(itemCounts[level]);
        } catch (RuntimeException e) {
            throw fromAvro(e).inEntry(itemCounts[level]);
        } finally {
            depth--;
        }
    }

    @Override
    protected void addToMap(Object map, Object key, Object value) {
        super.addToMap(map, key, value);
        itemCounts[depth]++;
    }

    private int enter() throws DecodeFailure {
        if (depth == maxDepth) {
            throw DecodeFailure.malformed("nesting is deeper than the max depth " + maxDepth);
        }
        return ++depth;
    }

    /**
     * Converts a runtime failure of Avro's reader. Only {@link AvroTypeException} messages are
     * kept: with equal reader and writer schemas they name symbols and indexes, never data.
     */
    static DecodeFailure fromAvro(RuntimeException e) {
        if (e instanceof AvroTypeException) {
            return DecodeFailure.malformed(
                    "data does not match the writer schema: " + e.getMessage());
        }
        if (e instanceof IndexOutOfBoundsException) {
            // Enum indexes are checked in readEnum, so this is a union's branch index.
            return DecodeFailure.malformed("union branch index is out of range");
        }
        return DecodeFailure.malformed(
                "data does not match the writer schema (" + e.getClass().getSimpleName() + ")");
    }
}
