package io.cmekflink.local.scan;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/** Derives the byte strings (needles) under which one sensitive value is searched. */
final class Needles {

    /** One searched byte string of a value. */
    record Needle(Form form, int alignment, byte[] bytes) {}

    private static final HexFormat HEX_LOWER = HexFormat.of();
    private static final HexFormat HEX_UPPER = HexFormat.of().withUpperCase();

    private Needles() {}

    /**
     * Returns the distinct needles of a value in {@link Form} order: for a string value {@code
     * text} is the string and {@code raw} its UTF-8 bytes, for a byte value {@code text} is null. A
     * needle equal to an earlier needle of the same value is left out, and so is a base64 needle
     * that has no stable character (only possible for values under 3 bytes).
     */
    static List<Needle> of(byte[] raw, String text) {
        List<Needle> needles = new ArrayList<>();
        for (Form form : Form.values()) {
            if (form.isTextOnly() && text == null) {
                continue;
            }
            if (form.isBase64()) {
                for (int alignment = 0; alignment < 3; alignment++) {
                    addDistinct(needles, form, alignment, base64(raw, alignment, form));
                }
            } else {
                addDistinct(needles, form, 0, encode(form, raw, text));
            }
        }
        return needles;
    }

    private static void addDistinct(List<Needle> needles, Form form, int alignment, byte[] bytes) {
        if (bytes.length == 0) {
            return;
        }
        for (Needle needle : needles) {
            if (Arrays.equals(needle.bytes(), bytes)) {
                return;
            }
        }
        needles.add(new Needle(form, alignment, bytes));
    }

    private static byte[] encode(Form form, byte[] raw, String text) {
        return switch (form) {
            case RAW -> raw.clone();
            case JSON_LOWER -> json(text, JsonNonAscii.UTF8, false);
            case JSON_UPPER -> json(text, JsonNonAscii.UTF8, true);
            case JSON_SURROGATES_LOWER -> json(text, JsonNonAscii.ESCAPE_SURROGATES, false);
            case JSON_SURROGATES_UPPER -> json(text, JsonNonAscii.ESCAPE_SURROGATES, true);
            case JSON_ASCII_LOWER -> json(text, JsonNonAscii.ESCAPE_ALL, false);
            case JSON_ASCII_UPPER -> json(text, JsonNonAscii.ESCAPE_ALL, true);
            case HEX_LOWER -> ascii(HEX_LOWER.formatHex(raw));
            case HEX_UPPER -> ascii(HEX_UPPER.formatHex(raw));
            case BASE64, BASE64_URL -> throw new IllegalArgumentException(form + " has alignments");
        };
    }

    /** Treatment of characters at or above U+0080 by a JSON encoder. */
    enum JsonNonAscii {
        /** As UTF-8. */
        UTF8,
        /** As UTF-8, except that surrogates (characters above U+FFFF) become escapes. */
        ESCAPE_SURROGATES,
        /** Every UTF-16 code unit as an escape. */
        ESCAPE_ALL
    }

    /** Returns the body of the JSON string literal of {@code text}, without the quotes. */
    static byte[] json(String text, JsonNonAscii nonAscii, boolean upperHex) {
        StringBuilder out = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || escapes(nonAscii, c)) {
                        appendUnicodeEscape(out, c, upperHex);
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static boolean escapes(JsonNonAscii nonAscii, char c) {
        return switch (nonAscii) {
            case UTF8 -> false;
            case ESCAPE_SURROGATES -> Character.isSurrogate(c);
            case ESCAPE_ALL -> c >= 0x80;
        };
    }

    private static void appendUnicodeEscape(StringBuilder out, char c, boolean upperHex) {
        String hex = (upperHex ? HEX_UPPER : HEX_LOWER).toHexDigits(c);
        out.append('\\').append('u').append(hex);
    }

    /**
     * Returns the base64 characters that encode only bits of {@code value} when {@code alignment}
     * bytes precede it in its 3-byte group.
     *
     * <p>Base64 maps each 6 bits to one character. The value's bits occupy bits {@code 8a} to
     * {@code 8(a + n)} of the encoded stream (for alignment {@code a}, length {@code n}), so the
     * characters from index {@link #base64StableStart} up to {@code floor(8(a + n) / 6) - 1} depend
     * on the value alone. The one character before and after them mixes in neighbouring bytes (or
     * the zero bits before padding), so it is dropped. Since a byte offset {@code k} has the same
     * stable characters as offset {@code k mod 3}, three needles cover every position in a blob.
     */
    static byte[] base64(byte[] value, int alignment, Form form) {
        byte[] shifted = new byte[alignment + value.length];
        System.arraycopy(value, 0, shifted, alignment, value.length);
        Base64.Encoder encoder =
                form == Form.BASE64_URL ? Base64.getUrlEncoder() : Base64.getEncoder();
        byte[] encoded = encoder.withoutPadding().encode(shifted);
        int start = base64StableStart(alignment);
        int end = (int) ((8L * shifted.length) / 6);
        return start >= end ? new byte[0] : Arrays.copyOfRange(encoded, start, end);
    }

    /** Returns the index of the first base64 character that depends only on the value's bits. */
    static int base64StableStart(int alignment) {
        return (8 * alignment + 5) / 6;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
