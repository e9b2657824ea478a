package io.cmekflink.local.scan;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/** Random needles and haystacks, and a naive search to check the automaton against. */
final class SearchFixtures {

    /** One match: pattern index and exclusive end offset. */
    record Match(int pattern, long end) {}

    private SearchFixtures() {}

    /** Random distinct needles, where about a third are prefixes or suffixes of earlier ones. */
    static List<byte[]> distinctNeedles(Random random, int alphabet, int count, int maxLength) {
        List<byte[]> needles = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        int attempts = 0;
        while (needles.size() < count && attempts++ < count * 50) {
            byte[] needle;
            int choice = random.nextInt(3);
            if (choice > 0 && !needles.isEmpty()) {
                byte[] other = needles.get(random.nextInt(needles.size()));
                int length = 1 + random.nextInt(other.length);
                needle =
                        choice == 1
                                ? Arrays.copyOf(other, length)
                                : Arrays.copyOfRange(other, other.length - length, other.length);
            } else {
                needle = randomBytes(random, alphabet, 1 + random.nextInt(maxLength));
            }
            if (seen.add(Arrays.toString(needle))) {
                needles.add(needle);
            }
        }
        return needles;
    }

    static byte[] randomBytes(Random random, int alphabet, int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] =
                    (byte) (alphabet == 256 ? random.nextInt(256) : 'a' + random.nextInt(alphabet));
        }
        return bytes;
    }

    static void plantSome(Random random, List<byte[]> needles, byte[] haystack) {
        for (int i = 0; i < 200; i++) {
            byte[] needle = needles.get(random.nextInt(needles.size()));
            int at = random.nextInt(haystack.length - needle.length + 1);
            System.arraycopy(needle, 0, haystack, at, needle.length);
        }
    }

    /** Compares every needle at every start offset, using the first byte as an index. */
    static List<Match> naive(List<byte[]> needles, byte[] haystack) {
        List<List<Integer>> byFirstByte = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            byFirstByte.add(new ArrayList<>());
        }
        for (int p = 0; p < needles.size(); p++) {
            byFirstByte.get(needles.get(p)[0] & 0xFF).add(p);
        }
        List<Match> matches = new ArrayList<>();
        for (int start = 0; start < haystack.length; start++) {
            for (int p : byFirstByte.get(haystack[start] & 0xFF)) {
                byte[] needle = needles.get(p);
                int end = start + needle.length;
                if (end <= haystack.length
                        && Arrays.equals(needle, 0, needle.length, haystack, start, end)) {
                    matches.add(new Match(p, end));
                }
            }
        }
        return sorted(matches);
    }

    static List<Match> sorted(List<Match> matches) {
        List<Match> copy = new ArrayList<>(matches);
        copy.sort(
                (a, b) ->
                        a.end() != b.end()
                                ? Long.compare(a.end(), b.end())
                                : a.pattern() - b.pattern());
        return copy;
    }
}
