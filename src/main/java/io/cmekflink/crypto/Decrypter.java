package io.cmekflink.crypto;

import io.cmekflink.datakey.DataKeyEntry;
import io.cmekflink.datakey.DataKeyException;
import io.cmekflink.datakey.DataKeyLookup;
import io.cmekflink.datakey.DataKeyReference;
import io.cmekflink.dek.Dek;
import io.cmekflink.kms.KmsCallException;
import io.cmekflink.kms.KmsErrorKind;
import io.cmekflink.kms.KmsErrors;
import io.cmekflink.schema.DerivedSchemaRegistry;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.avro.generic.GenericRecord;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.DecryptResponse;

/**
 * Turns encrypted records back into their original records: decodes the single-object value,
 * unwraps its EDEK with KMS {@code Decrypt} (repeating the encryption context stored in the
 * envelope, never one rebuilt from configuration), checks that KMS used the envelope's key, and
 * opens the record.
 *
 * <p>A record of envelope format version 2 carries a data-key reference in place of the key ARN and
 * the EDEK. A decrypter created with a {@link DataKeyLookup} reads the referenced entry from the
 * data-key topic, checks that the entry belongs to the record's org, and unwraps the entry's EDEK
 * under the entry's key ARN, as the decrypt job does. A decrypter without one rejects such records.
 *
 * <p>A library for tests, tools and the demo; the decrypt job has its own asynchronous path.
 * Unwrapped DEKs are kept per EDEK, and per org and reference, for the life of this object, so that
 * records sharing a DEK cost one KMS call and one lookup. Failures that cannot go away are kept
 * too. Thread safety: one thread at a time.
 */
public final class Decrypter {

    private final RecordOpener opener;
    private final Function<String, KmsClient> clientsByRegion;
    private final DataKeyLookup dataKeys;
    private final Duration lookupWait;
    private final Map<EdekKey, Dek> deks = new HashMap<>();
    private final Map<EdekKey, KmsCallException> failures = new HashMap<>();
    private final Map<ReferenceKey, Dek> referenceDeks = new HashMap<>();
    private final Map<ReferenceKey, DataKeyException> referenceFailures = new HashMap<>();
    private int kmsCalls;
    private int dataKeyLookups;

    /**
     * Creates a decrypter of records that carry their key ARN and EDEK (envelope format version 1).
     * It rejects records that carry a data-key reference.
     *
     * @param clientsByRegion the KMS client of a region; a key ARN's region selects it
     */
    public Decrypter(DerivedSchemaRegistry registry, Function<String, KmsClient> clientsByRegion) {
        this.opener = RecordOpener.create(registry);
        this.clientsByRegion = Objects.requireNonNull(clientsByRegion, "clientsByRegion");
        this.dataKeys = null;
        this.lookupWait = null;
    }

    /**
     * Creates a decrypter of records of both layouts: those that carry their key ARN and EDEK, and
     * those that carry a data-key reference to an entry of the data-key topic.
     *
     * @param clientsByRegion the KMS client of a region; a key ARN's region selects it
     * @param dataKeys reads the data-key topic that the encrypt job wrote ({@code
     *     encryption.data-key-topic}). The caller closes it after this decrypter's last use.
     * @param lookupWait the maximum time that {@link #decrypt} waits for one entry. A lookup that
     *     takes longer goes on in the background and delays the lookups after it.
     * @throws IllegalArgumentException when {@code lookupWait} is not positive
     */
    public Decrypter(
            DerivedSchemaRegistry registry,
            Function<String, KmsClient> clientsByRegion,
            DataKeyLookup dataKeys,
            Duration lookupWait) {
        this.opener = RecordOpener.create(registry);
        this.clientsByRegion = Objects.requireNonNull(clientsByRegion, "clientsByRegion");
        this.dataKeys = Objects.requireNonNull(dataKeys, "dataKeys");
        this.lookupWait = Objects.requireNonNull(lookupWait, "lookupWait");
        if (lookupWait.isNegative() || lookupWait.isZero()) {
            throw new IllegalArgumentException("lookupWait must be positive, got " + lookupWait);
        }
    }

    /**
     * Decrypts one encrypted record value.
     *
     * @throws RecordOpenException when the value is not an encrypted record of a known schema or
     *     fails its tag check ({@link TamperedRecordException})
     * @throws KmsCallException when KMS refuses to unwrap the EDEK: the key is disabled, pending
     *     deletion, deleted or denies the call, or the EDEK or its context is wrong. Its kind is
     *     {@link KmsErrorKind#KEY_MISMATCH} when KMS used another key than the envelope's, or the
     *     data-key entry's, key ARN.
     * @throws DataKeyException when the record carries a data-key reference and this decrypter has
     *     no {@link DataKeyLookup}, the reference is invalid, the entry is not found within the
     *     lookup wait ({@link DataKeyException#retriable()} returns whether a later attempt may
     *     find it), or the entry belongs to another org than the record
     */
    public GenericRecord decrypt(byte[] value) throws RecordOpenException {
        GenericRecord derived = opener.decode(value);
        Envelope envelope = RecordOpener.envelopeOf(derived);
        Dek dek = envelope.hasReference() ? dekOfReference(envelope) : dekOfEdek(envelope);
        return opener.open(derived, dek);
    }

