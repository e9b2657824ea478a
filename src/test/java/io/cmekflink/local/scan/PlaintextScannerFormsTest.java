package io.cmekflink.local.scan;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Plants every value of lengths 6 to 40 bytes in every form, and in base64 at every byte offset
 * inside a larger blob, and checks that the scanner finds exactly that one hit at the planted
 * offset. The expected encodings come from Jackson, {@link Base64} and {@link HexFormat}, not from
 * the scanner's own encoders.
 */
class PlaintextScannerFormsTest {

    private static final int MIN_LENGTH = 6;
    private static final int MAX_LENGTH = 40;
    private static final int FILLER = 32;

    private static final JsonMapper JACKSON = JsonMapper.builder().build();
    private static final JsonMapper JACKSON_ASCII =
            JsonMapper.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build();

    /** Characters beyond plain ASCII letters that each kind of value mixes in. */
    private enum Kind {
        ASCII(""),
        ESCAPED("\"\\\n\t\u0001\u001b\u001f/"),
        LATIN("éüñçÅ"),
        CJK("日本語鍵"),
        EMOJI("\uD83D\uDE00\uD83D\uDD11\uD83C\uDF0D");

        final String specials;

        Kind(String specials) {
            this.specials = specials;
        }
    }

    private record Value(int index, byte[] raw, String text) {}

    private static final List<Value> VALUES = new ArrayList<>();
    private static PlaintextScanner scanner;
    private static final Random RANDOM = new Random(20_240_601L);

    @BeforeAll
    static void buildScanner() {
        PlaintextScanner.Builder builder = PlaintextScanner.builder();
        for (int length = MIN_LENGTH; length <= MAX_LENGTH; length++) {
            for (Kind kind : Kind.values()) {
                String text = randomText(kind, length);
                builder.addValue(text);
                VALUES.add(new Value(VALUES.size(), utf8(text), text));
            }
            byte[] bytes = randomBytes(length);
            builder.addBytes(bytes);
            VALUES.add(new Value(VALUES.size(), bytes, null));
        }
        scanner = builder.build();
    }

    @Test
    void valuesHaveExactByteLengths() {
        assertThat(scanner.valueCount()).isEqualTo(35 * 6);
        assertThat(scanner.skippedValueCount()).isZero();
        for (Value value : VALUES) {
            int length = MIN_LENGTH + value.index() / 6;
            assertThat(value.raw()).hasSize(length);
        }
    }

    @Test
    void everyTextFormFoundAtItsOffset() throws JsonProcessingException {
        int checked = 0;
        for (Value value : VALUES) {
            Map<Form, byte[]> forms = referenceForms(value);
            for (Map.Entry<Form, byte[]> form : forms.entrySet()) {
                byte[] haystack = surround(form.getValue());
                Form reported = firstFormWithBytes(forms, form.getValue());
                assertThat(hitsOf(value, scanner.scan(haystack)))
                        .as("value %d planted as %s", value.index(), form.getKey())
                        .containsExactly(hit(value, reported, 0, FILLER));
                checked++;
            }
        }
        assertThat(checked).isEqualTo(35 * (5 * 9 + 3));
    }

    @Test
    void base64FoundAtEveryAlignment() {
        int checked = 0;
        for (Value value : VALUES) {
            for (int prefix = 0; prefix < 6; prefix++) {
                for (boolean padded : new boolean[] {true, false}) {
                    checkBase64(value, prefix, padded);
                    checked++;
                }
            }
        }
        assertThat(checked).isEqualTo(VALUES.size() * 12);
    }

    /**
     * Encodes {@code prefix} random bytes, the value and 0 to 2 random bytes in both alphabets and
     * checks that each blob gives one hit at the first character that encodes only value bits.
     */
    private static void checkBase64(Value value, int prefix, boolean padded) {
        byte[] data = new byte[prefix + value.raw().length + RANDOM.nextInt(3)];
        RANDOM.nextBytes(data);
        System.arraycopy(value.raw(), 0, data, prefix, value.raw().length);
        byte[] standard = encode(Base64.getEncoder(), data, padded);
        byte[] urlSafe = encode(Base64.getUrlEncoder(), data, padded);

        int first = firstCharWithOnlyValueBits(prefix);
        int last = lastCharWithOnlyValueBits(prefix, value.raw().length);
        boolean sameInBothAlphabets =
                Arrays.equals(standard, first, last + 1, urlSafe, first, last + 1);
        Form urlForm = sameInBothAlphabets ? Form.BASE64 : Form.BASE64_URL;

        assertThat(hitsOf(value, scanner.scan(surround(standard)), false))
                .as("value %d, base64 after %d bytes, padded %s", value.index(), prefix, padded)
                .containsExactly(hit(value, Form.BASE64, prefix % 3, FILLER + first));
        assertThat(hitsOf(value, scanner.scan(surround(urlSafe)), false))
                .as("value %d, base64url after %d bytes, padded %s", value.index(), prefix, padded)
                .containsExactly(hit(value, urlForm, prefix % 3, FILLER + first));
    }

