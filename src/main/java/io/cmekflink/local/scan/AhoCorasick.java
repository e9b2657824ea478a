package io.cmekflink.local.scan;

import java.util.Arrays;
import java.util.List;

/**
 * An Aho-Corasick automaton over bytes that finds every occurrence of a fixed set of distinct
 * patterns in one pass, overlapping occurrences included, in time linear in the input plus the
 * number of matches.
 *
 * <p>Layout: the trie's nodes are numbered in breadth-first order, so the children of a node have
 * contiguous ids, sorted by unsigned label. Each node has a record of {@value #STRIDE} ints in one
 * array (first child, child count and first label, failure link, output link), so that a step along
 * a chain of single children, the common case below the shallow nodes, reads one cache line. The
 * first {@value #DENSE_ROWS} nodes (the root and the shallow nodes, where a scan spends most of its
 * time) also get a full 256-entry row of transitions with failure links resolved, so a step from
 * them is one array read. Deeper nodes fall back along failure links. Memory is about 21 bytes per
 * trie node plus 1 KiB per dense row.
 *
 * <p>Instances are immutable and thread-safe. A scan carries its state as an {@code int}, so one
 * input can be fed in chunks.
 */
final class AhoCorasick {

    /** Receives each match: the pattern's index in the build list and its exclusive end offset. */
    @FunctionalInterface
    interface MatchListener {
        void onMatch(int pattern, long endOffset);
    }

    /** Number of nodes that get a dense transition row, which costs at most 4 MiB. */
    static final int DENSE_ROWS = 4096;

    /** The root's state, where every scan of a new input starts. */
    static final int START = 0;

    /** Ints per node record. */
    static final int STRIDE = 4;

    /** Record slot of the first child's id. */
    private static final int FIRST_CHILD = 0;

    /** Record slot of {@code childCount << 8 | firstChildLabel}. */
    private static final int CHILDREN = 1;

    /** Record slot of the failure link: the node of the longest proper suffix in the trie. */
    private static final int FAIL = 2;

    /**
     * Record slot of the nearest node on the failure chain (this one included) that ends a pattern,
     * or -1.
     */
    private static final int OUTPUT = 3;

    private final int[] patternLengths;
    private final byte[] label;
    private final int[] terminal;
    private final int[] records;
    private final int denseLimit;
    private final int[] dense;

    private AhoCorasick(int[] patternLengths, Trie trie) {
        this.patternLengths = patternLengths;
        this.label = trie.label;
        this.terminal = trie.terminal;
        int nodes = label.length;
        this.records = new int[nodes * STRIDE];
        for (int node = 0; node < nodes; node++) {
            int first = trie.childStart[node];
            int count = trie.childStart[node + 1] - first;
            int firstLabel = count > 0 ? label[first] & 0xFF : 0;
            records[node * STRIDE + FIRST_CHILD] = first;
            records[node * STRIDE + CHILDREN] = count << 8 | firstLabel;
        }
        this.denseLimit = Math.min(nodes, DENSE_ROWS);
        this.dense = new int[denseLimit * 256];
        linkFailures(trie.parent);
    }

    /**
     * Builds the automaton for the given patterns; pattern {@code i} is reported as {@code i}.
     *
     * @throws IllegalArgumentException if a pattern is empty or two patterns are equal
     */
    static AhoCorasick build(List<byte[]> patterns) {
        int[] lengths = new int[patterns.size()];
        for (int i = 0; i < lengths.length; i++) {
            lengths[i] = patterns.get(i).length;
            if (lengths[i] == 0) {
                throw new IllegalArgumentException("pattern " + i + " is empty");
            }
        }
        return new AhoCorasick(lengths, Trie.build(patterns));
    }

    int patternCount() {
        return patternLengths.length;
    }

    int patternLength(int pattern) {
        return patternLengths[pattern];
    }

    int nodeCount() {
        return label.length;
    }

