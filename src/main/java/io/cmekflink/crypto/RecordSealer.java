package io.cmekflink.crypto;

import io.cmekflink.dek.Dek;
import io.cmekflink.dek.DekExhaustedException;
import io.cmekflink.schema.DerivedSchema;
import java.util.Objects;
import org.apache.avro.generic.GenericRecord;

/**
 * Encrypts the marked fields of records of one writer schema, with one AES-256-GCM operation per
 * record.
 *
 * <p>For each record, the Avro binary encodings of all present (non-null) marked values are
 * concatenated in walk order (record fields in schema order, array items in order, map entries
 * sorted by key) and sealed in one {@link Dek#seal} call under the {@link AssociatedData}. GCM
 * keeps lengths, so each marked field of the derived record then contains its own slice of the
 * ciphertext; the nonce and the 16-byte tag go into the {@link Envelope} once. A marked field that
 * is null stays null, so whether a nullable marked field is present stays visible.
 *
 * <p>The derived record shares the unmarked values of the input record, so do not change the input
 * afterwards.
 *
 * <p>Thread safety: all methods may be called from any thread; each thread uses its own buffers.
 */
public final class RecordSealer {

    private final RecordPlan plan;
    private final ThreadLocal<SealWalk> walks = ThreadLocal.withInitial(SealWalk::new);

    private RecordSealer(RecordPlan plan) {
        this.plan = plan;
    }

    /** Builds a sealer for the writer schema of {@code schema}; compile once, seal many. */
    public static RecordSealer create(DerivedSchema schema) {
        return new RecordSealer(RecordPlan.compile(Objects.requireNonNull(schema, "schema")));
    }

    public DerivedSchema schema() {
        return plan.schema;
    }

    /**
     * Seals the marked values of {@code input} and returns the derived record.
     *
     * @param input a record of the writer schema, generic representation without logical-type
     *     conversions
     * @param orgId the org the record belongs to; must equal the record's org id field
     * @param recordId the record's source position
     * @throws DekExhaustedException when {@code dek} has no encryptions left; nothing was sealed
     * @throws IllegalArgumentException when the record does not match the writer schema or names
     *     another org; the message names the field path, never values
     */
    public GenericRecord seal(GenericRecord input, String orgId, RecordId recordId, Dek dek)
            throws DekExhaustedException {
        requireArguments(input, orgId, recordId, dek);
        return walks.get().seal(plan, input, orgId, recordId, dek);
    }

    /**
     * Seals like {@link #seal} and returns the derived record in single-object encoding (see {@link
     * io.cmekflink.schema.SingleObjectEncoding}), map entries sorted by key, so that equal records
     * give equal bytes.
     */
    public byte[] sealToBytes(GenericRecord input, String orgId, RecordId recordId, Dek dek)
            throws DekExhaustedException {
        requireArguments(input, orgId, recordId, dek);
        return walks.get().sealToBytes(plan, input, orgId, recordId, dek);
    }

    private static void requireArguments(
            GenericRecord input, String orgId, RecordId recordId, Dek dek) {
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(orgId, "orgId");
        Objects.requireNonNull(recordId, "recordId");
        Objects.requireNonNull(dek, "dek");
        if (orgId.isEmpty()) {
            throw new IllegalArgumentException("org id must not be empty");
        }
    }
}