    /** Returns the index of the first 6-bit character that starts at or after bit 8 * prefix. */
    private static int firstCharWithOnlyValueBits(int prefix) {
        int c = 0;
        while (6 * c < 8 * prefix) {
            c++;
        }
        return c;
    }

    /** Returns the index of the last 6-bit character that ends by bit 8 * (prefix + length). */
    private static int lastCharWithOnlyValueBits(int prefix, int length) {
        int c = 0;
        while (6 * (c + 1) + 6 <= 8 * (prefix + length)) {
            c++;
        }
        return c;
    }

    @Test
    void jsonEscapesEveryControlCharacter() throws JsonProcessingException {
        StringBuilder text = new StringBuilder("q\"b\\s/");
        for (char c = 0; c < 0x20; c++) {
            text.append(c);
        }
        byte[] upper = Needles.json(text.toString(), Needles.JsonNonAscii.UTF8, true);
        assertThat(upper).isEqualTo(jacksonStringBody(text.toString()));
        byte[] lower = Needles.json(text.toString(), Needles.JsonNonAscii.UTF8, false);
        assertThat(lower).isEqualTo(lowerCaseEscapes(upper));
        assertThat(new String(lower, StandardCharsets.US_ASCII))
                .startsWith("q\\\"b\\\\s/\\u0000")
                .contains("\\b\\t\\n\\u000b\\f\\r")
                .endsWith("\\u001f");
    }

    @Test
    void emojiEscapesAsSurrogatePair() throws JsonProcessingException {
        String text = "clé \uD83D\uDD11 ok";
        byte[] ascii = Needles.json(text, Needles.JsonNonAscii.ESCAPE_ALL, false);
        assertThat(new String(ascii, StandardCharsets.US_ASCII))
                .isEqualTo("cl\\u00e9 \\ud83d\\udd11 ok");
        byte[] surrogates = Needles.json(text, Needles.JsonNonAscii.ESCAPE_SURROGATES, true);
        assertThat(new String(surrogates, StandardCharsets.UTF_8))
                .isEqualTo("clé \\uD83D\\uDD11 ok");
        assertThat(surrogates).isEqualTo(jacksonBody(JACKSON, text));
        byte[] asciiUpper = Needles.json(text, Needles.JsonNonAscii.ESCAPE_ALL, true);
        assertThat(asciiUpper).isEqualTo(jacksonBody(JACKSON_ASCII, text));
    }

    /** Returns the value in every non-base64 form that applies to it, from reference encoders. */
    private static Map<Form, byte[]> referenceForms(Value value) throws JsonProcessingException {
        Map<Form, byte[]> forms = new EnumMap<>(Form.class);
        forms.put(Form.RAW, value.raw());
        if (value.text() != null) {
            byte[] jackson = jacksonStringBody(value.text());
            byte[] jacksonBytes = jacksonBody(JACKSON, value.text());
            byte[] jacksonAscii = jacksonBody(JACKSON_ASCII, value.text());
            forms.put(Form.JSON_LOWER, lowerCaseEscapes(jackson));
            forms.put(Form.JSON_UPPER, jackson);
            forms.put(Form.JSON_SURROGATES_LOWER, lowerCaseEscapes(jacksonBytes));
            forms.put(Form.JSON_SURROGATES_UPPER, jacksonBytes);
            forms.put(Form.JSON_ASCII_LOWER, lowerCaseEscapes(jacksonAscii));
            forms.put(Form.JSON_ASCII_UPPER, jacksonAscii);
        }
        forms.put(Form.HEX_LOWER, ascii(HexFormat.of().formatHex(value.raw())));
        forms.put(Form.HEX_UPPER, ascii(HexFormat.of().withUpperCase().formatHex(value.raw())));
        return forms;
    }

