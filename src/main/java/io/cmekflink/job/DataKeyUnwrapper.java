package io.cmekflink.job;

import io.cmekflink.crypto.EncryptionContext;
import io.cmekflink.datakey.DataKeyEntry;
import io.cmekflink.datakey.DataKeyException;
import io.cmekflink.datakey.DataKeyLookup;
import io.cmekflink.datakey.DataKeyReference;
import io.cmekflink.deadletter.ErrorCode;
import io.cmekflink.dek.EdekCache;
import io.cmekflink.kms.KmsCallException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Unwraps the {@code edek} field of an envelope with KMS {@code Decrypt}. For an envelope of format
 * version 2, whose key ARN is empty and whose {@code edek} field is a data-key reference, it reads
 * the referenced entry from the data-key topic first and unwraps the entry's EDEK under the entry's
 * key ARN, with the encryption context of the record's own org.
 *
 * <p>Thread safety: safe for concurrent use, as its KMS unwrapper and lookup are.
 */
final class DataKeyUnwrapper implements EdekCache.Unwrapper {

    private final EdekCache.Unwrapper kms;
    private final DataKeyLookup lookup;

    /**
     * @param kms calls KMS {@code Decrypt}
     * @param lookup reads the data-key topic, or null when {@code encryption.data-key-topic} is not
     *     set
     */
    DataKeyUnwrapper(EdekCache.Unwrapper kms, DataKeyLookup lookup) {
        this.kms = kms;
        this.lookup = lookup;
    }

    @Override
    public CompletableFuture<byte[]> decrypt(
            String keyArn, byte[] edek, Map<String, String> encryptionContext) {
        if (!keyArn.isEmpty()) {
            return kms.decrypt(keyArn, edek, encryptionContext);
        }
        return entryOf(edek, encryptionContext)
                .thenCompose(entry -> kms.decrypt(entry.keyArn(), entry.edek(), encryptionContext));
    }

    /**
     * Returns the data-key entry that {@code reference} names, checked to belong to the org of
     * {@code encryptionContext}. Fails with {@link DataKeyException}.
     */
    CompletableFuture<DataKeyEntry> entryOf(
            byte[] reference, Map<String, String> encryptionContext) {
        if (lookup == null) {
            return CompletableFuture.failedFuture(
                    new DataKeyException(
                            "the record carries a data-key reference, but"
                                    + " encryption.data-key-topic is not set: set it to the"
                                    + " data-key topic of the encrypt job that wrote the record",
                            false));
        }
        DataKeyReference parsed;
        try {
            parsed = DataKeyReference.parse(reference);
        } catch (DataKeyException e) {
            return CompletableFuture.failedFuture(e);
        }
        String orgId = encryptionContext.get(EncryptionContext.ORG_ID_KEY);
        return lookup.find(parsed).thenApply(entry -> entry.requireOrg(parsed, orgId));
    }

    /** Returns the dead-letter code of a failure to unwrap a record's data key. */
    static ErrorCode errorCode(Throwable cause) {
        if (cause instanceof KmsCallException k) {
            return ErrorCode.fromKms(k.kind());
        }
        if (cause instanceof DataKeyException d) {
            return d.retriable() ? ErrorCode.DATA_KEY_UNAVAILABLE : ErrorCode.DATA_KEY_NOT_FOUND;
        }
        return ErrorCode.INTERNAL_ERROR;
    }
}
