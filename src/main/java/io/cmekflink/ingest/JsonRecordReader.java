package io.cmekflink.ingest;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;

/**
 * Reads a JSON object into a record by field name, in any key order. A key that names no field is
 * an error (dropping data silently is not acceptable), and so is a repeated key. A missing field
 * takes its default. Without a default it is null when the field is nullable, else an error.
 *
 * <p>The top-level reader can also own the org id field: there a missing field, or a value that is
 * not a JSON string, is {@link IngestErrorCode#MISSING_ORG_ID} rather than a malformed record.
 */
final class JsonRecordReader extends JsonValueReader {

    /** Fill rule of a field that the JSON object lacks. */
    private enum Absent {
        REQUIRED,
        NULL,
        SHARED_DEFAULT,
        COPIED_DEFAULT
    }

    private final Schema schema;
    private final int maxDepth;
    private final Map<String, Integer> positions = new HashMap<>();
    private final Absent[] absent;
    private final Object[] defaults;
    private final String[] names;
    private JsonValueReader[] fieldReaders;
    private int orgIdPosition = -1;

    JsonRecordReader(Schema schema, int maxDepth) {
        this.schema = schema;
        this.maxDepth = maxDepth;
        List<Schema.Field> fields = schema.getFields();
        this.absent = new Absent[fields.size()];
        this.defaults = new Object[fields.size()];
        this.names = new String[fields.size()];
        for (Schema.Field field : fields) {
            int pos = field.pos();
            positions.put(field.name(), pos);
            names[pos] = field.name();
            planAbsent(field);
        }
    }

    private void planAbsent(Schema.Field field) {
        int pos = field.pos();
        if (!field.hasDefaultValue()) {
            absent[pos] = isNullable(field.schema()) ? Absent.NULL : Absent.REQUIRED;
            return;
        }
        Object value = GenericData.get().getDefaultValue(field);
        defaults[pos] = value;
        if (value == null) {
            absent[pos] = Absent.NULL;
        } else if (value instanceof Number
                || value instanceof Boolean
                || value instanceof GenericData.EnumSymbol) {
            absent[pos] = Absent.SHARED_DEFAULT;
        } else {
            // Strings, bytes, records, arrays and maps are mutable: each record gets a copy.
            absent[pos] = Absent.COPIED_DEFAULT;
        }
    }

    private static boolean isNullable(Schema schema) {
        if (schema.getType() == Schema.Type.NULL) {
            return true;
        }
        return schema.getType() == Schema.Type.UNION
                && schema.getTypes().stream().anyMatch(s -> s.getType() == Schema.Type.NULL);
    }

    /** Sets the readers of the fields, after construction so that schemas may recurse. */
    void setFieldReaders(JsonValueReader[] readers) {
        this.fieldReaders = readers;
    }

    /** Makes this (top-level) reader own the org id field, when the schema has it. */
    void setOrgIdField(String name) {
        Integer pos = positions.get(name);
        orgIdPosition = pos == null ? -1 : pos;
    }

    @Override
    Object read(JsonParser parser, JsonToken token, int depth) throws IOException {
        return readRecord(parser, token, depth, -1);
    }

    /**
     * Reads the top-level record. Only here is the org id field checked, so that a recursive schema
     * does not require the field in nested records.
     */
    GenericData.Record readTopLevel(JsonParser parser, JsonToken token) throws IOException {
        return readRecord(parser, token, 0, orgIdPosition);
    }

    private GenericData.Record readRecord(
            JsonParser parser, JsonToken token, int depth, int orgIdPos) throws IOException {
        if (token != JsonToken.START_OBJECT) {
            throw mismatch(parser, token);
        }
        int level = depth + 1;
        if (level > maxDepth) {
            throw DecodeFailure.malformed(
                    "nesting is deeper than the max depth " + maxDepth, location(parser));
        }
        GenericData.Record record = new GenericData.Record(schema);
        boolean[] seen = new boolean[names.length];
        String name = nextFieldName(parser, null);
        while (name != null) {
            Integer pos = positions.get(name);
            if (pos == null) {
                throw DecodeFailure.malformed(
                                "unknown field: the record "
                                        + schema.getFullName()
                                        + " has no such field",
                                location(parser))
                        .inField(name);
            }
            if (seen[pos]) {
                throw DecodeFailure.malformed("duplicate key", location(parser)).inField(name);
            }
            seen[pos] = true;
            record.put(pos, readField(parser, pos, level, pos == orgIdPos));
            name = nextFieldName(parser, name);
        }
        fillAbsent(record, seen, orgIdPos);
        return record;
    }

    private Object readField(JsonParser parser, int pos, int level, boolean orgId)
            throws IOException {
        try {
            JsonToken valueToken = parser.nextToken();
            if (orgId && valueToken != JsonToken.VALUE_STRING) {
                throw DecodeFailure.missingOrgId(
                        "org id field is a JSON "
                                + tokenName(valueToken)
                                + "; expected a non-empty string",
                        location(parser));
            }
            return fieldReaders[pos].read(parser, valueToken, level);
        } catch (IOException e) {
            throw JsonFailures.of(e).inField(names[pos]);
        }
    }

    /**
     * Advances to the next key. Jackson reads ahead into the value after the key, so a syntax error
     * is placed at the key that the parser reached, else at the previous key.
     */
    private static String nextFieldName(JsonParser parser, String previous) throws DecodeFailure {
        try {
            return parser.nextFieldName();
        } catch (IOException e) {
            DecodeFailure failure = JsonFailures.of(e);
            String reached = parser.getParsingContext().getCurrentName();
            String key = reached != null ? reached : previous;
            throw key == null ? failure : failure.inField(key);
        }
    }

    private void fillAbsent(GenericData.Record record, boolean[] seen, int orgIdPos)
            throws DecodeFailure {
        for (int pos = 0; pos < seen.length; pos++) {
            if (seen[pos]) {
                continue;
            }
            if (pos == orgIdPos) {
                throw DecodeFailure.missingOrgId("org id field is missing", null)
                        .inField(names[pos]);
            }
            switch (absent[pos]) {
                case REQUIRED ->
                        throw DecodeFailure.malformed(
                                        "missing required field of record " + schema.getFullName())
                                .inField(names[pos]);
                case NULL -> record.put(pos, null);
                case SHARED_DEFAULT -> record.put(pos, defaults[pos]);
                case COPIED_DEFAULT ->
                        record.put(
                                pos,
                                GenericData.get()
                                        .deepCopy(
                                                schema.getFields().get(pos).schema(),
                                                defaults[pos]));
            }
        }
    }

    @Override
    boolean accepts(JsonParser parser, JsonToken token) {
        return token == JsonToken.START_OBJECT;
    }

    @Override
    String expected() {
        return "record " + schema.getFullName() + " (JSON object)";
    }
}
