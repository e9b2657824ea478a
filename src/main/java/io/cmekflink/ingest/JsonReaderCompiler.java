package io.cmekflink.ingest;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;

/**
 * Builds the reader tree of a writer schema once, so that decoding a record walks precomputed
 * readers. Named records are built once and shared, which also handles recursive schemas.
 */
final class JsonReaderCompiler {

    private final int maxDepth;
    private final Map<Schema, JsonRecordReader> records = new IdentityHashMap<>();

    private JsonReaderCompiler(int maxDepth) {
        this.maxDepth = maxDepth;
    }

    /** Returns the reader of a top-level record schema. */
    static JsonRecordReader compile(Schema recordSchema, DecoderOptions options) {
        JsonReaderCompiler compiler = new JsonReaderCompiler(options.maxDepth());
        JsonRecordReader root = (JsonRecordReader) compiler.reader(recordSchema);
        root.setOrgIdField(options.orgIdField());
        return root;
    }

    private JsonValueReader reader(Schema schema) {
        LogicalType logicalType = schema.getLogicalType();
        if (logicalType instanceof LogicalTypes.Decimal) {
            return new JsonScalarReaders.DecimalReader(schema);
        }
        if (logicalType instanceof LogicalTypes.BigDecimal) {
            return new JsonScalarReaders.BigDecimalReader(schema);
        }
        return switch (schema.getType()) {
            case NULL -> new JsonScalarReaders.NullReader();
            case BOOLEAN -> new JsonScalarReaders.BooleanReader();
            case INT -> new JsonScalarReaders.IntReader();
            case LONG -> new JsonScalarReaders.LongReader();
            case FLOAT -> new JsonScalarReaders.FloatReader();
            case DOUBLE -> new JsonScalarReaders.DoubleReader();
            case STRING ->
                    new JsonScalarReaders.StringReader(
                            "String".equals(schema.getProp("avro.java.string")));
            case BYTES -> new JsonScalarReaders.BytesReader();
            case FIXED -> new JsonScalarReaders.FixedReader(schema);
            case ENUM -> new JsonScalarReaders.EnumReader(schema);
            case ARRAY -> arrayReader(schema);
            case MAP -> mapReader(schema);
            case UNION -> unionReader(schema);
            case RECORD -> recordReader(schema);
        };
    }

    private JsonValueReader recordReader(Schema schema) {
        JsonRecordReader existing = records.get(schema);
        if (existing != null) {
            return existing;
        }
        JsonRecordReader reader = new JsonRecordReader(schema, maxDepth);
        records.put(schema, reader);
        List<Schema.Field> fields = schema.getFields();
        JsonValueReader[] fieldReaders = new JsonValueReader[fields.size()];
        for (Schema.Field field : fields) {
            fieldReaders[field.pos()] = reader(field.schema());
        }
        reader.setFieldReaders(fieldReaders);
        return reader;
    }

    private JsonValueReader arrayReader(Schema schema) {
        JsonCollectionReaders.ArrayReader reader =
                new JsonCollectionReaders.ArrayReader(schema, maxDepth);
        reader.setItemReader(reader(schema.getElementType()));
        return reader;
    }

    private JsonValueReader mapReader(Schema schema) {
        JsonCollectionReaders.MapReader reader =
                new JsonCollectionReaders.MapReader(schema, maxDepth);
        reader.setValueReader(reader(schema.getValueType()));
        return reader;
    }

    private JsonValueReader unionReader(Schema schema) {
        List<Schema> types = schema.getTypes();
        JsonValueReader[] branches = new JsonValueReader[types.size()];
        for (int i = 0; i < branches.length; i++) {
            branches[i] = reader(types.get(i));
        }
        return new JsonUnionReader(branches);
    }
}