    /** Returns the form the scanner reports for these bytes: the first form that produces them. */
    private static Form firstFormWithBytes(Map<Form, byte[]> forms, byte[] bytes) {
        for (Map.Entry<Form, byte[]> form : forms.entrySet()) {
            if (Arrays.equals(form.getValue(), bytes)) {
                return form.getKey();
            }
        }
        throw new AssertionError("bytes match no reference form");
    }

    /**
     * Returns the UTF-8 of the JSON string literal that Jackson writes as a {@code String}, without
     * the enclosing quotes: characters outside the BMP stay characters.
     */
    private static byte[] jacksonStringBody(String text) throws JsonProcessingException {
        String literal = JACKSON.writeValueAsString(text);
        return utf8(literal.substring(1, literal.length() - 1));
    }

    /**
     * Returns the JSON string literal that Jackson writes as bytes, without the enclosing quotes:
     * characters outside the BMP become escaped surrogate pairs.
     */
    private static byte[] jacksonBody(JsonMapper mapper, String text)
            throws JsonProcessingException {
        byte[] literal = mapper.writeValueAsBytes(text);
        return Arrays.copyOfRange(literal, 1, literal.length - 1);
    }

    /** Lower-cases the hex digits of each {@code \\u} escape, leaving escaped backslashes alone. */
    private static byte[] lowerCaseEscapes(byte[] json) {
        byte[] out = json.clone();
        for (int i = 0; i < out.length; i++) {
            if (out[i] == '\\') {
                if (out[i + 1] == 'u') {
                    for (int j = i + 2; j < i + 6; j++) {
                        out[j] = (byte) Character.toLowerCase(out[j]);
                    }
                }
                i++;
            }
        }
        return out;
    }

    /**
     * Returns the hits of {@code value}, after checking that every other hit is of a value that
     * {@code value} contains (short random CJK values can be substrings of longer ones).
     */
    private static List<Hit> hitsOf(Value value, ScanResult result) {
        return hitsOf(value, result, true);
    }

    /**
     * Returns the hits of {@code value}. Unless {@code strict}, other values may hit too: a base64
     * needle leaves up to 4 bits at each end of a value unchecked, so random values that share
     * their emoji and differ only in the low bits of their last byte match each other.
     */
    private static List<Hit> hitsOf(Value value, ScanResult result, boolean strict) {
        List<Hit> hits = new ArrayList<>();
        for (Hit hit : result.hits()) {
            if (hit.valueIndex() == value.index()) {
                hits.add(hit);
            } else if (strict) {
                byte[] other = VALUES.get(hit.valueIndex()).raw();
                assertThat(contains(value.raw(), other))
                        .as(
                                "value %d hit while value %d was planted",
                                hit.valueIndex(), value.index())
                        .isTrue();
            }
        }
        return hits;
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                return true;
            }
        }
        return false;
    }

    private static Hit hit(Value value, Form form, int alignment, long offset) {
        return new Hit(
                value.index(),
                PlaintextScanner.digest(value.raw()),
                form,
                alignment,
                "bytes",
                offset);
    }

    private static byte[] surround(byte[] planted) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(randomBytes(FILLER));
        out.writeBytes(planted);
        out.writeBytes(randomBytes(FILLER));
        return out.toByteArray();
    }

    private static byte[] encode(Base64.Encoder encoder, byte[] data, boolean padded) {
        return (padded ? encoder : encoder.withoutPadding()).encode(data);
    }

    /** Returns random text of exactly {@code length} UTF-8 bytes with at least one special. */
    private static String randomText(Kind kind, int length) {
        String letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.@:";
        StringBuilder text = new StringBuilder();
        int[] specials = kind.specials.codePoints().toArray();
        if (specials.length > 0) {
            text.appendCodePoint(specials[RANDOM.nextInt(specials.length)]);
        }
        while (utf8(text.toString()).length < length) {
            int remaining = length - utf8(text.toString()).length;
            int special = specials.length == 0 ? 0 : specials[RANDOM.nextInt(specials.length)];
            if (special != 0
                    && RANDOM.nextBoolean()
                    && utf8(Character.toString(special)).length <= remaining) {
                text.appendCodePoint(special);
            } else {
                text.append(letters.charAt(RANDOM.nextInt(letters.length())));
            }
        }
        return text.toString();
    }

    private static byte[] randomBytes(int length) {
        byte[] bytes = new byte[length];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
