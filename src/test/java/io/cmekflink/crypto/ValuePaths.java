package io.cmekflink.crypto;

import java.util.List;
import java.util.Map;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.util.Utf8;

/**
 * Finds the value at a path in a record by the path syntax that the {@code PathBuilder} Javadoc
 * documents, independently of the production code.
 */
final class ValuePaths {

    /** The record that contains the value's field, the field name and the value. */
    record Found(GenericRecord record, String fieldName, Object value) {}

    private ValuePaths() {}

    static Found find(GenericRecord root, String path) {
        Object current = root;
        GenericRecord holder = null;
        String fieldName = null;
        int i = 0;
        while (i < path.length()) {
            char c = path.charAt(i);
            if (c == '.') {
                i++;
            } else if (c == '[' && path.charAt(i + 1) == '"') {
                StringBuilder key = new StringBuilder();
                i += 2;
                while (path.charAt(i) != '"') {
                    if (path.charAt(i) == '\\') {
                        i++;
                    }
                    key.append(path.charAt(i++));
                }
                i += 2;
                current = ((Map<?, ?>) current).get(new Utf8(key.toString()));
            } else if (c == '[') {
                int end = path.indexOf(']', i);
                current = ((List<?>) current).get(Integer.parseInt(path.substring(i + 1, end)));
                i = end + 1;
            } else if (c == '<') {
                int end = path.indexOf('>', i);
                String branch = path.substring(i + 1, end);
                String actual = ((GenericContainer) current).getSchema().getFullName();
                if (!actual.equals(branch)) {
                    throw new IllegalArgumentException(
                            "path " + path + " names branch " + branch + ", value is " + actual);
                }
                i = end + 1;
            } else {
                int end = i;
                while (end < path.length() && ".[<".indexOf(path.charAt(end)) < 0) {
                    end++;
                }
                holder = (GenericRecord) current;
                fieldName = path.substring(i, end);
                current = holder.get(fieldName);
                i = end;
            }
        }
        return new Found(holder, fieldName, current);
    }
}
