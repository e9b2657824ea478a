package io.cmekflink.crypto;

import io.cmekflink.dek.Dek;
import io.cmekflink.dek.DekExhaustedException;
import io.cmekflink.schema.DerivedSchema;
import io.cmekflink.schema.MalformedRecordException;
import io.cmekflink.schema.StrictRecordDecoder;
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
    private final BinaryPlan binaryPlan;
    private final StrictRecordDecoder decoder;
    private final ThreadLocal<SealWalk> walks = ThreadLocal.withInitial(SealWalk::new);
    private final ThreadLocal<BinarySealWalk> binaryWalks;

    private RecordSealer(RecordPlan plan) {
        this.plan = plan;
        this.binaryPlan = BinaryPlan.compile(plan);
        this.decoder = new StrictRecordDecoder(plan.schema.writerSchema());
        this.binaryWalks = ThreadLocal.withInitial(() -> new BinarySealWalk(binaryPlan));
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

    /**
     * Seals the record whose plain Avro binary encoding (writer schema, no header) is {@code
     * avro[offset, offset + length)} and returns the derived record in single-object encoding.
     *
     * <p>The bytes are the same as {@link #sealToBytes} returns for the decoded record, with the
     * same DEK state and record id. The record is sealed from its encoding directly, without a
     * GenericRecord, unless the encoding is not canonical (several array or map blocks, map keys
     * out of order, varints longer than needed, NaN floats) or the writer schema sets {@code
     * avro.java.string}. Such records are decoded and sealed like {@link #sealToBytes}, which
     * produces the same bytes and the same errors.
     *
     * <p>{@code avro} is neither changed nor kept after the call. Like every method of this class,
     * it may be called from any thread, because each thread uses its own buffers.
     *
     * @param orgId the org the record belongs to; must equal the record's org id field
     * @param recordId the record's source position
     * @throws MalformedRecordException when the bytes are not exactly one record of the writer
     *     schema; nothing was sealed
     * @throws DekExhaustedException when {@code dek} has no encryptions left; nothing was sealed
     * @throws IllegalArgumentException when the record's org id field contains another org or null.
     *     The message names the field path and both org ids, never a marked value
     */
    public byte[] sealBinary(
            byte[] avro, int offset, int length, String orgId, RecordId recordId, Dek dek)
            throws MalformedRecordException, DekExhaustedException {
        Objects.requireNonNull(avro, "avro");
        Objects.checkFromIndexSize(offset, length, avro.length);
        requireArguments(orgId, recordId, dek);
        if (binaryPlan.unsupportedReason == null) {
            try {
                return binaryWalks.get().seal(avro, offset, length, orgId, recordId, dek);
            } catch (BinaryWalk.Fallback e) {
                // Decoding below produces the exact error of invalid input.
            }
        }
        GenericRecord input = decoder.decode(avro, offset, length);
        return walks.get().sealToBytes(plan, input, orgId, recordId, dek);
    }

    /**
     * Returns why {@link #sealBinary} decodes every record of this schema, or null when it seals
     * canonical encodings directly.
     */
    String binaryUnsupportedReason() {
        return binaryPlan.unsupportedReason;
    }

    private static void requireArguments(
            GenericRecord input, String orgId, RecordId recordId, Dek dek) {
        Objects.requireNonNull(input, "input");
        requireArguments(orgId, recordId, dek);
    }

    private static void requireArguments(String orgId, RecordId recordId, Dek dek) {
        Objects.requireNonNull(orgId, "orgId");
        Objects.requireNonNull(recordId, "recordId");
        Objects.requireNonNull(dek, "dek");
        if (orgId.isEmpty()) {
            throw new IllegalArgumentException("org id must not be empty");
        }
    }
}
