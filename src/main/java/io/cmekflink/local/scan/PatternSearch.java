package io.cmekflink.local.scan;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;

/**
 * Finds every occurrence of a set of distinct byte patterns of any length in one pass.
 *
 * <p>Only the first {@code prefixLimit} bytes of each pattern (its key) go into an {@link
 * AhoCorasick} automaton, so the trie stays bounded when values are long: a request body of a few
 * KiB in ten encodings would otherwise add tens of thousands of nodes. When a key matches, the rest
 * of each pattern with that key is compared with the bytes that follow, in the same chunk or, for a
 * stream, in the chunks fed later. Matches are exact either way.
 *
 * <p>Instances are immutable and thread-safe. The pattern arrays passed to {@link #build} must not
 * change afterwards, because the comparison reads them.
 */
final class PatternSearch {

    /** Key length when none is given: long enough that unrelated values rarely share a key. */
    static final int DEFAULT_PREFIX_LIMIT = 32;

    private final List<byte[]> patterns;
    private final AhoCorasick automaton;
    private final int[] keyLengths;
    private final int[] groupStart;
    private final int[] groupMembers;

    /**
     * The position of one scan, for feeding an input in chunks. Not thread-safe.
     *
     * <p>It carries the automaton's state and the patterns whose key matched near the end of a
     * chunk and whose remaining bytes are still to be compared.
     */
    static final class Cursor {
        private int state = AhoCorasick.START;
        private long position;
        private final List<Pending> pending = new ArrayList<>();

        private Cursor(long position) {
            this.position = position;
        }

        /** Returns the input offset of the next byte to be fed. */
        long position() {
            return position;
        }
    }

    /** A pattern whose first {@code matched} bytes were found at input offset {@code start}. */
    private static final class Pending {
        final int pattern;
        final long start;
        int matched;

        Pending(int pattern, long start, int matched) {
            this.pattern = pattern;
            this.start = start;
            this.matched = matched;
        }
    }

    private PatternSearch(
            List<byte[]> patterns,
            AhoCorasick automaton,
            int[] keyLengths,
            int[] groupStart,
            int[] groupMembers) {
        this.patterns = patterns;
        this.automaton = automaton;
        this.keyLengths = keyLengths;
        this.groupStart = groupStart;
        this.groupMembers = groupMembers;
    }

    /** Builds a search with the default key length; pattern {@code i} is reported as {@code i}. */
    static PatternSearch build(List<byte[]> patterns) {
        return build(patterns, DEFAULT_PREFIX_LIMIT);
    }

    /**
     * Builds a search whose automaton contains at most {@code prefixLimit} bytes of each pattern.
     *
     * @throws IllegalArgumentException if a pattern is empty or two patterns are equal
     */
    static PatternSearch build(List<byte[]> patterns, int prefixLimit) {
        if (prefixLimit < 1) {
            throw new IllegalArgumentException("prefixLimit must be 1 or more, got " + prefixLimit);
        }
        List<byte[]> copy = List.copyOf(patterns);
        Integer[] order = sortedOrder(copy);
        List<byte[]> keys = new ArrayList<>();
        int[] groupStart = new int[copy.size() + 1];
        int[] groupMembers = new int[copy.size()];
        byte[] previous = null;
        for (int i = 0; i < order.length; i++) {
            byte[] pattern = copy.get(order[i]);
            if (pattern.length == 0) {
                throw new IllegalArgumentException("pattern " + order[i] + " is empty");
            }
            if (previous != null && Arrays.equals(previous, pattern)) {
                throw new IllegalArgumentException(
                        "pattern " + order[i] + " is a duplicate; pass distinct patterns");
            }
            byte[] key =
                    pattern.length <= prefixLimit ? pattern : Arrays.copyOf(pattern, prefixLimit);
            if (keys.isEmpty() || !Arrays.equals(keys.get(keys.size() - 1), key)) {
                groupStart[keys.size()] = i;
                keys.add(key);
            }
            groupMembers[i] = order[i];
            previous = pattern;
        }
        groupStart[keys.size()] = order.length;
        int[] keyLengths = keys.stream().mapToInt(key -> key.length).toArray();
        return new PatternSearch(
                copy,
                AhoCorasick.build(keys),
                keyLengths,
                Arrays.copyOf(groupStart, keys.size() + 1),
                groupMembers);
    }

    /**
     * Sorts pattern indexes by unsigned byte order, so that patterns sharing a key are adjacent.
     */
    private static Integer[] sortedOrder(List<byte[]> patterns) {
        Integer[] order = new Integer[patterns.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Arrays.compareUnsigned(patterns.get(a), patterns.get(b)));
        return order;
    }

    int patternCount() {
        return patterns.size();
    }

    byte[] pattern(int pattern) {
        return patterns.get(pattern);
    }

    int patternLength(int pattern) {
        return patterns.get(pattern).length;
    }

    int nodeCount() {
        return automaton.nodeCount();
    }

    /** Starts a scan whose first byte is at input offset {@code position}. */
    Cursor cursor(long position) {
        return new Cursor(position);
    }

    /**
     * Feeds {@code length} bytes of {@code data} from {@code offset} and reports each pattern that
     * ends in them with its exclusive end offset. A pattern whose remaining bytes lie beyond this
     * chunk is reported by a later call, or never if the input ends first.
     */
    void feed(
            Cursor cursor,
            byte[] data,
            int offset,
            int length,
            AhoCorasick.MatchListener listener) {
        Objects.checkFromIndexSize(offset, length, data.length);
        if (!cursor.pending.isEmpty()) {
            continuePending(cursor, data, offset, length, listener);
        }
        long position = cursor.position;
        int end = offset + length;
        AhoCorasick.MatchListener onKey =
                (key, keyEnd) -> {
                    int next = offset + (int) (keyEnd - position);
                    matchGroup(cursor, key, keyEnd, data, next, end, listener);
                };
        cursor.state = automaton.feed(cursor.state, data, offset, length, position, onKey);
        cursor.position += length;
    }

    /** Compares the bytes after a matched key with the rest of each pattern that has this key. */
    private void matchGroup(
            Cursor cursor,
            int key,
            long keyEnd,
            byte[] data,
            int next,
            int end,
            AhoCorasick.MatchListener listener) {
        int keyLength = keyLengths[key];
        for (int member = groupStart[key]; member < groupStart[key + 1]; member++) {
            int pattern = groupMembers[member];
            byte[] bytes = patterns.get(pattern);
            int rest = bytes.length - keyLength;
            int compared = Math.min(rest, end - next);
            if (!Arrays.equals(
                    bytes, keyLength, keyLength + compared, data, next, next + compared)) {
                continue;
            }
            if (compared == rest) {
                listener.onMatch(pattern, keyEnd + rest);
            } else {
                cursor.pending.add(new Pending(pattern, keyEnd - keyLength, keyLength + compared));
            }
        }
    }

    private void continuePending(
            Cursor cursor,
            byte[] data,
            int offset,
            int length,
            AhoCorasick.MatchListener listener) {
        Iterator<Pending> iterator = cursor.pending.iterator();
        while (iterator.hasNext()) {
            Pending pending = iterator.next();
            byte[] bytes = patterns.get(pending.pattern);
            int compared = Math.min(bytes.length - pending.matched, length);
            int from = pending.matched;
            if (!Arrays.equals(bytes, from, from + compared, data, offset, offset + compared)) {
                iterator.remove();
                continue;
            }
            pending.matched += compared;
            if (pending.matched == bytes.length) {
                listener.onMatch(pending.pattern, pending.start + bytes.length);
                iterator.remove();
            }
        }
    }
}
