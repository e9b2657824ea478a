package io.cmekflink.crypto;

import io.cmekflink.crypto.RecordPlan.ArrayStep;
import io.cmekflink.crypto.RecordPlan.Binding;
import io.cmekflink.crypto.RecordPlan.FieldStep;
import io.cmekflink.crypto.RecordPlan.MapStep;
import io.cmekflink.crypto.RecordPlan.MarkedValue;
import io.cmekflink.crypto.RecordPlan.RecordStep;
import io.cmekflink.crypto.RecordPlan.Step;
import io.cmekflink.crypto.RecordPlan.UnionStep;
import io.cmekflink.dek.Dek;
import io.cmekflink.dek.DekExhaustedException;
import io.cmekflink.schema.ByteArrayEncoder;
import io.cmekflink.schema.CanonicalDatumWriter;
import io.cmekflink.schema.EnvelopeSchema;
import io.cmekflink.schema.MapKeys;
import io.cmekflink.schema.PathBuilder;
import io.cmekflink.schema.SingleObjectEncoding;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.UnresolvedUnionException;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.util.Utf8;

/**
 * Seals one record at a time: walks the plan, encodes the present marked values into one plaintext
 * buffer, builds the associated data, seals once and hands each marked field its slice.
 *
 * <p>Holds reusable buffers, so each thread needs its own instance. Plaintext left in the buffer is
 * zeroed before {@link #seal} returns.
 */
final class SealWalk {

    private final ByteArrayEncoder plaintext = new ByteArrayEncoder(1024);
    private final ByteArrayEncoder aad = new ByteArrayEncoder(256);
    private final ByteArrayEncoder output = new ByteArrayEncoder(2048);
    private final PathBuilder path = new PathBuilder();
    private final Slots slots = new Slots();
    private Schema acceptedSchema;
    private String cachedTopic = "";
    private byte[] cachedTopicUtf8 = new byte[0];
    private String cachedOrgId = "";
    private byte[] cachedOrgIdUtf8 = new byte[0];
    private Map<String, String> cachedContext = Map.of();

    /** The DEK of {@link #cachedEdek}, held weakly so that this walk never keeps it. */
    private WeakReference<Dek> cachedDek = new WeakReference<>(null);

    private byte[] cachedEdek;

    GenericData.Record seal(
            RecordPlan plan, GenericRecord input, String orgId, RecordId recordId, Dek dek)
            throws DekExhaustedException {
        checkSchema(plan, input);
        byte[] orgIdUtf8 = orgIdUtf8(orgId);
        checkOrgId(plan, input, orgId, orgIdUtf8);
        plaintext.reset();
        aad.reset();
        path.truncate(0);
        slots.clear();
        try {
            AssociatedData.writeHeader(
                    aad,
                    orgIdUtf8,
                    plan.fullNameUtf8,
                    topicUtf8(recordId.topic()),
                    recordId,
                    plan.fingerprintBytes);
            int countAt = AssociatedData.reserveCount(aad);
            GenericData.Record out = sealRecord(plan.root, input);
            AssociatedData.patchCount(aad, countAt, slots.count);
            writeBindings(plan, input);

            byte[] nonce = new byte[Dek.NONCE_BYTES];
            int length = plaintext.position();
            byte[] sealed = dek.seal(nonce, aad.toByteArray(), plaintext.buffer(), 0, length);
            for (int i = 0; i < slots.count; i++) {
                // A view of the one ciphertext array: position 0, the slice's own length.
                ByteBuffer slice =
                        ByteBuffer.wrap(sealed, slots.offsets[i], slots.lengths[i]).slice();
                slots.records[i].put(slots.positions[i], slice);
            }
            byte[] tag = Arrays.copyOfRange(sealed, length, sealed.length);
            out.put(
                    plan.envelopePosition,
                    Envelope.record(
                            formatVersionOf(dek),
                            envelopeKeyArn(dek),
                            edekOf(dek),
                            encryptionContext(orgId),
                            nonce,
                            tag,
                            recordId,
                            plan.fingerprintBytes));
            return out;
        } finally {
            Arrays.fill(plaintext.buffer(), 0, plaintext.position(), (byte) 0);
            slots.clear();
        }
    }

