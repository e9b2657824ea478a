package io.cmekflink.ingest;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * Reads the JSON value at the parser's current token into the Avro representation of one schema.
 * {@link JsonReaderCompiler} builds one tree of readers per writer schema, so a decode call does no
 * schema lookups. Readers are stateless and may be shared.
 */
abstract class JsonValueReader {

    /**
     * Reads the value that starts at {@code token}, the parser's current token, and leaves the
     * parser on the value's last token.
     *
     * @param depth nesting depth of the enclosing container; the top-level record reads at 0
     */
    abstract Object read(JsonParser parser, JsonToken token, int depth) throws IOException;

    /** Returns whether a union may choose this branch for the current token. */
    abstract boolean accepts(JsonParser parser, JsonToken token) throws IOException;

    /** Returns the expected shape in messages, such as {@code long} or {@code record a.B}. */
    abstract String expected();

    /** Returns a failure "expected X, found JSON Y" at the current token. */
    final DecodeFailure mismatch(JsonParser parser, JsonToken token) {
        return DecodeFailure.malformed(
                "expected " + expected() + ", found JSON " + tokenName(token), location(parser));
    }

    /** Names a token type as JSON does: null, boolean, integer, float, string, array, object. */
    static String tokenName(JsonToken token) {
        if (token == null) {
            return "end of input";
        }
        return switch (token) {
            case VALUE_NULL -> "null";
            case VALUE_TRUE, VALUE_FALSE -> "boolean";
            case VALUE_NUMBER_INT -> "integer";
            case VALUE_NUMBER_FLOAT -> "float";
            case VALUE_STRING -> "string";
            case START_ARRAY -> "array";
            case START_OBJECT -> "object";
            default -> token.name();
        };
    }

    /** Returns "line L, column C" of the current token. */
    static String location(JsonParser parser) {
        return describe(parser.currentTokenLocation());
    }

    static String describe(JsonLocation location) {
        if (location == null) {
            return null;
        }
        return "line " + location.getLineNr() + ", column " + location.getColumnNr();
    }
}
