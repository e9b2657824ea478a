package io.cmekflink.local.scan;

/**
 * An encoding in which a sensitive value can appear in bytes written by the job, its logs or its
 * checkpoints. The scanner searches for each value in every form that applies to it.
 *
 * <p>String values are searched in all forms, the binary forms applied to their UTF-8 bytes. Byte
 * values (such as plaintext DEKs) are searched in {@link #RAW}, the base64 forms and the hex forms
 * only. Two forms of one value can give the same bytes, such as the JSON forms of a value with
 * nothing to escape, or both hex forms of bytes without a nibble above 9. Then the value is
 * searched once, and a hit is reported under the form declared first here.
 *
 * <p>NOTE: JSON with escaped forward slashes ({@code \/}, as PHP writes by default) or HTML-safe
 * escapes of {@code < > & = '} (as Gson writes by default) is not searched, so a value containing
 * those characters is missed in such output.
 */
public enum Form {
    /** The value's own bytes: UTF-8 for a string, the array itself for a byte value. */
    RAW,
    /**
     * The body of a JSON string with non-ASCII characters kept as UTF-8: {@code \"}, {@code \\},
     * the short escapes {@code \b \f \n \r \t}, and other control characters as {@code \}{@code
     * u00xx} in lower-case hex.
     */
    JSON_LOWER,
    /**
     * {@link #JSON_LOWER} with upper-case hex, as Jackson 2 writes a string to a {@code String} or
     * {@code Writer} by default (checked with 2.18.3).
     */
    JSON_UPPER,
    /**
     * {@link #JSON_LOWER}, but each character outside the Basic Multilingual Plane (such as an
     * emoji) written as a surrogate pair of {@code \}{@code uxxxx} escapes.
     */
    JSON_SURROGATES_LOWER,
    /**
     * {@link #JSON_SURROGATES_LOWER} with upper-case hex, as Jackson 2 writes a string to bytes or
     * an {@code OutputStream} by default (checked with 2.18.3, whose {@code
     * JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8} is off by default).
     */
    JSON_SURROGATES_UPPER,
    /**
     * The body of a JSON string in ASCII only: {@link #JSON_LOWER} plus every non-ASCII UTF-16 code
     * unit as {@code \}{@code uxxxx} in lower-case hex.
     */
    JSON_ASCII_LOWER,
    /**
     * {@link #JSON_ASCII_LOWER} with upper-case hex, as Jackson 2 writes strings with {@code
     * JsonWriteFeature.ESCAPE_NON_ASCII}.
     */
    JSON_ASCII_UPPER,
    /**
     * Standard base64 (RFC 4648 section 4) of the value's bytes at any byte offset inside a larger
     * encoded blob, with or without padding. See {@link Hit#alignment()}.
     *
     * <p>Only the characters whose 6 bits all come from the value are searched, because the
     * characters at either end mix in the neighbouring bytes or padding. So up to 4 bits at each
     * end of the value go unchecked. A byte string that differs from the value only in the high
     * nibble of its first byte or the low bits of its last byte hits as well.
     */
    BASE64,
    /**
     * URL-safe base64 (RFC 4648 section 5), {@code -} and {@code _} in place of {@code +} and /.
     */
    BASE64_URL,
    /** Hex of the value's bytes in lower case. */
    HEX_LOWER,
    /** Hex of the value's bytes in upper case. */
    HEX_UPPER;

    /** Returns whether this form is one of the base64 alphabets, searched at three alignments. */
    public boolean isBase64() {
        return this == BASE64 || this == BASE64_URL;
    }

    /** Returns whether this form applies to string values only. */
    boolean isTextOnly() {
        return name().startsWith("JSON_");
    }
}
