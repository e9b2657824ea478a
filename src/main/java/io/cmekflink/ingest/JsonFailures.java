package io.cmekflink.ingest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import java.io.IOException;

/**
 * Turns parser exceptions into {@link DecodeFailure}s. Jackson's messages quote the offending input
 * text, so only the kind of error and its line and column are kept.
 */
final class JsonFailures {

    private JsonFailures() {}

    static DecodeFailure of(IOException e) {
        if (e instanceof DecodeFailure failure) {
            return failure;
        }
        String location =
                e instanceof JsonProcessingException processing
                        ? JsonValueReader.describe(processing.getLocation())
                        : null;
        if (e instanceof JsonEOFException) {
            return DecodeFailure.malformed("truncated JSON: input ended inside a value", location);
        }
        if (e instanceof StreamConstraintsException) {
            return DecodeFailure.malformed(
                    "JSON exceeds a parser limit (number length, string length or nesting)",
                    location);
        }
        if (e instanceof JsonProcessingException) {
            return DecodeFailure.malformed("not well-formed JSON", location);
        }
        return DecodeFailure.malformed(
                "reading JSON failed (" + e.getClass().getSimpleName() + ")", location);
    }
}
