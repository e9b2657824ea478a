package io.cmekflink.crypto;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;

/**
 * Random writer schemas with marked fields at any depth, and random records of them, for tests that
 * compare two ways of sealing byte for byte.
 *
 * <p>Every schema has a top-level {@code org_id} (a string or a union of null and string), the
 * binding fields {@link #BINDINGS} ({@code request_id}, {@code meta.trace} through a record that
 * may contain marks, and the map {@code tags}), and random fields of every Avro type: nested
 * records, arrays, maps, unions with null at any position, unions of several branches, enums and
 * fixed. Fields are marked {@code "sensitive": true} at random.
 *
 * <p>Maps get distinct keys in the order of their unsigned UTF-8 bytes unless {@link #unsortedMaps}
 * is set, and floats are never NaN, so that an encoding of a record is canonical.
 */
public final class RandomRecords {

    static final List<String> BINDINGS = List.of("request_id", "meta.trace", "tags");
    static final String ORG = "org-7";

    private static final String[] ALPHABET = {
        "a", "b", "z", "A", "0", "_", "\"", "\\", " ", "é", "€", "日", "😀", "ß", "[", "."
    };
    private static final Schema.Type[] PRIMITIVES = {
        Schema.Type.BOOLEAN,
        Schema.Type.INT,
        Schema.Type.LONG,
        Schema.Type.FLOAT,
        Schema.Type.DOUBLE,
        Schema.Type.STRING,
        Schema.Type.BYTES
    };

    private final Random random;
    private final String namespace;
    private int names;
    boolean unsortedMaps;

    public RandomRecords(Random random, int index) {
        this.random = random;
        this.namespace = "test.random" + index;
    }

    /** Builds a new random writer schema. */
    public Schema schema() {
        List<Schema.Field> fields = new ArrayList<>();
        Schema orgId =
                random.nextBoolean()
                        ? Schema.create(Schema.Type.STRING)
                        : nullable(Schema.create(Schema.Type.STRING), random.nextBoolean());
        fields.add(new Schema.Field("org_id", orgId));
        fields.add(new Schema.Field("request_id", Schema.create(Schema.Type.STRING)));
        addRandomFields(fields, 0, 1 + random.nextInt(4));
        List<Schema.Field> meta = new ArrayList<>();
        addRandomFields(meta, 2, random.nextInt(3));
        meta.add(new Schema.Field("trace", Schema.create(Schema.Type.LONG)));
        addRandomFields(meta, 2, random.nextInt(2));
        Schema metaSchema = Schema.createRecord(newName("Meta"), null, namespace, false, meta);
        fields.add(new Schema.Field("meta", metaSchema));
        fields.add(new Schema.Field("tags", Schema.createMap(Schema.create(Schema.Type.STRING))));
        addRandomFields(fields, 0, 1 + random.nextInt(5));
        return Schema.createRecord("Top", null, namespace, false, fields);
    }

    private void addRandomFields(List<Schema.Field> fields, int depth, int count) {
        for (int i = 0; i < count; i++) {
            Schema type = randomType(depth);
            Schema.Field field = new Schema.Field("f" + names++, type);
            if (random.nextInt(100) < 40) {
                field.addProp("sensitive", true);
            }
            fields.add(field);
        }
    }

    private Schema randomType(int depth) {
        int choice = random.nextInt(depth >= 3 ? 10 : 16);
        return switch (choice) {
            case 0, 1, 2, 3, 4, 5, 6 -> Schema.create(PRIMITIVES[choice]);
            case 7 ->
                    Schema.createEnum(
                            newName("Color"), null, namespace, List.of("RED", "GREEN", "BLUE"));
            case 8 -> Schema.createFixed(newName("Hash"), null, namespace, random.nextInt(6));
            case 9 -> nullable(randomPrimitive(), random.nextBoolean());
            case 10 -> Schema.createArray(randomType(depth + 1));
            case 11 -> Schema.createMap(randomType(depth + 1));
            case 12, 13 -> nullable(randomRecord(depth + 1), random.nextBoolean());
            case 14 -> randomRecord(depth + 1);
            default -> multiBranchUnion(depth + 1);
        };
    }

    private Schema randomPrimitive() {
        return Schema.create(PRIMITIVES[random.nextInt(PRIMITIVES.length)]);
    }

