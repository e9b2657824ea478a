package io.cmekflink.schema;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.avro.Schema;

/**
 * The record types of a schema that contain marked fields at any depth, through records, arrays,
 * maps and unions. Computed as a fixed point, so recursive types get the right answer however the
 * recursion runs. Thread safety: immutable.
 */
final class RecordsWithMarks {

    private final Set<String> fullNames;

    private RecordsWithMarks(Set<String> fullNames) {
        this.fullNames = fullNames;
    }

    /**
     * Finds the records with marks among those reachable from {@code root} through unmarked fields.
     */
    static RecordsWithMarks find(Schema root, Predicate<Schema.Field> isMarked) {
        Map<String, Schema> records = new LinkedHashMap<>();
        collect(root, isMarked, records);
        Set<String> withMarks = new HashSet<>();
        // A view of the set while it grows, so that each pass sees the records found so far.
        RecordsWithMarks growing = new RecordsWithMarks(withMarks);
        boolean changed = true;
        while (changed) {
            changed = false;
            for (Schema record : records.values()) {
                if (!withMarks.contains(record.getFullName())
                        && growing.hasMarks(record, isMarked)) {
                    withMarks.add(record.getFullName());
                    changed = true;
                }
            }
        }
        return new RecordsWithMarks(Set.copyOf(withMarks));
    }

    /** Returns whether {@code schema} is, or has inside it, a record with marked fields. */
    boolean contains(Schema schema) {
        return switch (schema.getType()) {
            case RECORD -> fullNames.contains(schema.getFullName());
            case ARRAY -> contains(schema.getElementType());
            case MAP -> contains(schema.getValueType());
            case UNION -> schema.getTypes().stream().anyMatch(this::contains);
            default -> false;
        };
    }

    private boolean hasMarks(Schema record, Predicate<Schema.Field> isMarked) {
        for (Schema.Field field : record.getFields()) {
            if (isMarked.test(field) || contains(field.schema())) {
                return true;
            }
        }
        return false;
    }

    private static void collect(
            Schema schema, Predicate<Schema.Field> isMarked, Map<String, Schema> records) {
        switch (schema.getType()) {
            case RECORD -> {
                if (records.putIfAbsent(schema.getFullName(), schema) == null) {
                    for (Schema.Field field : schema.getFields()) {
                        if (!isMarked.test(field)) {
                            collect(field.schema(), isMarked, records);
                        }
                    }
                }
            }
            case ARRAY -> collect(schema.getElementType(), isMarked, records);
            case MAP -> collect(schema.getValueType(), isMarked, records);
            case UNION -> schema.getTypes().forEach(branch -> collect(branch, isMarked, records));
            default -> {}
        }
    }
}