    /** Returns the number of KMS {@code Decrypt} calls made so far. */
    public int kmsCalls() {
        return kmsCalls;
    }

    /** Returns the number of data-key entries requested from the data-key topic so far. */
    public int dataKeyLookups() {
        return dataKeyLookups;
    }

    private Dek dekOfEdek(Envelope envelope) {
        return dekOf(envelope.keyArn(), envelope.edek(), envelope.encryptionContext());
    }

    private Dek dekOf(String keyArn, byte[] edek, Map<String, String> encryptionContext) {
        EdekKey key = new EdekKey(keyArn, edek);
        Dek dek = deks.get(key);
        if (dek != null) {
            return dek;
        }
        KmsCallException failure = failures.get(key);
        if (failure != null && !failure.kind().retriable()) {
            throw failure;
        }
        try {
            dek = unwrap(keyArn, edek, encryptionContext);
        } catch (KmsCallException e) {
            failures.put(key, e);
            throw e;
        }
        deks.put(key, dek);
        return dek;
    }

    /**
     * Returns the DEK of a record that carries a data-key reference. The cache key includes the
     * record's org, so that a record of another org that copies the reference gets its own org
     * check.
     */
    private Dek dekOfReference(Envelope envelope) {
        if (dataKeys == null) {
            throw new DataKeyException(
                    "the record carries a data-key reference (envelope format version 2), but"
                            + " this Decrypter has no DataKeyLookup. Records carry data-key"
                            + " references; give the Decrypter the data-key topic that the"
                            + " encrypt job wrote (its encryption.data-key-topic) through the"
                            + " constructor that takes a DataKeyLookup",
                    false);
        }

        DataKeyReference reference = DataKeyReference.parse(envelope.edek());
        ReferenceKey key = new ReferenceKey(envelope.orgId(), reference);
        Dek dek = referenceDeks.get(key);
        if (dek != null) {
            return dek;
        }
        DataKeyException failure = referenceFailures.get(key);
        if (failure != null) {
            throw failure;
        }

        DataKeyEntry entry;
        try {
            entry = findEntry(reference).requireOrg(reference, envelope.orgId());
        } catch (DataKeyException e) {
            if (!e.retriable()) {
                referenceFailures.put(key, e);
            }
            throw e;
        }

        // The entry passed the org check, so the record's context is the one the EDEK was
        // generated with. KMS failures are kept per EDEK by dekOf.
        dek = dekOf(entry.keyArn(), entry.edek(), envelope.encryptionContext());
        referenceDeks.put(key, dek);
        return dek;
    }

    private DataKeyEntry findEntry(DataKeyReference reference) {
        dataKeyLookups++;
        try {
            return dataKeys.find(reference).get(lookupWait.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof DataKeyException cause) {
                // A new exception, so that the stack trace shows this caller as well as the
                // lookup thread.
                throw new DataKeyException(cause.getMessage(), cause.retriable(), cause);
            }
            throw new DataKeyException(
                    "looking up " + reference + " failed: " + e.getCause(), true, e.getCause());
        } catch (TimeoutException e) {
            throw new DataKeyException(
                    "looking up "
                            + reference
                            + " did not complete within "
                            + lookupWait.toMillis()
                            + " ms: check that the brokers are reachable, or raise the lookup"
                            + " wait",
                    true,
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DataKeyException("interrupted while looking up " + reference, true, e);
        }
    }

    private Dek unwrap(String keyArn, byte[] edek, Map<String, String> encryptionContext) {
        String region = keyArn.split(":", 6).length == 6 ? keyArn.split(":", 6)[3] : "";
        DecryptResponse response;
        kmsCalls++;
        try {
            response =
                    clientsByRegion
                            .apply(region)
                            .decrypt(
                                    r ->
                                            r.keyId(keyArn)
                                                    .ciphertextBlob(SdkBytes.fromByteArray(edek))
                                                    .encryptionContext(encryptionContext));
        } catch (SdkException e) {
            throw new KmsCallException(
                    KmsErrors.classify(e),
                    "Decrypt",
                    keyArn,
                    KmsErrors.errorCode(e),
                    KmsErrors.requestId(e),
                    1,
                    KmsErrors.describe(e),
                    null);
        }
        if (!keyArn.equals(response.keyId())) {
            throw new KmsCallException(
                    KmsErrorKind.KEY_MISMATCH,
                    "Decrypt",
                    keyArn,
                    null,
                    null,
                    1,
                    "KMS used key " + response.keyId(),
                    null);
        }
        return Dek.takeOwnershipForDecryption(
                response.plaintext().asByteArrayUnsafe(), edek, keyArn);
    }

    private record EdekKey(String keyArn, byte[] edek) {
        @Override
        public boolean equals(Object o) {
            return o instanceof EdekKey other
                    && keyArn.equals(other.keyArn)
                    && Arrays.equals(edek, other.edek);
        }

        @Override
        public int hashCode() {
            return 31 * keyArn.hashCode() + Arrays.hashCode(edek);
        }
    }

    private record ReferenceKey(String orgId, DataKeyReference reference) {}
}