    /**
     * Feeds {@code length} bytes from {@code offset} of {@code data}, starting in {@code state},
     * and returns the state after the last byte. {@code position} is the input offset of {@code
     * data[offset]}, from which match end offsets are counted.
     */
    int feed(
            int state, byte[] data, int offset, int length, long position, MatchListener listener) {
        int s = state;
        int end = offset + length;
        for (int i = offset; i < end; i++) {
            int b = data[i] & 0xFF;
            s = s < denseLimit ? dense[(s << 8) | b] : step(s, b);
            if (records[s * STRIDE + OUTPUT] >= 0) {
                report(s, position + (i - offset) + 1, listener);
            }
        }
        return s;
    }

    private void report(int state, long endOffset, MatchListener listener) {
        int node = records[state * STRIDE + OUTPUT];
        while (node >= 0) {
            listener.onMatch(terminal[node], endOffset);
            node = records[records[node * STRIDE + FAIL] * STRIDE + OUTPUT];
        }
    }

    /** Returns the state after reading byte {@code b} in state {@code s}. */
    private int step(int s, int b) {
        int node = s;
        while (node >= denseLimit) {
            int child = child(node, b);
            if (child >= 0) {
                return child;
            }
            node = records[node * STRIDE + FAIL];
        }
        return dense[(node << 8) | b];
    }

    /** Returns the trie child of {@code node} with label {@code b}, or -1. */
    private int child(int node, int b) {
        int base = node * STRIDE;
        int children = records[base + CHILDREN];
        int count = children >>> 8;
        int first = records[base + FIRST_CHILD];
        if (count <= 1) {
            return count == 1 && (children & 0xFF) == b ? first : -1;
        }
        int low = first;
        int high = first + count - 1;
        while (low <= high) {
            int mid = (low + high) >>> 1;
            int midLabel = label[mid] & 0xFF;
            if (midLabel < b) {
                low = mid + 1;
            } else if (midLabel > b) {
                high = mid - 1;
            } else {
                return mid;
            }
        }
        return -1;
    }

    /**
     * Computes failure links, output links and dense rows in breadth-first order, so that every
     * node a step depends on (its parent's failure chain, all shallower) is already complete.
     */
    private void linkFailures(int[] parent) {
        records[START * STRIDE + FAIL] = START;
        records[START * STRIDE + OUTPUT] = -1;
        fillDenseRow(START);
        for (int v = 1; v < label.length; v++) {
            int p = parent[v];
            int f = p == START ? START : transition(records[p * STRIDE + FAIL], label[v] & 0xFF);
            records[v * STRIDE + FAIL] = f;
            records[v * STRIDE + OUTPUT] = terminal[v] >= 0 ? v : records[f * STRIDE + OUTPUT];
            if (v < denseLimit) {
                fillDenseRow(v);
            }
        }
    }

    private int transition(int s, int b) {
        return s < denseLimit ? dense[(s << 8) | b] : step(s, b);
    }

    private void fillDenseRow(int s) {
        int row = s << 8;
        int fallback = records[s * STRIDE + FAIL] << 8;
        for (int b = 0; b < 256; b++) {
            int child = child(s, b);
            if (child >= 0) {
                dense[row | b] = child;
            } else {
                dense[row | b] = s == START ? START : dense[fallback | b];
            }
        }
    }

    /** A trie numbered in breadth-first order, built by inserting the patterns in sorted order. */
    private static final class Trie {
        final byte[] label;
        final int[] childStart;
        final int[] parent;
        final int[] terminal;

        private Trie(int nodes) {
            label = new byte[nodes];
            childStart = new int[nodes + 1];
            parent = new int[nodes];
            terminal = new int[nodes];
        }

        static Trie build(List<byte[]> patterns) {
            Integer[] order = sortedOrder(patterns);
            int nodes = countNodes(patterns, order);
            DepthFirstTrie insertion = DepthFirstTrie.insert(patterns, order, nodes);
            return insertion.renumberBreadthFirst();
        }

