package io.cmekflink.ingest;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Reads a union without Avro's JSON wrapper object: the branch follows the JSON token type. The
 * union takes the first branch, in schema order, that accepts the token.
 *
 * <ul>
 *   <li>null takes the null branch, and true or false takes boolean.
 *   <li>An integer takes int (within int range), long (within long range), float, double or
 *       decimal. A float takes float, double or decimal.
 *   <li>A string takes string, bytes, fixed, or an enum that has the string as a symbol.
 *   <li>An array takes array, and an object takes the first record or map branch.
 * </ul>
 *
 * <p>So ["null", "long", "double"] reads 5 as a long and 5.0 as a double.
 */
final class JsonUnionReader extends JsonValueReader {

    private final JsonValueReader[] branches;
    private final String expected;

    JsonUnionReader(JsonValueReader[] branches) {
        this.branches = branches;
        this.expected =
                Arrays.stream(branches)
                        .map(JsonValueReader::expected)
                        .collect(Collectors.joining(", ", "one of [", "]"));
    }

    @Override
    Object read(JsonParser parser, JsonToken token, int depth) throws IOException {
        for (JsonValueReader branch : branches) {
            if (branch.accepts(parser, token)) {
                return branch.read(parser, token, depth);
            }
        }
        throw mismatch(parser, token);
    }

    @Override
    boolean accepts(JsonParser parser, JsonToken token) {
        // Avro does not allow a union directly inside a union.
        return false;
    }

    @Override
    String expected() {
        return expected;
    }
}
