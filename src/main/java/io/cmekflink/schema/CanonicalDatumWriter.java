package io.cmekflink.schema;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;

/**
 * A generic datum writer that writes map entries sorted by key (see {@link MapKeys}), so that equal
 * values always encode to equal bytes, whichever {@code Map} implementation contains them.
 *
 * <p>It uses {@link #GENERIC_DATA}, a {@link GenericData} without logical-type conversions, so that
 * logical types are written from their underlying Avro values and round-trip byte for byte.
 *
 * <p>Thread safety: like {@link GenericDatumWriter}, one instance may be used by many threads.
 */
public final class CanonicalDatumWriter<D> extends GenericDatumWriter<D> {

    /**
     * The data model for every value this project encodes or decodes: generic records, no
     * logical-type conversions. It is a private instance because conversions added to {@link
     * GenericData#get()} by other code would change how values are read.
     */
    public static final GenericData GENERIC_DATA = new GenericData();

    public CanonicalDatumWriter(Schema schema) {
        super(schema, GENERIC_DATA);
    }

    @Override
    protected Iterable<Map.Entry<Object, Object>> getMapEntries(Object map) {
        Map<?, ?> entries = (Map<?, ?>) map;
        if (entries.size() < 2 || MapKeys.isSorted(entries)) {
            return super.getMapEntries(map);
        }
        List<Map.Entry<Object, Object>> sorted = new ArrayList<>(entries.size());
        super.getMapEntries(map).forEach(sorted::add);
        sorted.sort((a, b) -> MapKeys.compare(a.getKey(), b.getKey()));
        for (int i = 1; i < sorted.size(); i++) {
            if (MapKeys.compare(sorted.get(i - 1).getKey(), sorted.get(i).getKey()) == 0) {
                throw new IllegalArgumentException(
                        "map has two keys with the same UTF-8 bytes; use one key type per map");
            }
        }
        return sorted;
    }
}
