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
import io.cmekflink.schema.BoundedBinaryDecoder;
import io.cmekflink.schema.ByteArrayEncoder;
import io.cmekflink.schema.CanonicalDatumWriter;
import io.cmekflink.schema.MapKeys;
import io.cmekflink.schema.PathBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.AEADBadTagException;
import org.apache.avro.UnresolvedUnionException;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;

/**
 * Opens one record at a time: walks the plan over the derived record in the order sealing used,
 * joins the slices, rebuilds the associated data, verifies the tag and decodes each value with its
 * original schema.
 *
 * <p>Holds reusable buffers, so each thread needs its own instance. The plaintext array is zeroed
 * once its values are decoded.
 */
final class OpenWalk {

    private final ByteArrayEncoder ciphertext = new ByteArrayEncoder(1024);
    private final ByteArrayEncoder aad = new ByteArrayEncoder(256);
    private final PathBuilder path = new PathBuilder();
    private final BoundedBinaryDecoder decoder = new BoundedBinaryDecoder();
    private final Slots slots = new Slots();
    private Envelope envelope;

    /** Builds the associated data of {@code derived} without opening it. */
    byte[] associatedData(RecordPlan plan, GenericRecord derived, Envelope envelope)
            throws InvalidCiphertextException {
        try {
            walk(plan, derived, envelope);
            return aad.toByteArray();
        } finally {
            slots.clear();
            this.envelope = null;
        }
    }

    GenericData.Record open(RecordPlan plan, GenericRecord derived, Envelope envelope, Dek dek)
            throws RecordOpenException {
        try {
            GenericData.Record out = walk(plan, derived, envelope);
            ciphertext.writeRaw(envelope.tagBytes(), 0, Dek.TAG_BYTES);
            byte[] plaintext;
            try {
                plaintext =
                        dek.open(
                                envelope.nonceBytes(), aad.toByteArray(), ciphertext.toByteArray());
            } catch (AEADBadTagException e) {
                throw new TamperedRecordException(
                        "AES-GCM tag over the "
                                + slots.count
                                + " marked values of "
                                + plan.schema.fullName()
                                + " does not verify: a value, the nonce, the tag or the"
                                + " associated data changed, or the DEK is not the record's",
                        envelope.orgId(),
                        envelope.recordId(),
                        null);
            }
            try {
                decodeSlots(plan, plaintext);
            } finally {
                Arrays.fill(plaintext, (byte) 0);
            }
            return out;
        } finally {
            slots.clear();
            this.envelope = null;
        }
    }

    private GenericData.Record walk(RecordPlan plan, GenericRecord derived, Envelope envelope)
            throws InvalidCiphertextException {
        this.envelope = envelope;
        ciphertext.reset();
        aad.reset();
        path.truncate(0);
        slots.clear();
        AssociatedData.writeHeader(
                aad,
                envelope.orgId().getBytes(StandardCharsets.UTF_8),
                plan.fullNameUtf8,
                envelope.recordId().topic().getBytes(StandardCharsets.UTF_8),
                envelope.recordId(),
                plan.fingerprintBytes);
        int countAt = AssociatedData.reserveCount(aad);
        GenericData.Record out = openRecord(plan.root, derived);
        AssociatedData.patchCount(aad, countAt, slots.count);
        writeBindings(plan, derived);
        return out;
    }

    private void decodeSlots(RecordPlan plan, byte[] plaintext) throws InvalidCiphertextException {
        int offset = 0;
        for (int i = 0; i < slots.count; i++) {
            int length = slots.lengths[i];
            MarkedValue marked = slots.values[i];
            decoder.reset(plaintext, offset, length);
            Object value;
            try {
                value = marked.reader().read(null, decoder);
            } catch (IOException | RuntimeException | StackOverflowError e) {
                // A value nested deeper than this thread's stack allows is malformed here, as the
                // record decoder treats it, and must not fail the task.
                throw slotError(
                        plan,
                        i,
                        "does not decode with its original schema ("
                                + e.getClass().getSimpleName()
                                + ")");
            }
            if (!decoder.isEnd()) {
                throw slotError(
                        plan,
                        i,
                        "decodes with " + decoder.position() + " of its " + length + " bytes");
            }
            slots.records[i].put(slots.positions[i], value);
            offset += length;
        }
    }

    private InvalidCiphertextException slotError(RecordPlan plan, int slot, String problem) {
        return new InvalidCiphertextException(
                "marked field "
                        + AssociatedData.redactedPathAt(aad, slots.pathOffsets[slot])
                        + " of "
                        + plan.schema.fullName()
                        + " "
                        + problem
                        + "; the derived schema does not match the one the record was sealed with",
                envelope.orgId(),
                envelope.recordId(),
                null);
    }

    private GenericData.Record openRecord(RecordStep step, GenericRecord in)
            throws InvalidCiphertextException {
        if (in.getSchema() != step.derivedSchema
                && (!in.getSchema().getFullName().equals(step.fullName)
                        || in.getSchema().getFields().size() < step.fieldCount)) {
            throw invalid(
                    "contains a record "
                            + in.getSchema().getFullName()
                            + ", expected "
                            + step.fullName);
        }
        GenericData.Record out = new GenericData.Record(step.writerSchema);
        for (int i = 0; i < step.fieldCount; i++) {
            out.put(i, in.get(i));
        }
        for (FieldStep field : step.fields) {
            int mark = path.length();
            path.appendField(field.nameUtf8());
            Object value = in.get(field.position());
            if (field.marked() != null) {
                openMarked(field, value, out);
            } else {
                out.put(field.position(), openValue(field.nested(), value));
            }
            path.truncate(mark);
        }
        return out;
    }

