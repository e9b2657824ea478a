package io.cmekflink.local.scan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlaintextScannerTest {

    private static final String SECRET = "10.20.30.40 alice@example.org";

    private final Random random = new Random(42);

    @Test
    void absentValuesGiveNoHitsOnRandomData() {
        PlaintextScanner scanner = highEntropyScanner(3000, 300);
        assertThat(scanner.needleCount()).isGreaterThan(3300 * 7);

        ScanResult bytes = scanner.scan(randomBytes(4 << 20));
        assertThat(bytes.hitCount()).isZero();
        assertThat(bytes.byteCount()).isEqualTo(4 << 20);

        ScanResult base64 = scanner.scan(Base64.getEncoder().encode(randomBytes(3 << 20)));
        assertThat(base64.hitCount()).isZero();

        ScanResult hex = scanner.scan(ascii(HexFormat.of().formatHex(randomBytes(1 << 20))));
        assertThat(hex.hitCount()).isZero();
    }

    @Test
    void otherValueNotFound() {
        PlaintextScanner planted = PlaintextScanner.of(List.of(SECRET));
        PlaintextScanner other = PlaintextScanner.of(List.of("10.20.30.41 alice@example.org"));
        byte[] haystack = allFormsOf(planted);
        assertThat(planted.scan(haystack).hitCount()).isEqualTo(planted.needleCount());
        assertThat(other.scan(haystack).hitCount()).isZero();
    }

    @Test
    void shortValuesSkippedAndCounted() {
        PlaintextScanner scanner =
                PlaintextScanner.builder()
                        .addValues(List.of("", "abcde", "abcdef", "é日本"))
                        .addBytes(new byte[] {1, 2, 3, 4, 5})
                        .build();
        assertThat(scanner.valueCount()).isEqualTo(5);
        assertThat(scanner.skippedValueCount()).isEqualTo(3);
        assertThat(scanner.searchedValueCount()).isEqualTo(2);
        assertThat(scanner.scan(ascii("..abcde..")).hitCount()).isZero();
        assertThat(scanner.scan(ascii("..abcdef..")).hits())
                .extracting(Hit::valueIndex, Hit::form, Hit::offset)
                .containsExactly(tuple(2, Form.RAW, 2L));
    }

    @Test
    void minLengthConfigurable() {
        PlaintextScanner scanner =
                PlaintextScanner.builder().minLength(2).addValue("ab").addValue("x").build();
        assertThat(scanner.skippedValueCount()).isEqualTo(1);
        assertThat(scanner.scan(ascii("zabz")).hitCount()).isEqualTo(1);
        assertThatThrownBy(() -> PlaintextScanner.builder().minLength(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("minLength must be 1 or more, got 0");
    }

    @Test
    void duplicateValueHitsOnceUnderFirstIndex() {
        PlaintextScanner scanner = PlaintextScanner.of(List.of("other-value", SECRET, SECRET));
        ScanResult result = scanner.scan(utf8("x" + SECRET + "x"));
        assertThat(result.hitCount()).isEqualTo(1);
        assertThat(result.hits().get(0).valueIndex()).isEqualTo(1);
    }

    @Test
    void byteValueSearchedInBinaryForms() {
        // These bytes give '+' or '/' at every base64 alignment, so the URL-safe needles differ.
        byte[] dek = new byte[32];
        for (int i = 0; i < dek.length; i++) {
            dek[i] = (byte) (i * 0x9E + 0x3F);
        }
        PlaintextScanner scanner = PlaintextScanner.builder().addBytes(dek).build();
        assertThat(scanner.needleCount()).isEqualTo(9);
        ScanResult result = scanner.scan(allFormsOf(scanner));
        assertThat(result.hitCount()).isEqualTo(9);
        assertThat(result.hits(Form.RAW)).isEqualTo(1);
        assertThat(result.hits(Form.BASE64)).isEqualTo(3);
        assertThat(result.hits(Form.BASE64_URL)).isEqualTo(3);
        assertThat(result.hits(Form.HEX_LOWER)).isEqualTo(1);
        assertThat(result.hits(Form.HEX_UPPER)).isEqualTo(1);
        assertThat(result.hits(Form.JSON_LOWER)).isZero();
    }

    @Test
    void hitsPerFormCountEveryForm() {
        PlaintextScanner scanner = PlaintextScanner.of(List.of(SECRET));
        ScanResult result = scanner.scan(allFormsOf(scanner));
        assertThat(result.hitsPerForm()).hasSize(Form.values().length);
        assertThat(result.hitsPerForm().values().stream().mapToLong(Long::longValue).sum())
                .isEqualTo(result.hitCount());
        // SECRET needs no JSON escape, its base64 has no '+' or '/' and its hex has letters,
        // so it has RAW, 3 base64 and 2 hex needles.
        assertThat(scanner.needleCount()).isEqualTo(6);
        assertThat(result.hitCount()).isEqualTo(6);
        assertThat(result.hits(Form.BASE64)).isEqualTo(3);
        assertThat(result.hits(Form.BASE64_URL)).isZero();
        assertThat(result.hits(Form.JSON_LOWER)).isZero();
    }

    @Test
    void recordedHitsLimitedButAllCounted() {
        PlaintextScanner scanner =
                PlaintextScanner.builder().maxRecordedHits(2).addValue(SECRET).build();
        ScanResult result = scanner.scan(utf8((SECRET + "|").repeat(5)));
        assertThat(result.hitCount()).isEqualTo(5);
        assertThat(result.hits()).hasSize(2);
        assertThat(result.unrecordedHitCount()).isEqualTo(3);
        assertThat(result.report()).contains("3 more hits not recorded");
    }

    @Test
    void reportOmitsValue() {
        PlaintextScanner scanner = PlaintextScanner.of(List.of("short", SECRET));
        ScanResult result = scanner.newScan().add("topic-0@7/value", utf8("ab" + SECRET)).result();
        String digest = PlaintextScanner.digest(SECRET);
        assertThat(result.hits())
                .containsExactly(new Hit(1, digest, Form.RAW, 0, "topic-0@7/value", 2));
        assertThat(result.hits().get(0))
                .hasToString("RAW in topic-0@7/value at offset 2: value #1 sha256:" + digest);
        assertThat(result.report())
                .isEqualTo(
                        "plaintext scan: 1 hit in 1 sources, "
                                + (2 + SECRET.length())
                                + " bytes\n"
                                + "  searched 1 values as 6 needles; skipped 1 values shorter"
                                + " than 6 bytes\n"
                                + "  hits per form: RAW=1 JSON_LOWER=0 JSON_UPPER=0"
                                + " JSON_SURROGATES_LOWER=0 JSON_SURROGATES_UPPER=0"
                                + " JSON_ASCII_LOWER=0 JSON_ASCII_UPPER=0 BASE64=0 BASE64_URL=0"
                                + " HEX_LOWER=0 HEX_UPPER=0\n"
                                + "  hit: RAW in topic-0@7/value at offset 2: value #1 sha256:"
                                + digest
                                + "\n");
        assertThat(result.report()).doesNotContain("alice").doesNotContain("10.20");
    }

    @Test
    void digestIsSha256Prefix() {
        // SHA-256("abc") from FIPS 180-2, appendix B.1.
        assertThat(PlaintextScanner.digest("abc")).isEqualTo("ba7816bf8f01");
    }

    @Test
    void streamFindsValueAcrossReadBoundaries() throws IOException {
        PlaintextScanner scanner = PlaintextScanner.of(List.of(SECRET));
        byte[] data = randomBytes(3 << 20);
        int at = (1 << 20) - 7;
        System.arraycopy(utf8(SECRET), 0, data, at, SECRET.length());
        ScanResult whole = scanner.scan(new ByteArrayInputStream(data));
        assertThat(whole.hits()).extracting(Hit::offset).containsExactly((long) at);
        assertThat(whole.byteCount()).isEqualTo(data.length);
        ScanResult trickle = scanner.scan(new TrickleInputStream(data, 5));
        assertThat(trickle.hits()).extracting(Hit::offset).containsExactly((long) at);
    }

    @Test
    void directoryScannedRecursivelyInPathOrder(@TempDir Path dir) throws IOException {
        PlaintextScanner scanner = PlaintextScanner.of(List.of(SECRET));
        Path top = Files.writeString(dir.resolve("b.log"), "x " + SECRET);
        Path nested = Files.createDirectories(dir.resolve("a/chk-1"));
        Path state = Files.write(nested.resolve("state"), utf8("yy" + SECRET));
        Files.writeString(dir.resolve("clean.log"), "nothing here");
        Files.createSymbolicLink(dir.resolve("link.log"), top);

        ScanResult recursive = scanner.scan(dir, true);
        assertThat(recursive.sourceCount()).isEqualTo(3);
        assertThat(recursive.hits())
                .extracting(Hit::source, Hit::offset)
                .containsExactly(tuple(state.toString(), 2L), tuple(top.toString(), 2L));

        ScanResult flat = scanner.scan(dir, false);
        assertThat(flat.sourceCount()).isEqualTo(2);
        assertThat(flat.hits()).extracting(Hit::source).containsExactly(top.toString());

        ScanResult file = scanner.scan(state, false);
        assertThat(file.hitCount()).isEqualTo(1);
    }

    @Test
    void missingPathRaises(@TempDir Path dir) {
        PlaintextScanner scanner = PlaintextScanner.of(List.of(SECRET));
        assertThatThrownBy(() -> scanner.scan(dir.resolve("missing"), true))
                .isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void scanAccumulatesSources() {
        PlaintextScanner scanner = PlaintextScanner.of(List.of(SECRET));
        Scan scan = scanner.newScan();
        scan.add("a", utf8(SECRET));
        scan.add("b", utf8("nothing"));
        byte[] split = utf8(SECRET);
        scan.add("c", split, 0, 10);
        scan.add("d", split, 10, split.length - 10);
        ScanResult result = scan.result();
        assertThat(result.sourceCount()).isEqualTo(4);
        assertThat(result.byteCount()).isEqualTo(2L * split.length + 7);
        assertThat(result.hits()).extracting(Hit::source).containsExactly("a");
    }

    @Test
    void nullValueRejected() {
        PlaintextScanner.Builder builder = PlaintextScanner.builder().addValue("abcdefg");
        assertThatThrownBy(() -> builder.addValue(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("value 1 is null");
    }

    @Test
    void selfTestPassesWithoutValues() {
        PlaintextScanner scanner = PlaintextScanner.of(List.of());
        // The probe has 15 distinct needles; its 6 base64 needles are planted twice each.
        assertThat(scanner.selfTest()).isEqualTo(21);
    }

    @Test
    void selfTestPlantsOwnValue() {
        PlaintextScanner scanner = highEntropyScanner(500, 50);
        int probe = PlaintextScanner.of(List.of()).selfTest();
        assertThat(scanner.selfTest()).isGreaterThan(probe + 9);
    }

    @Test
    void selfTestPlantsByteValue() {
        PlaintextScanner bytes = PlaintextScanner.builder().addBytes(randomBytes(32)).build();
        // 21 for the probe, then the value's needles, its base64 ones planted twice.
        int base64Needles = bytes.needleCount() - 3;
        assertThat(bytes.selfTest()).isEqualTo(21 + bytes.needleCount() + base64Needles);
    }

    @Test
    void selfTestLengthensProbeForMinLength() {
        PlaintextScanner longMinimum = PlaintextScanner.builder().minLength(300).build();
        assertThat(longMinimum.selfTest()).isEqualTo(21);
    }

    @Test
    void selfTestPassesWhenValuesOverlap() {
        PlaintextScanner scanner =
                PlaintextScanner.of(List.of(SECRET, "alice@example.org", "10.20.30.40"));
        assertThat(scanner.selfTest()).isGreaterThan(21);
    }

    private PlaintextScanner highEntropyScanner(int strings, int keys) {
        String alphabet =
                "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\"\\/+=-_.@é日本";
        PlaintextScanner.Builder builder = PlaintextScanner.builder();
        for (int i = 0; i < strings; i++) {
            StringBuilder value = new StringBuilder();
            int length = 12 + random.nextInt(29);
            for (int c = 0; c < length; c++) {
                value.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            builder.addValue(value.toString());
        }
        for (int i = 0; i < keys; i++) {
            builder.addBytes(randomBytes(32));
        }
        return builder.build();
    }

    /** Returns every needle of every value, each between 16 random bytes. */
    private byte[] allFormsOf(PlaintextScanner scanner) {
        List<byte[]> parts = new ArrayList<>();
        for (int value = 0; value < scanner.valueCount(); value++) {
            for (Needles.Needle needle : scanner.needlesOf(value)) {
                parts.add(randomBytes(16));
                parts.add(needle.bytes());
            }
        }
        parts.add(randomBytes(16));
        int length = parts.stream().mapToInt(p -> p.length).sum();
        byte[] all = new byte[length];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }

    private byte[] randomBytes(int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /** Returns at most {@code chunk} bytes per read, as a socket or pipe may. */
    private static final class TrickleInputStream extends InputStream {
        private final byte[] data;
        private final int chunk;
        private int position;

        TrickleInputStream(byte[] data, int chunk) {
            this.data = data;
            this.chunk = chunk;
        }

        @Override
        public int read() {
            return position < data.length ? data[position++] & 0xFF : -1;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) {
            if (position >= data.length) {
                return -1;
            }
            int count = Math.min(Math.min(length, chunk), data.length - position);
            System.arraycopy(data, position, buffer, offset, count);
            position += count;
            return count;
        }
    }
}
