package io.cmekflink.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.api.java.typeutils.runtime.PojoSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/**
 * {@link ParsedRecord} in Flink state: a POJO, and records that a savepoint wrote before the salt
 * field existed restore with salt 0.
 */
class ParsedRecordSchemaTest {

    private static final SerializerConfigImpl CONFIG = new SerializerConfigImpl();

    @Test
    void parsedRecordIsAPojo() {
        TypeInformation<ParsedRecord> type = TypeInformation.of(ParsedRecord.class);

        assertThat(type).isInstanceOf(PojoTypeInfo.class);
        assertThat(type.createSerializer(CONFIG)).isInstanceOf(PojoSerializer.class);
    }

    @Test
    void recordWithoutSaltRestoresWithSaltZero() throws Exception {
        PojoTypeInfo<ParsedRecord> type =
                (PojoTypeInfo<ParsedRecord>) TypeInformation.of(ParsedRecord.class);
        TypeSerializer<ParsedRecord> current = type.createSerializer(CONFIG);
        TypeSerializer<ParsedRecord> before = serializerWithout(type, "salt");

        ParsedRecord record = new ParsedRecord();
        record.orgId = "org-a";
        record.topic = "records";
        record.partition = 1;
        record.offset = 42;
        record.avro = new byte[] {1, 2, 3};
        record.headerKeys = new String[0];
        record.headerValues = new byte[0][];
        record.salt = 5;
        DataOutputSerializer state = new DataOutputSerializer(256);
        before.serialize(record, state);
        DataOutputSerializer snapshot = new DataOutputSerializer(256);
        TypeSerializerSnapshot.writeVersionedSnapshot(snapshot, before.snapshotConfiguration());

        TypeSerializerSnapshot<ParsedRecord> restored =
                TypeSerializerSnapshot.readVersionedSnapshot(
                        new DataInputDeserializer(snapshot.getCopyOfBuffer()),
                        getClass().getClassLoader());
        TypeSerializerSchemaCompatibility<ParsedRecord> compatibility =
                current.snapshotConfiguration().resolveSchemaCompatibility(restored);
        ParsedRecord read =
                restored.restoreSerializer()
                        .deserialize(new DataInputDeserializer(state.getCopyOfBuffer()));

        assertThat(compatibility.isCompatibleAfterMigration()).isTrue();
        assertThat(read.salt).isZero();
        assertThat(read.orgId).isEqualTo("org-a");
        assertThat(read.partition).isEqualTo(1);
        assertThat(read.offset).isEqualTo(42);
        assertThat(read.avro).containsExactly(1, 2, 3);
        assertThat(HotOrgs.routingKey(read.orgId, read.salt)).isEqualTo("org-a");
    }

    /** Returns the POJO serializer of {@code type} as it was without the field {@code name}. */
    private static TypeSerializer<ParsedRecord> serializerWithout(
            PojoTypeInfo<ParsedRecord> type, String name) {
        List<Field> fields = new ArrayList<>();
        List<TypeSerializer<?>> serializers = new ArrayList<>();
        for (int i = 0; i < type.getArity(); i++) {
            var field = type.getPojoFieldAt(i);
            if (!field.getField().getName().equals(name)) {
                fields.add(field.getField());
                serializers.add(field.getTypeInformation().createSerializer(CONFIG));
            }
        }
        assertThat(fields).hasSize(type.getArity() - 1);
        return new PojoSerializer<>(
                ParsedRecord.class,
                serializers.toArray(new TypeSerializer<?>[0]),
                fields.toArray(new Field[0]),
                CONFIG);
    }
}
