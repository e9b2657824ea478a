package io.cmekflink.ingest;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.util.Utf8;

/** Readers of JSON arrays into Avro arrays and JSON objects into Avro maps. */
final class JsonCollectionReaders {

    private JsonCollectionReaders() {}

    static final class ArrayReader extends JsonValueReader {
        private final Schema schema;
        private final int maxDepth;
        private JsonValueReader itemReader;

        ArrayReader(Schema schema, int maxDepth) {
            this.schema = schema;
            this.maxDepth = maxDepth;
        }

        void setItemReader(JsonValueReader reader) {
            this.itemReader = reader;
        }

        @Override
        Object read(JsonParser parser, JsonToken token, int depth) throws IOException {
            if (token != JsonToken.START_ARRAY) {
                throw mismatch(parser, token);
            }
            int level = enter(parser, depth, maxDepth);
            GenericData.Array<Object> array = new GenericData.Array<>(4, schema);
            long index = 0;
            try {
                for (JsonToken item = parser.nextToken();
                        item != JsonToken.END_ARRAY;
                        item = parser.nextToken()) {
                    array.add(itemReader.read(parser, item, level));
                    index++;
                }
            } catch (IOException e) {
                throw JsonFailures.of(e).inItem(index);
            }
            return array;
        }

        @Override
        boolean accepts(JsonParser parser, JsonToken token) {
            return token == JsonToken.START_ARRAY;
        }

        @Override
        String expected() {
            return "array";
        }
    }

    /**
     * Reads a JSON object into a {@link HashMap} with {@link Utf8} keys ({@link String} keys when
     * the map schema has {@code "avro.java.string": "String"}), as Avro's generic reader does. A
     * repeated key is an error.
     */
    static final class MapReader extends JsonValueReader {
        private final int maxDepth;
        private final boolean javaStringKeys;
        private JsonValueReader valueReader;

        MapReader(Schema schema, int maxDepth) {
            this.maxDepth = maxDepth;
            this.javaStringKeys = "String".equals(schema.getProp("avro.java.string"));
        }

        void setValueReader(JsonValueReader reader) {
            this.valueReader = reader;
        }

        @Override
        Object read(JsonParser parser, JsonToken token, int depth) throws IOException {
            if (token != JsonToken.START_OBJECT) {
                throw mismatch(parser, token);
            }
            int level = enter(parser, depth, maxDepth);
            Map<Object, Object> map = new HashMap<>();
            long position = 0;
            try {
                for (String key = parser.nextFieldName();
                        key != null;
                        key = parser.nextFieldName()) {
                    Object mapKey = javaStringKeys ? key : new Utf8(key);
                    int sizeBefore = map.size();
                    map.put(mapKey, valueReader.read(parser, parser.nextToken(), level));
                    if (map.size() == sizeBefore) {
                        throw DecodeFailure.malformed("duplicate key", location(parser));
                    }
                    position++;
                }
            } catch (IOException e) {
                throw JsonFailures.of(e).inEntry(position);
            }
            return map;
        }

        @Override
        boolean accepts(JsonParser parser, JsonToken token) {
            return token == JsonToken.START_OBJECT;
        }

        @Override
        String expected() {
            return "map (JSON object)";
        }
    }

    /** Returns the level of a container that starts at depth + 1, or fails past the max depth. */
    static int enter(JsonParser parser, int depth, int maxDepth) throws DecodeFailure {
        int level = depth + 1;
        if (level > maxDepth) {
            throw DecodeFailure.malformed(
                    "nesting is deeper than the max depth " + maxDepth,
                    JsonValueReader.location(parser));
        }
        return level;
    }
}