        private static Integer[] sortedOrder(List<byte[]> patterns) {
            Integer[] order = new Integer[patterns.size()];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> Arrays.compareUnsigned(patterns.get(a), patterns.get(b)));
            return order;
        }

        /** Counts nodes as 1 + the sum of each sorted pattern's length beyond its predecessor. */
        private static int countNodes(List<byte[]> patterns, Integer[] order) {
            long nodes = 1;
            byte[] previous = new byte[0];
            for (Integer index : order) {
                byte[] pattern = patterns.get(index);
                int common = commonPrefix(previous, pattern);
                if (common == pattern.length) {
                    throw new IllegalArgumentException(
                            "pattern " + index + " is a duplicate; pass distinct patterns");
                }
                nodes += pattern.length - common;
                previous = pattern;
            }
            if (nodes > Integer.MAX_VALUE / STRIDE) {
                throw new IllegalArgumentException(
                        "patterns need "
                                + nodes
                                + " trie nodes, more than the maximum of "
                                + Integer.MAX_VALUE / STRIDE
                                + "; search fewer or shorter patterns");
            }
            return (int) nodes;
        }

        private static int commonPrefix(byte[] a, byte[] b) {
            int mismatch = Arrays.mismatch(a, b);
            return mismatch < 0 ? a.length : mismatch;
        }
    }

    /**
     * The trie as sorted insertion creates it: sibling lists in ascending label order, because a
     * pattern sorted later never adds a child with a smaller label to an existing node.
     */
    private static final class DepthFirstTrie {
        final byte[] label;
        final int[] firstChild;
        final int[] lastChild;
        final int[] nextSibling;
        final int[] terminal;
        int size = 1;

        private DepthFirstTrie(int nodes) {
            label = new byte[nodes];
            firstChild = new int[nodes];
            lastChild = new int[nodes];
            nextSibling = new int[nodes];
            terminal = new int[nodes];
            Arrays.fill(firstChild, -1);
            Arrays.fill(nextSibling, -1);
            Arrays.fill(terminal, -1);
        }

        static DepthFirstTrie insert(List<byte[]> patterns, Integer[] order, int nodes) {
            DepthFirstTrie trie = new DepthFirstTrie(nodes);
            int maxLength = 0;
            for (byte[] pattern : patterns) {
                maxLength = Math.max(maxLength, pattern.length);
            }
            // path[d] is the node at depth d on the previous pattern's path.
            int[] path = new int[maxLength + 1];
            byte[] previous = new byte[0];
            for (Integer index : order) {
                byte[] pattern = patterns.get(index);
                int depth = Trie.commonPrefix(previous, pattern);
                for (int d = depth; d < pattern.length; d++) {
                    path[d + 1] = trie.addChild(path[d], pattern[d]);
                }
                trie.terminal[path[pattern.length]] = index;
                previous = pattern;
            }
            return trie;
        }

        private int addChild(int node, byte childLabel) {
            int child = size++;
            label[child] = childLabel;
            if (firstChild[node] < 0) {
                firstChild[node] = child;
            } else {
                nextSibling[lastChild[node]] = child;
            }
            lastChild[node] = child;
            return child;
        }

        /** Renumbers the nodes breadth-first, so each node's children get contiguous ids. */
        Trie renumberBreadthFirst() {
            Trie trie = new Trie(size);
            int[] queue = new int[size];
            int tail = 1;
            queue[0] = 0;
            trie.terminal[0] = terminal[0];
            for (int head = 0; head < size; head++) {
                trie.childStart[head] = tail;
                for (int c = firstChild[queue[head]]; c >= 0; c = nextSibling[c]) {
                    trie.label[tail] = label[c];
                    trie.parent[tail] = head;
                    trie.terminal[tail] = terminal[c];
                    queue[tail++] = c;
                }
            }
            trie.childStart[size] = tail;
            return trie;
        }
    }
}
