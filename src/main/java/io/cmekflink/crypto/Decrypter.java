package io.cmekflink.crypto;

import io.cmekflink.dek.Dek;
import io.cmekflink.kms.KmsCallException;
import io.cmekflink.kms.KmsErrorKind;
import io.cmekflink.kms.KmsErrors;
import io.cmekflink.schema.DerivedSchemaRegistry;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
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
 * <p>A library for tests, tools and the demo; the decrypt job has its own asynchronous path.
 * Unwrapped DEKs are kept per EDEK for the life of this object, so that records sharing a DEK cost
 * one KMS call. Thread safety: one thread at a time.
 */
public final class Decrypter {

    private final RecordOpener opener;
    private final Function<String, KmsClient> clientsByRegion;
    private final Map<EdekKey, Dek> deks = new HashMap<>();
    private final Map<EdekKey, KmsCallException> failures = new HashMap<>();
    private int kmsCalls;

    /**
     * @param clientsByRegion the KMS client of a region; a key ARN's region selects it
     */
    public Decrypter(DerivedSchemaRegistry registry, Function<String, KmsClient> clientsByRegion) {
        this.opener = RecordOpener.create(registry);
        this.clientsByRegion = clientsByRegion;
    }

    /**
     * Decrypts one encrypted record value.
     *
     * @throws RecordOpenException when the value is not an encrypted record of a known schema or
     *     fails its tag check ({@link TamperedRecordException})
     * @throws KmsCallException when KMS refuses to unwrap the EDEK: the key is disabled, pending
     *     deletion, deleted or denies the call, or the EDEK or its context is wrong
     */
    public GenericRecord decrypt(byte[] value) throws RecordOpenException {
        GenericRecord derived = opener.decode(value);
        Envelope envelope = RecordOpener.envelopeOf(derived);
        return opener.open(derived, dekOf(envelope));
    }

    /** Returns the number of KMS {@code Decrypt} calls made so far. */
    public int kmsCalls() {
        return kmsCalls;
    }

    private Dek dekOf(Envelope envelope) {
        EdekKey key = new EdekKey(envelope.keyArn(), envelope.edek());
        Dek dek = deks.get(key);
        if (dek != null) {
            return dek;
        }
        KmsCallException failure = failures.get(key);
        if (failure != null && !failure.kind().retriable()) {
            throw failure;
        }
        try {
            dek = unwrap(envelope);
        } catch (KmsCallException e) {
            failures.put(key, e);
            throw e;
        }
        deks.put(key, dek);
        return dek;
    }

    private Dek unwrap(Envelope envelope) {
        String keyArn = envelope.keyArn();
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
                                                    .ciphertextBlob(
                                                            SdkBytes.fromByteArray(envelope.edek()))
                                                    .encryptionContext(
                                                            envelope.encryptionContext()));
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
                response.plaintext().asByteArrayUnsafe(), envelope.edek(), keyArn);
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
}
