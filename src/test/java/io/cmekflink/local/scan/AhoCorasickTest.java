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

class AhoCorasickTest {

    @ParameterizedTest(name = "alphabet {0}, {1} needles up to {2} bytes")
    @CsvSource({
        "2, 60, 6",
        "3, 300, 9",
        "4, 3000, 14",
        "26, 2000, 8",
        "256, 5000, 12",
        "256, 200, 40"
    })
    void matchesNaiveSearch(int alphabet, int needleCount, int maxLength) {
        Random random = new Random(31L * alphabet + needleCount);
        List<byte[]> needles = distinctNeedles(random, alphabet, needleCount, maxLength);
        AhoCorasick automaton = AhoCorasick.build(needles);
        for (int round = 0; round < 5; round++) {
            byte[] haystack = randomBytes(random, alphabet, 20_000);
            plantSome(random, needles, haystack);
            List<Match> expected = naive(needles, haystack);
            assertThat(matchesWhole(automaton, haystack)).isEqualTo(expected);
            assertThat(matchesChunked(automaton, haystack, random)).isEqualTo(expected);
        }
    }

    @Test
    void largeSetUsesSparseNodes() {
        Random random = new Random(7);
        List<byte[]> needles = distinctNeedles(random, 256, 2000, 30);
        AhoCorasick automaton = AhoCorasick.build(needles);
        assertThat(automaton.nodeCount()).isGreaterThan(3 * AhoCorasick.DENSE_ROWS);
        byte[] haystack = randomBytes(random, 256, 200_000);
        plantSome(random, needles, haystack);
        List<Match> expected = naive(needles, haystack);
        assertThat(expected).hasSizeGreaterThan(100);
        assertThat(matchesWhole(automaton, haystack)).isEqualTo(expected);
    }

    @Test
    void prefixAndSuffixNeedlesAllMatch() {
        List<byte[]> needles = ascii("he", "she", "his", "hers", "h", "s", "e", "ershe");
        AhoCorasick automaton = AhoCorasick.build(needles);
        byte[] haystack = "ushershe".getBytes(StandardCharsets.UTF_8);
        List<Match> matches = matchesWhole(automaton, haystack);
        assertThat(matches).isEqualTo(naive(needles, haystack));
        assertThat(matches)
                .containsExactly(
                        new Match(5, 2),
                        new Match(4, 3),
                        new Match(0, 4),
                        new Match(1, 4),
                        new Match(6, 4),
                        new Match(3, 6),
                        new Match(5, 6),
                        new Match(4, 7),
                        new Match(0, 8),
                        new Match(1, 8),
                        new Match(6, 8),
                        new Match(7, 8));
    }

    @Test
    void selfOverlappingNeedleMatchesEveryOffset() {
        AhoCorasick automaton = AhoCorasick.build(ascii("aaa", "aa"));
        List<Match> matches = matchesWhole(automaton, "aaaaa".getBytes(StandardCharsets.UTF_8));
        assertThat(matches).filteredOn(m -> m.pattern() == 0).hasSize(3);
        assertThat(matches).filteredOn(m -> m.pattern() == 1).hasSize(4);
    }

    @Test
    void highBytesCompareUnsigned() {
        List<byte[]> needles =
                List.of(
                        new byte[] {(byte) 0xFF, 0x01},
                        new byte[] {0x01, (byte) 0x80},
                        new byte[] {(byte) 0x80},
                        new byte[] {0x7F, (byte) 0xFF, 0x00});
        byte[] haystack = {0x7F, (byte) 0xFF, 0x00, (byte) 0xFF, 0x01, (byte) 0x80, 0x00};
        AhoCorasick automaton = AhoCorasick.build(needles);
        assertThat(matchesWhole(automaton, haystack))
                .containsExactly(
                        new Match(3, 3), new Match(0, 5), new Match(1, 6), new Match(2, 6));
    }

    @Test
    void noNeedlesMatchNothing() {
        AhoCorasick automaton = AhoCorasick.build(List.of());
        assertThat(matchesWhole(automaton, new byte[1000])).isEmpty();
        assertThat(automaton.nodeCount()).isEqualTo(1);
    }

    @Test
    void emptyNeedleRejected() {
        assertThatThrownBy(() -> AhoCorasick.build(List.of(new byte[] {1}, new byte[0])))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("pattern 1 is empty");
    }

    @Test
    void duplicateNeedleRejected() {
        assertThatThrownBy(() -> AhoCorasick.build(ascii("abc", "x", "abc")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is a duplicate");
    }

    @Test
    void positionOffsetsMatchEnds() {
        AhoCorasick automaton = AhoCorasick.build(ascii("xyz"));
        List<Match> matches = new ArrayList<>();
        byte[] data = "..xyz".getBytes(StandardCharsets.UTF_8);
        automaton.feed(
                AhoCorasick.START,
                data,
                2,
                3,
                1_000_000_000_000L,
                (p, end) -> matches.add(new Match(p, end)));
        assertThat(matches).containsExactly(new Match(0, 1_000_000_000_003L));
    }

    private static List<byte[]> ascii(String... needles) {
        return Arrays.stream(needles).map(n -> n.getBytes(StandardCharsets.UTF_8)).toList();
    }

    private static List<Match> matchesWhole(AhoCorasick automaton, byte[] haystack) {
        List<Match> matches = new ArrayList<>();
        automaton.feed(
                AhoCorasick.START,
                haystack,
                0,
                haystack.length,
                0,
                (p, end) -> matches.add(new Match(p, end)));
        return sorted(matches);
    }

    /** Feeds the haystack in random chunks of 0 to 99 bytes, carrying the state across. */
    private static List<Match> matchesChunked(
            AhoCorasick automaton, byte[] haystack, Random random) {
        List<Match> matches = new ArrayList<>();
        int state = AhoCorasick.START;
        int offset = 0;
        while (offset < haystack.length) {
            int length = Math.min(random.nextInt(100), haystack.length - offset);
            state =
                    automaton.feed(
                            state,
                            haystack,
                            offset,
                            length,
                            offset,
                            (p, end) -> matches.add(new Match(p, end)));
            offset += length;
        }
        return sorted(matches);
    }
}