    /** Builds a union of null, a record and a string or long, with null at a random position. */
    private Schema multiBranchUnion(int depth) {
        List<Schema> branches = new ArrayList<>();
        branches.add(randomRecord(depth));
        branches.add(Schema.create(random.nextBoolean() ? Schema.Type.STRING : Schema.Type.LONG));
        branches.add(Schema.create(Schema.Type.NULL));
        int nullAt = random.nextInt(3);
        branches.add(nullAt, branches.remove(2));
        return Schema.createUnion(branches);
    }

    private Schema randomRecord(int depth) {
        List<Schema.Field> fields = new ArrayList<>();
        addRandomFields(fields, depth, random.nextInt(4));
        return Schema.createRecord(newName("Rec"), null, namespace, false, fields);
    }

    private static Schema nullable(Schema schema, boolean nullFirst) {
        Schema nullSchema = Schema.create(Schema.Type.NULL);
        return Schema.createUnion(
                nullFirst ? List.of(nullSchema, schema) : List.of(schema, nullSchema));
    }

    private String newName(String prefix) {
        return prefix + names++;
    }

    /** Builds a random record of {@code schema}, with {@link #ORG} in its org id field. */
    public GenericRecord record(Schema schema) {
        GenericData.Record record = (GenericData.Record) value(schema, 0);
        record.put("org_id", ORG);
        return record;
    }

    private Object value(Schema schema, int depth) {
        return switch (schema.getType()) {
            case NULL -> null;
            case BOOLEAN -> random.nextBoolean();
            case INT -> randomInt();
            case LONG -> randomLong();
            case FLOAT -> random.nextBoolean() ? (float) random.nextGaussian() : -0.0f;
            case DOUBLE -> random.nextBoolean() ? random.nextGaussian() * 1e300 : Double.MAX_VALUE;
            case STRING -> randomString();
            case BYTES -> ByteBuffer.wrap(randomBytes(random.nextInt(40)));
            case FIXED -> new GenericData.Fixed(schema, randomBytes(schema.getFixedSize()));
            case ENUM ->
                    new GenericData.EnumSymbol(
                            schema, schema.getEnumSymbols().get(random.nextInt(3)));
            case ARRAY -> {
                int size = depth > 4 ? 0 : random.nextInt(4);
                List<Object> items = new ArrayList<>();
                for (int i = 0; i < size; i++) {
                    items.add(value(schema.getElementType(), depth + 1));
                }
                yield new GenericData.Array<>(schema, items);
            }
            case MAP -> map(schema, depth);
            case UNION -> {
                List<Schema> branches = schema.getTypes();
                yield value(branches.get(random.nextInt(branches.size())), depth + 1);
            }
            case RECORD -> {
                GenericData.Record record = new GenericData.Record(schema);
                for (Schema.Field field : schema.getFields()) {
                    record.put(field.pos(), value(field.schema(), depth + 1));
                }
                yield record;
            }
        };
    }

    private Map<String, Object> map(Schema schema, int depth) {
        int size = depth > 4 ? 0 : random.nextInt(5);
        List<String> keys = new ArrayList<>();
        while (keys.size() < size) {
            String key = randomString();
            if (!keys.contains(key)) {
                keys.add(key);
            }
        }
        Comparator<String> byUtf8 =
                (a, b) ->
                        Arrays.compareUnsigned(
                                a.getBytes(StandardCharsets.UTF_8),
                                b.getBytes(StandardCharsets.UTF_8));
        keys.sort(unsortedMaps ? byUtf8.reversed() : byUtf8);
        Map<String, Object> map = new LinkedHashMap<>();
        for (String key : keys) {
            map.put(key, value(schema.getValueType(), depth + 1));
        }
        return map;
    }

    private int randomInt() {
        return switch (random.nextInt(4)) {
            case 0 -> random.nextInt(64) - 32;
            case 1 -> Integer.MIN_VALUE;
            case 2 -> Integer.MAX_VALUE;
            default -> random.nextInt();
        };
    }

    private long randomLong() {
        return switch (random.nextInt(4)) {
            case 0 -> random.nextInt(64) - 32;
            case 1 -> Long.MIN_VALUE;
            case 2 -> Long.MAX_VALUE;
            default -> random.nextLong();
        };
    }

    private String randomString() {
        StringBuilder text = new StringBuilder();
        int length = random.nextInt(12);
        for (int i = 0; i < length; i++) {
            text.append(ALPHABET[random.nextInt(ALPHABET.length)]);
        }
        return text.toString();
    }

    private byte[] randomBytes(int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }
}