    private void openMarked(FieldStep field, Object value, GenericData.Record out)
            throws InvalidCiphertextException {
        if (value == null) {
            if (!field.marked().nullable()) {
                throw invalid("is null, but its schema does not allow null");
            }
            out.put(field.position(), null);
            return;
        }
        if (!(value instanceof ByteBuffer slice)) {
            throw invalid(
                    "contains "
                            + SealWalk.typeOf(value)
                            + ", expected the bytes of a ciphertext slice");
        }
        int length = slice.remaining();
        int pathAt = AssociatedData.writeMarkedValue(aad, path, length);
        if (slice.hasArray()) {
            ciphertext.writeRaw(slice.array(), slice.arrayOffset() + slice.position(), length);
        } else {
            byte[] copy = new byte[length];
            slice.duplicate().get(copy);
            ciphertext.writeRaw(copy, 0, length);
        }
        out.put(field.position(), null);
        slots.add(out, field.position(), length, field.marked(), pathAt);
    }

    private Object openValue(Step step, Object value) throws InvalidCiphertextException {
        if (step instanceof RecordStep record) {
            if (!(value instanceof GenericRecord nested)) {
                throw invalid(
                        "contains "
                                + SealWalk.typeOf(value)
                                + ", expected a record "
                                + record.fullName);
            }
            return openRecord(record, nested);
        }
        if (step instanceof ArrayStep array) {
            return openArray(array, value);
        }
        if (step instanceof MapStep map) {
            return openMap(map, value);
        }
        return openUnion((UnionStep) step, value);
    }

    private Object openArray(ArrayStep step, Object value) throws InvalidCiphertextException {
        if (!(value instanceof Collection<?> items)) {
            throw invalid("contains " + SealWalk.typeOf(value) + ", expected an array");
        }
        GenericData.Array<Object> out = new GenericData.Array<>(items.size(), step.writerSchema());
        int index = 0;
        for (Object item : items) {
            int mark = path.length();
            path.appendIndex(index++);
            out.add(openValue(step.items(), item));
            path.truncate(mark);
        }
        return out;
    }

    private Object openMap(MapStep step, Object value) throws InvalidCiphertextException {
        if (!(value instanceof Map<?, ?> map)) {
            throw invalid("contains " + SealWalk.typeOf(value) + ", expected a map");
        }
        MapKeys.SortedEntry[] entries;
        try {
            entries = MapKeys.sortedEntries(map);
        } catch (IllegalArgumentException e) {
            throw invalid(e.getMessage());
        }
        Map<Object, Object> out = new LinkedHashMap<>(entries.length * 4 / 3 + 1);
        for (MapKeys.SortedEntry entry : entries) {
            int mark = path.length();
            path.appendMapKey(entry.keyBytes(), entry.keyLength());
            out.put(entry.key(), openValue(step.values(), entry.value()));
            path.truncate(mark);
        }
        return out;
    }

    private Object openUnion(UnionStep step, Object value) throws InvalidCiphertextException {
        int branch;
        try {
            branch = CanonicalDatumWriter.GENERIC_DATA.resolveUnion(step.derivedSchema(), value);
        } catch (UnresolvedUnionException e) {
            throw invalid(
                    "contains "
                            + SealWalk.typeOf(value)
                            + ", which matches no branch of its union");
        }
        Step branchStep = step.branches()[branch];
        if (branchStep == null) {
            return value;
        }
        int mark = path.length();
        if (step.branchNames() != null) {
            path.appendBranch(step.branchNames()[branch]);
        }
        Object opened = openValue(branchStep, value);
        path.truncate(mark);
        return opened;
    }

    private void writeBindings(RecordPlan plan, GenericRecord derived)
            throws InvalidCiphertextException {
        aad.writeIntBigEndian(plan.bindings.length);
        for (Binding binding : plan.bindings) {
            try {
                Object value =
                        SealWalk.fieldAt(plan, derived, binding.positions(), binding.pathUtf8());
                AssociatedData.writeBinding(aad, binding.pathUtf8(), binding.writer(), value);
            } catch (RuntimeException e) {
                throw new InvalidCiphertextException(
                        "binding field "
                                + new String(binding.pathUtf8(), StandardCharsets.UTF_8)
                                + " of "
                                + plan.schema.fullName()
                                + " does not match its schema ("
                                + e.getClass().getSimpleName()
                                + ")",
                        envelope.orgId(),
                        envelope.recordId(),
                        null);
            }
        }
    }

    private InvalidCiphertextException invalid(String problem) {
        String where = path.length() == 0 ? "record" : "field " + path.toRedactedString();
        return new InvalidCiphertextException(
                where + " " + problem, envelope.orgId(), envelope.recordId(), null);
    }

    /** The targets of the decoded values in walk order: record, field position and slice length. */
    private static final class Slots {
        GenericRecord[] records = new GenericRecord[8];
        int[] positions = new int[8];
        int[] lengths = new int[8];
        int[] pathOffsets = new int[8];
        MarkedValue[] values = new MarkedValue[8];
        int count;

        void add(
                GenericRecord record, int position, int length, MarkedValue value, int pathOffset) {
            if (count == records.length) {
                int grown = count * 2;
                records = Arrays.copyOf(records, grown);
                positions = Arrays.copyOf(positions, grown);
                lengths = Arrays.copyOf(lengths, grown);
                pathOffsets = Arrays.copyOf(pathOffsets, grown);
                values = Arrays.copyOf(values, grown);
            }
            records[count] = record;
            positions[count] = position;
            lengths[count] = length;
            values[count] = value;
            pathOffsets[count] = pathOffset;
            count++;
        }

        void clear() {
            Arrays.fill(records, 0, count, null);
            Arrays.fill(values, 0, count, null);
            count = 0;
        }
    }
}
