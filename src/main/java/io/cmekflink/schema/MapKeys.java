package io.cmekflink.schema;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import org.apache.avro.util.Utf8;

/**
 * The order in which map entries are walked and written: by key, comparing the keys' UTF-8 bytes as
 * unsigned values.
 *
 * <p>Avro decodes a map into a {@code HashMap}, whose iteration order depends on the keys' hash
 * codes and the table's history, so the writer's order is lost. Sorting restores one order that
 * both the sealing and the opening side compute from the keys alone.
 */
public final class MapKeys {

    private MapKeys() {}

    /** One map entry with its key's UTF-8 bytes. */
    public record SortedEntry(byte[] keyBytes, int keyLength, Object key, Object value) {}

    /**
     * Returns the entries of {@code map} sorted by key.
     *
     * @throws IllegalArgumentException when two keys have the same UTF-8 bytes (a {@code String}
     *     and a {@code Utf8} with equal text, or strings that differ only in unpaired surrogates),
     *     because Avro would write both and decode only one
     */
    public static SortedEntry[] sortedEntries(Map<?, ?> map) {
        SortedEntry[] entries = new SortedEntry[map.size()];
        int i = 0;
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            entries[i++] = sortedEntry(entry.getKey(), entry.getValue());
        }
        if (i != entries.length) {
            throw new IllegalStateException("map changed while its entries were sorted");
        }
        if (entries.length > 1) {
            Arrays.sort(entries, MapKeys::compare);
            for (int j = 1; j < entries.length; j++) {
                if (compare(entries[j - 1], entries[j]) == 0) {
                    throw new IllegalArgumentException(
                            "map has two keys with the same UTF-8 bytes; use one key type per map");
                }
            }
        }
        return entries;
    }

    /**
     * Compares two keys in the order of their UTF-8 bytes without encoding them: Utf8 keys by their
     * bytes, other keys by code point, which orders the same way.
     */
    public static int compare(Object a, Object b) {
        if (a instanceof Utf8 x && b instanceof Utf8 y) {
            return Arrays.compareUnsigned(
                    x.getBytes(), 0, x.getByteLength(), y.getBytes(), 0, y.getByteLength());
        }
        String x = a.toString();
        String y = b.toString();
        int length = Math.min(x.length(), y.length());
        for (int i = 0; i < length; i++) {
            char c = x.charAt(i);
            char d = y.charAt(i);
            if (c != d) {
                return codePointOrder(c) - codePointOrder(d);
            }
        }
        return x.length() - y.length();
    }

    /**
     * Maps a UTF-16 unit so that units compare in code point order: surrogates (U+D800 to U+DFFF,
     * which start code points above U+FFFF) move above U+E000 to U+FFFF.
     */
    private static int codePointOrder(char c) {
        if (c >= 0xE000) {
            return c - 0x800;
        }
        if (c >= 0xD800) {
            return c + 0x2000;
        }
        return c;
    }

    /**
     * Returns whether the keys of {@code map} already iterate in sorted order, without duplicates.
     */
    public static boolean isSorted(Map<?, ?> map) {
        Object previous = null;
        for (Object key : map.keySet()) {
            if (key == null) {
                throw new IllegalArgumentException("map has a null key; Avro map keys are strings");
            }
            if (previous != null && compare(previous, key) >= 0) {
                return false;
            }
            previous = key;
        }
        return true;
    }

    private static SortedEntry sortedEntry(Object key, Object value) {
        if (key instanceof Utf8 utf8) {
            return new SortedEntry(utf8.getBytes(), utf8.getByteLength(), key, value);
        }
        if (key == null) {
            throw new IllegalArgumentException("map has a null key; Avro map keys are strings");
        }
        byte[] bytes = key.toString().getBytes(StandardCharsets.UTF_8);
        return new SortedEntry(bytes, bytes.length, key, value);
    }

    private static int compare(SortedEntry a, SortedEntry b) {
        return Arrays.compareUnsigned(a.keyBytes, 0, a.keyLength, b.keyBytes, 0, b.keyLength);
    }
}
