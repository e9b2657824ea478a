package io.cmekflink.local.scan;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Plants needles of one value inside random bytes and checks that a scan finds each of them where
 * it was planted. A base64 needle is planted as the full encoding of random neighbour bytes around
 * the value, with the value at byte offsets 0 to 5 and with and without padding. So the check
 * covers the alignment rule and not only the needle bytes.
 */
final class SelfTest {

    /**
     * A probe value whose needles differ in every form: a quote, a backslash and ESC for the JSON
     * escapes, é, CJK and an emoji for the non-ASCII ones, and {@code ~?>} so that its base64 has
     * {@code +} or {@code /} at every alignment.
     */
    private static final String PROBE = "cmek probe \"q\\ \u001b é 日本 \uD83D\uDE00 5Rj ~?>";

    /** Fixed, so that a failure can be reproduced. */
    private static final long SEED = 0x5eed_c3e4L;

    private record Planted(Form form, int alignment, long offset) {
        @Override
        public String toString() {
            String name = form.isBase64() ? form + " (alignment " + alignment + ")" : form.name();
            return name + " at offset " + offset;
        }
    }

    private record Region(long start, long end) {}

    private final SplittableRandom random = new SplittableRandom(SEED);
    private final ByteArrayOutputStream haystack = new ByteArrayOutputStream();
    private final List<Planted> planted = new ArrayList<>();
    private final List<Region> regions = new ArrayList<>();

    private SelfTest() {}

    static int run(PlaintextScanner scanner) {
        PlaintextScanner probeScanner =
                PlaintextScanner.builder()
                        .minLength(scanner.minLength())
                        .addValue(probe(scanner.minLength()))
                        .build();
        int found = new SelfTest().check(probeScanner, 0, "the probe value", true);
        int own = scanner.valueWithMostNeedles();
        if (own >= 0) {
            found += new SelfTest().check(scanner, own, "value #" + own, false);
        }
        return found;
    }

    private static String probe(int minLength) {
        StringBuilder probe = new StringBuilder(PROBE);
        for (int i = 0; probe.toString().getBytes(StandardCharsets.UTF_8).length < minLength; i++) {
            probe.append(' ').append(i).append(PROBE);
        }
        return probe.toString();
    }

    /**
     * Plants every needle of one value, scans, and throws unless each planted needle is found at
     * its offset and every other hit of that value lies inside a planted region ({@code exact}: no
     * other hit of the value at all).
     */
    private int check(PlaintextScanner scanner, int value, String valueName, boolean exact) {
        byte[] raw = rawOf(scanner, value);
        fill();
        for (Needles.Needle needle : scanner.needlesOf(value)) {
            if (needle.form().isBase64()) {
                plantBase64(raw, needle.form(), needle.alignment());
                plantBase64(raw, needle.form(), needle.alignment() + 3);
            } else {
                plant(needle.bytes(), new Planted(needle.form(), 0, haystack.size()));
            }
        }
        List<Planted> found = new ArrayList<>();
        for (Hit hit :
                new Scan(scanner, Integer.MAX_VALUE)
                        .add("self test", haystack.toByteArray())
                        .result()
                        .hits()) {
            if (hit.valueIndex() == value) {
                found.add(new Planted(hit.form(), hit.alignment(), hit.offset()));
                requireInsidePlanted(hit, valueName, exact);
            }
        }
        for (Planted expected : planted) {
            if (!found.contains(expected)) {
                throw failure(valueName, "the needle planted as " + expected + " was not found");
            }
        }
        return planted.size();
    }

    /** Returns the value's raw bytes, which are its {@link Form#RAW} needle. */
    private static byte[] rawOf(PlaintextScanner scanner, int value) {
        for (Needles.Needle needle : scanner.needlesOf(value)) {
            if (needle.form() == Form.RAW) {
                return needle.bytes();
            }
        }
        throw new IllegalStateException("value #" + value + " has no RAW needle");
    }

    /**
     * Plants the base64 of {@code prefix} random bytes, the value and 0 to 2 random bytes, so that
     * the value starts {@code prefix} bytes into the encoded data.
     */
    private void plantBase64(byte[] raw, Form form, int prefix) {
        byte[] data = new byte[prefix + raw.length + random.nextInt(3)];
        random.nextBytes(data);
        System.arraycopy(raw, 0, data, prefix, raw.length);
        Base64.Encoder encoder =
                form == Form.BASE64_URL ? Base64.getUrlEncoder() : Base64.getEncoder();
        if (random.nextBoolean()) {
            encoder = encoder.withoutPadding();
        }
        long start = haystack.size();
        long needleOffset = start + 4L * (prefix / 3) + Needles.base64StableStart(prefix % 3);
        plant(encoder.encode(data), new Planted(form, prefix % 3, needleOffset));
    }

    private void plant(byte[] bytes, Planted expected) {
        long start = haystack.size();
        haystack.writeBytes(bytes);
        regions.add(new Region(start, haystack.size()));
        planted.add(expected);
        fill();
    }

    private void fill() {
        byte[] filler = new byte[8 + random.nextInt(33)];
        random.nextBytes(filler);
        haystack.writeBytes(filler);
    }

    private void requireInsidePlanted(Hit hit, String valueName, boolean exact) {
        Planted found = new Planted(hit.form(), hit.alignment(), hit.offset());
        if (exact && !planted.contains(found)) {
            throw failure(valueName, "it was also found as " + found);
        }
        for (Region region : regions) {
            if (hit.offset() >= region.start() && hit.offset() < region.end()) {
                return;
            }
        }
        throw failure(valueName, "it was found outside the planted needles, as " + found);
    }

    private static IllegalStateException failure(String valueName, String detail) {
        return new IllegalStateException(
                "Plaintext scanner self test failed for "
                        + valueName
                        + ": "
                        + detail
                        + ". The scanner would miss or misplace leaks; do not trust its scans.");
    }
}
