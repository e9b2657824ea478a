package io.cmekflink.schema;

import org.apache.avro.Schema;

/** Parses schema JSON written with single quotes, which reads better inside Java strings. */
final class Schemas {

    private Schemas() {}

    static Schema parse(String json) {
        return new Schema.Parser().parse(json.replace('\'', '"'));
    }

    /** Builds a top-level record {@code test.Top} with an org id field and {@code fields}. */
    static Schema top(String fields) {
        return parse(
                "{'type':'record','name':'Top','namespace':'test','fields':["
                        + "{'name':'org_id','type':'string'},"
                        + fields
                        + "]}");
    }
}
