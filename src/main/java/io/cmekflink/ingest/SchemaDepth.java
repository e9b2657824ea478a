package io.cmekflink.ingest;

import java.util.HashSet;
import java.util.Set;
import org.apache.avro.Schema;

/** Static nesting depth of a schema: the most records, arrays and maps that any value nests. */
final class SchemaDepth {

    /** Depth of a schema whose records refer to themselves, so values may nest without bound. */
    static final int UNBOUNDED = Integer.MAX_VALUE;

    private SchemaDepth() {}

    /** Returns the nesting depth, counting a top-level record as 1, or {@link #UNBOUNDED}. */
    static int of(Schema schema) {
        return depth(schema, new HashSet<>());
    }

    private static int depth(Schema schema, Set<String> enclosingRecords) {
        return switch (schema.getType()) {
            case RECORD -> recordDepth(schema, enclosingRecords);
            case ARRAY -> plusOne(depth(schema.getElementType(), enclosingRecords));
            case MAP -> plusOne(depth(schema.getValueType(), enclosingRecords));
            case UNION -> {
                int max = 0;
                for (Schema branch : schema.getTypes()) {
                    max = Math.max(max, depth(branch, enclosingRecords));
                }
                yield max;
            }
            default -> 0;
        };
    }

    private static int recordDepth(Schema record, Set<String> enclosingRecords) {
        if (!enclosingRecords.add(record.getFullName())) {
            return UNBOUNDED;
        }
        int max = 0;
        for (Schema.Field field : record.getFields()) {
            max = Math.max(max, depth(field.schema(), enclosingRecords));
        }
        enclosingRecords.remove(record.getFullName());
        return plusOne(max);
    }

    private static int plusOne(int depth) {
        return depth == UNBOUNDED ? UNBOUNDED : depth + 1;
    }
}
