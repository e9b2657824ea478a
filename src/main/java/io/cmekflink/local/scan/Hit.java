package io.cmekflink.local.scan;

/**
 * One occurrence of a sensitive value found by the scanner. It contains no part of the value: the
 * value is named by its index in the order the values were added and by a digest prefix.
 *
 * @param valueIndex the value's index among all values added to the scanner's builder, strings and
 *     byte values counted together from 0
 * @param valueDigest the first 12 hex digits of the SHA-256 of the value's bytes (UTF-8 for a
 *     string), for matching a hit against test input; see {@link PlaintextScanner#digest(byte[])}
 * @param form the encoding in which the value was found
 * @param alignment for the base64 forms, the number of bytes (0, 1 or 2) that precede the value in
 *     its 3-byte base64 group; 0 for every other form
 * @param source the name of the scanned input, such as a file path or {@code
 *     topic-partition@offset/value}
 * @param offset the offset in the source of the needle's first byte. For base64 that is the first
 *     character that encodes only the value's bits: 0, 2 or 3 characters (for alignment 0, 1 or 2)
 *     after the start of the 3-byte group in which the value begins
 */
public record Hit(
        int valueIndex, String valueDigest, Form form, int alignment, String source, long offset) {

    /** Returns a one-line description with the form, source, offset and value digest. */
    @Override
    public String toString() {
        String formName = form.isBase64() ? form + " (alignment " + alignment + ")" : form.name();
        return formName
                + " in "
                + source
                + " at offset "
                + offset
                + ": value #"
                + valueIndex
                + " sha256:"
                + valueDigest;
    }
}
