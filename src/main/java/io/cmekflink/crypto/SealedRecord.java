package io.cmekflink.crypto;

import java.util.Map;
import org.apache.avro.generic.GenericRecord;

/**
 * An encrypted record that {@link RecordOpener#read} has read and checked, ready to be opened once
 * its DEK is known: the parts of its envelope that find the DEK and name the record in errors.
 *
 * <p>A record of canonical encoding is read from its bytes, and {@link RecordOpener#openToBytes}
 * opens it from them again. Any other record was decoded into a GenericRecord, which this object
 * then holds.
 *
 * <p>Thread safety: immutable. The payload it was read from must not change while it is in use.
 */
public final class SealedRecord {

    private final byte[] payload;
    private final BinaryOpenWalk.Opening opening;
    private final GenericRecord derived;
    private final String keyArn;
    private final byte[] edek;
    private final String orgId;
    private final RecordId recordId;

    /** A record read from its bytes, to be opened by the binary walk of {@code opening}. */
    SealedRecord(
            byte[] payload,
            BinaryOpenWalk.Opening opening,
            String keyArn,
            byte[] edek,
            String orgId,
            RecordId recordId) {
        this.payload = payload;
        this.opening = opening;
        this.derived = null;
        this.keyArn = keyArn;
        this.edek = edek;
        this.orgId = orgId;
        this.recordId = recordId;
    }

    /** A record decoded into {@code derived}, whose envelope is {@code envelope}. */
    SealedRecord(byte[] payload, GenericRecord derived, Envelope envelope) {
        this.payload = payload;
        this.opening = null;
        this.derived = derived;
        this.keyArn = envelope.keyArn();
        this.edek = envelope.edek();
        this.orgId = envelope.orgId();
        this.recordId = envelope.recordId();
    }

    /** The envelope's key ARN, or the empty string when it carries a data-key reference. */
    public String keyArn() {
        return keyArn;
    }

    /**
     * Returns a copy of the envelope's {@code edek} field: the EDEK, or the data-key reference when
     * {@link #hasReference} is true.
     */
    public byte[] edek() {
        return edek.clone();
    }

    /**
     * True when the envelope has format version 2: an empty key ARN and a data-key reference in
     * place of the EDEK. Both readers accept an empty key ARN only in that version.
     */
    public boolean hasReference() {
        return keyArn.isEmpty();
    }

    /** Returns the org id of the envelope's encryption context. */
    public String orgId() {
        return orgId;
    }

    public RecordId recordId() {
        return recordId;
    }

    /** Returns the KMS encryption context of the EDEK (see {@link EncryptionContext}). */
    public Map<String, String> encryptionContext() {
        return EncryptionContext.of(orgId);
    }

    byte[] payload() {
        return payload;
    }

    /** Returns the binary walk's plan for this record, or null when it was decoded. */
    BinaryOpenWalk.Opening opening() {
        return opening;
    }

    /** Returns the decoded record, or null when it was read from its bytes. */
    GenericRecord derived() {
        return derived;
    }

    /** Names the key, org and record; never a value or the EDEK. */
    @Override
    public String toString() {
        return "SealedRecord[keyArn=" + keyArn + ", org=" + orgId + ", record=" + recordId + "]";
    }
}