    /** Seals {@code input} and returns its single-object encoding under the derived schema. */
    byte[] sealToBytes(
            RecordPlan plan, GenericRecord input, String orgId, RecordId recordId, Dek dek)
            throws DekExhaustedException {
        GenericData.Record sealed = seal(plan, input, orgId, recordId, dek);
        output.reset();
        SingleObjectEncoding.writeHeader(output, plan.schema.layoutFingerprint());
        try {
            plan.derivedWriter.write(sealed, output);
        } catch (IOException e) {
            throw new IllegalStateException("encoding into memory failed", e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(
                    "record of "
                            + plan.schema.fullName()
                            + " has an unmarked value that does not match its schema ("
                            + e.getClass().getSimpleName()
                            + ")");
        }
        return output.toByteArray();
    }

    private GenericData.Record sealRecord(RecordStep step, GenericRecord in) {
        checkRecordSchema(step, in);
        GenericData.Record out = new GenericData.Record(step.derivedSchema);
        for (int i = 0; i < step.fieldCount; i++) {
            out.put(i, in.get(i));
        }
        for (FieldStep field : step.fields) {
            int mark = path.length();
            path.appendField(field.nameUtf8());
            Object value = in.get(field.position());
            if (field.marked() != null) {
                sealMarked(field, value, out);
            } else {
                out.put(field.position(), sealValue(field.nested(), value));
            }
            path.truncate(mark);
        }
        return out;
    }

    private void sealMarked(FieldStep field, Object value, GenericData.Record out) {
        MarkedValue marked = field.marked();
        if (value == null) {
            if (!marked.nullable()) {
                throw invalidInput("is null, but its schema does not allow null");
            }
            out.put(field.position(), null);
            return;
        }
        int start = plaintext.position();
        try {
            marked.writer().write(value, plaintext);
        } catch (IOException | RuntimeException e) {
            plaintext.truncate(start);
            throw invalidInput(
                    "contains "
                            + typeOf(value)
                            + " that does not match its schema of type "
                            + marked.originalSchema().getType().getName()
                            + " ("
                            + e.getClass().getSimpleName()
                            + ")");
        }
        int length = plaintext.position() - start;
        AssociatedData.writeMarkedValue(aad, path, length);
        slots.add(out, field.position(), start, length);
    }

    private Object sealValue(Step step, Object value) {
        if (step instanceof RecordStep record) {
            if (!(value instanceof GenericRecord nested)) {
                throw invalidInput(
                        "contains " + typeOf(value) + ", expected a record " + record.fullName);
            }
            return sealRecord(record, nested);
        }
        if (step instanceof ArrayStep array) {
            return sealArray(array, value);
        }
        if (step instanceof MapStep map) {
            return sealMap(map, value);
        }
        return sealUnion((UnionStep) step, value);
    }

    private Object sealArray(ArrayStep step, Object value) {
        if (!(value instanceof Collection<?> items)) {
            throw invalidInput("contains " + typeOf(value) + ", expected an array");
        }
        GenericData.Array<Object> out = new GenericData.Array<>(items.size(), step.derivedSchema());
        int index = 0;
        for (Object item : items) {
            int mark = path.length();
            path.appendIndex(index++);
            out.add(sealValue(step.items(), item));
            path.truncate(mark);
        }
        return out;
    }

    private Object sealMap(MapStep step, Object value) {
        if (!(value instanceof Map<?, ?> map)) {
            throw invalidInput("contains " + typeOf(value) + ", expected a map");
        }
        MapKeys.SortedEntry[] entries;
        try {
            entries = MapKeys.sortedEntries(map);
        } catch (IllegalArgumentException e) {
            throw invalidInput(e.getMessage());
        }
        Map<Object, Object> out = new LinkedHashMap<>(entries.length * 4 / 3 + 1);
        for (MapKeys.SortedEntry entry : entries) {
            int mark = path.length();
            path.appendMapKey(entry.keyBytes(), entry.keyLength());
            out.put(entry.key(), sealValue(step.values(), entry.value()));
            path.truncate(mark);
        }
        return out;
    }

    private Object sealUnion(UnionStep step, Object value) {
        int branch;
        try {
            branch = CanonicalDatumWriter.GENERIC_DATA.resolveUnion(step.writerSchema(), value);
        } catch (UnresolvedUnionException e) {
            throw invalidInput(
                    "contains " + typeOf(value) + ", which matches no branch of its union");
        }
        Step branchStep = step.branches()[branch];
        if (branchStep == null) {
            return value;
        }
        int mark = path.length();
        if (step.branchNames() != null) {
            path.appendBranch(step.branchNames()[branch]);
        }
        Object sealed = sealValue(branchStep, value);
        path.truncate(mark);
        return sealed;
    }

    private void writeBindings(RecordPlan plan, GenericRecord input) {
        aad.writeIntBigEndian(plan.bindings.length);
        for (Binding binding : plan.bindings) {
            Object value = fieldAt(plan, input, binding.positions(), binding.pathUtf8());
            try {
                AssociatedData.writeBinding(aad, binding.pathUtf8(), binding.writer(), value);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(
                        "binding field "
                                + new String(binding.pathUtf8(), StandardCharsets.UTF_8)
                                + " of "
                                + plan.schema.fullName()
                                + " contains "
                                + typeOf(value)
                                + ", which does not match its schema ("
                                + e.getClass().getSimpleName()
                                + ")");
            }
        }
    }

    /** Checks that {@code input} has the plan's writer schema, comparing each new instance once. */
    private void checkSchema(RecordPlan plan, GenericRecord input) {
        Schema schema = input.getSchema();
        if (schema == acceptedSchema || schema == plan.schema.writerSchema()) {
            return;
        }
        if (!plan.schema.writerSchema().equals(schema)) {
            throw new IllegalArgumentException(
                    "record has schema "
                            + schema.getFullName()
                            + ", but this sealer was built for another version of "
                            + plan.schema.fullName()
                            + "; build a sealer for the record's writer schema");
        }
        acceptedSchema = schema;
    }

    private static void checkOrgId(
            RecordPlan plan, GenericRecord input, String orgId, byte[] orgIdUtf8) {
        Object value = fieldAt(plan, input, plan.orgIdPositions, plan.orgIdPathUtf8);
        boolean matches =
                value instanceof Utf8 utf8
                        ? Arrays.equals(
                                utf8.getBytes(),
                                0,
                                utf8.getByteLength(),
                                orgIdUtf8,
                                0,
                                orgIdUtf8.length)
                        : value != null && value.toString().equals(orgId);
        if (!matches) {
            throw new IllegalArgumentException(
                    "record's org id field '"
                            + plan.schema.orgIdField().path()
                            + "' contains "
                            + (value == null ? "null" : "org '" + value + "'")
                            + ", but the record is sealed for org '"
                            + orgId
                            + "'");
        }
    }

    /** Returns the value at {@code positions}, following record fields from {@code record}. */
    static Object fieldAt(RecordPlan plan, GenericRecord record, int[] positions, byte[] path) {
        GenericRecord current = record;
        for (int i = 0; i < positions.length - 1; i++) {
            Object next = current.get(positions[i]);
            if (!(next instanceof GenericRecord nested)) {
                throw new IllegalArgumentException(
                        "field "
                                + new String(path, StandardCharsets.UTF_8)
                                + " of "
                                + plan.schema.fullName()
                                + " cannot be reached: step "
                                + (i + 1)
                                + " contains "
                                + typeOf(next)
                                + ", not a record");
            }
            current = nested;
        }
        return current.get(positions[positions.length - 1]);
    }

    private void checkRecordSchema(RecordStep step, GenericRecord in) {
        if (in.getSchema() != step.writerSchema
                && (!in.getSchema().getFullName().equals(step.fullName)
                        || in.getSchema().getFields().size() != step.fieldCount)) {
            throw invalidInput(
                    "contains a record "
                            + in.getSchema().getFullName()
                            + ", expected "
                            + step.fullName);
        }
    }

    private IllegalArgumentException invalidInput(String problem) {
        String where = path.length() == 0 ? "record" : "field " + path.toRedactedString();
        return new IllegalArgumentException(where + " " + problem);
    }

    static String typeOf(Object value) {
        return value == null ? "null" : "a value of type " + value.getClass().getSimpleName();
    }

    private byte[] topicUtf8(String topic) {
        if (!topic.equals(cachedTopic)) {
            cachedTopicUtf8 = topic.getBytes(StandardCharsets.UTF_8);
            cachedTopic = topic;
        }
        return cachedTopicUtf8;
    }

    private byte[] orgIdUtf8(String orgId) {
        if (!orgId.equals(cachedOrgId)) {
            cachedOrgIdUtf8 = orgId.getBytes(StandardCharsets.UTF_8);
            cachedContext = EncryptionContext.of(orgId);
            cachedOrgId = orgId;
        }
        return cachedOrgIdUtf8;
    }

    /** Returns the unmodifiable encryption context of {@code orgId}, cached for the last org. */
    private Map<String, String> encryptionContext(String orgId) {
        orgIdUtf8(orgId);
        return cachedContext;
    }

    /** Returns the envelope format version of the records that {@code dek} seals. */
    static int formatVersionOf(Dek dek) {
        return dek.hasReference()
                ? EnvelopeSchema.REFERENCE_FORMAT_VERSION
                : EnvelopeSchema.FORMAT_VERSION;
    }

    /** Returns the envelope's key ARN for {@code dek}: empty when it carries a reference. */
    static String envelopeKeyArn(Dek dek) {
        return dek.hasReference() ? "" : dek.keyArn();
    }

    /** Returns a copy of the envelope's {@code edek} field for {@code dek}: EDEK or reference. */
    static byte[] envelopeEdek(Dek dek) {
        return dek.hasReference() ? dek.reference() : dek.edek();
    }

    /**
     * Returns {@link #envelopeEdek} of {@code dek}, copied once per DEK. The envelopes of one DEK's
     * records share the copy, which nothing writes to.
     */
    private byte[] edekOf(Dek dek) {
        if (dek != cachedDek.get()) {
            cachedEdek = envelopeEdek(dek);
            cachedDek = new WeakReference<>(dek);
        }
        return cachedEdek;
    }

    /** The targets of the sealed slices: derived record, field position and plaintext range. */
    private static final class Slots {
        GenericRecord[] records = new GenericRecord[8];
        int[] positions = new int[8];
        int[] offsets = new int[8];
        int[] lengths = new int[8];
        int count;

        void add(GenericRecord record, int position, int offset, int length) {
            if (count == records.length) {
                int grown = count * 2;
                records = Arrays.copyOf(records, grown);
                positions = Arrays.copyOf(positions, grown);
                offsets = Arrays.copyOf(offsets, grown);
                lengths = Arrays.copyOf(lengths, grown);
            }
            records[count] = record;
            positions[count] = position;
            offsets[count] = offset;
            lengths[count] = length;
            count++;
        }

        void clear() {
            Arrays.fill(records, 0, count, null);
            count = 0;
        }
    }
}
