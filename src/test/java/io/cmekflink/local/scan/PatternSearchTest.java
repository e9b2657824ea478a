package io.cmekflink.local.scan;

import static io.cmekflink.local.scan.SearchFixtures.distinctNeedles;
import static io.cmekflink.local.scan.SearchFixtures.naive;
import static io.cmekflink.local.scan.SearchFixtures.plantSome;
import static io.cmekflink.local.scan.SearchFixtures.randomBytes;
import static io.cmekflink.local.scan.SearchFixtures.sorted;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cmekflink.local.scan.SearchFixtures.Match;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PatternSearchTest {

    @ParameterizedTest(name = "key {0} bytes, alphabet {1}, {2} needles up to {3} bytes")
    @CsvSource({
        "1, 2, 60, 12",
        "3, 3, 300, 20",
        "4, 4, 1000, 40",
        "8, 26, 500, 60",
        "32, 256, 2000, 120",
        "32, 4, 2000, 120"
    })
    void matchesNaiveSearch(int prefixLimit, int alphabet, int needleCount, int maxLength) {
        Random random = new Random(97L * prefixLimit + alphabet);
        List<byte[]> needles = distinctNeedles(random, alphabet, needleCount, maxLength);
        PatternSearch search = PatternSearch.build(needles, prefixLimit);
        for (int round = 0; round < 4; round++) {
            byte[] haystack = randomBytes(random, alphabet, 20_000);
            plantSome(random, needles, haystack);
            List<Match> expected = naive(needles, haystack);
            assertThat(expected).isNotEmpty();
            assertThat(matchesWhole(search, haystack)).isEqualTo(expected);
            assertThat(matchesChunked(search, haystack, random)).isEqualTo(expected);
        }
    }

    @Test
    void longNeedlesSharingKeyAllMatch() {
        String common = "x".repeat(40);
        List<byte[]> needles = ascii(common + "a", common + "ab", common + "b", common);
        PatternSearch search = PatternSearch.build(needles, 8);
        byte[] haystack = ascii("-" + common + "ab-" + common + "b");
        assertThat(matchesWhole(search, haystack)).isEqualTo(naive(needles, haystack));
        assertThat(matchesWhole(search, haystack))
                .containsExactly(
                        new Match(3, 41),
                        new Match(0, 42),
                        new Match(1, 43),
                        new Match(3, 84),
                        new Match(2, 85));
    }

    @Test
    void remainderComparedAcrossChunks() {
        byte[] needle = ascii("0123456789abcdefghij");
        PatternSearch search = PatternSearch.build(List.of(needle), 4);
        byte[] haystack = ascii("..0123456789abcdefghij..");
        for (int split = 0; split <= haystack.length; split++) {
            List<Match> matches = new ArrayList<>();
            PatternSearch.Cursor cursor = search.cursor(0);
            search.feed(cursor, haystack, 0, split, (p, end) -> matches.add(new Match(p, end)));
            search.feed(
                    cursor,
                    haystack,
                    split,
                    haystack.length - split,
                    (p, end) -> matches.add(new Match(p, end)));
            assertThat(matches).as("split at %d", split).containsExactly(new Match(0, 22));
            assertThat(cursor.position()).isEqualTo(haystack.length);
        }
    }

    @Test
    void truncatedInputReportsNothing() {
        PatternSearch search = PatternSearch.build(List.of(ascii("0123456789abcdef")), 4);
        assertThat(matchesWhole(search, ascii("..0123456789abcde"))).isEmpty();
    }

    @Test
    void mismatchAfterChunkDropsCandidate() {
        PatternSearch search = PatternSearch.build(List.of(ascii("0123456789abcdef")), 4);
        List<Match> matches = new ArrayList<>();
        PatternSearch.Cursor cursor = search.cursor(0);
        byte[] first = ascii("..01234567");
        byte[] second = ascii("89abcdeX 0123456789abcdef");
        search.feed(cursor, first, 0, first.length, (p, end) -> matches.add(new Match(p, end)));
        search.feed(cursor, second, 0, second.length, (p, end) -> matches.add(new Match(p, end)));
        assertThat(matches).containsExactly(new Match(0, first.length + second.length));
    }

    @Test
    void cursorStartsAtGivenPosition() {
        PatternSearch search = PatternSearch.build(List.of(ascii("0123456789abcdef")), 4);
        List<Match> matches = new ArrayList<>();
        byte[] data = ascii("0123456789abcdef");
        PatternSearch.Cursor cursor = search.cursor(5_000_000_000L);
        search.feed(cursor, data, 0, data.length, (p, end) -> matches.add(new Match(p, end)));
        assertThat(matches).containsExactly(new Match(0, 5_000_000_016L));
    }

    @Test
    void keysBoundTrieSize() {
        Random random = new Random(3);
        List<byte[]> needles = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            needles.add(randomBytes(random, 256, 1000));
        }
        PatternSearch search = PatternSearch.build(needles, 32);
        assertThat(search.nodeCount()).isLessThanOrEqualTo(1 + 1000 * 32);
        assertThat(search.patternLength(7)).isEqualTo(1000);
    }

    @Test
    void duplicateNeedleRejected() {
        assertThatThrownBy(() -> PatternSearch.build(ascii("abcdefgh1", "x", "abcdefgh1"), 4))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("pattern 2 is a duplicate; pass distinct patterns");
    }

    @Test
    void emptyNeedleRejected() {
        assertThatThrownBy(() -> PatternSearch.build(List.of(ascii("abc"), new byte[0]), 4))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("pattern 1 is empty");
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static List<byte[]> ascii(String... texts) {
        return Arrays.stream(texts).map(PatternSearchTest::ascii).toList();
    }

    private static List<Match> matchesWhole(PatternSearch search, byte[] haystack) {
        List<Match> matches = new ArrayList<>();
        search.feed(
                search.cursor(0),
                haystack,
                0,
                haystack.length,
                (p, end) -> matches.add(new Match(p, end)));
        return sorted(matches);
    }

    /** Feeds the haystack in random chunks of 0 to 49 bytes through one cursor. */
    private static List<Match> matchesChunked(
            PatternSearch search, byte[] haystack, Random random) {
        List<Match> matches = new ArrayList<>();
        PatternSearch.Cursor cursor = search.cursor(0);
        int offset = 0;
        while (offset < haystack.length) {
            int length = Math.min(random.nextInt(50), haystack.length - offset);
            search.feed(
                    cursor, haystack, offset, length, (p, end) -> matches.add(new Match(p, end)));
            offset += length;
        }
        return sorted(matches);
    }
}
