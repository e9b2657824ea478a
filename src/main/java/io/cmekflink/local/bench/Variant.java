package io.cmekflink.local.bench;

/** The pipelines that the benchmark compares. */
enum Variant {
    /** The encrypt job's topology with a step that forwards the parsed record unchanged. */
    PASS_THROUGH("pass-through", "encrypt", false),
    /** The encrypt job as it ships. */
    ENCRYPT("encrypt", "encrypt", true),
    /**
     * The encrypt job's topology with a step that writes, for each record, the bytes the encrypt
     * job wrote for it, without AES or KMS: what the encrypted output alone costs.
     */
    ENCRYPTED_BYTES("encrypted-bytes-pass-through", "encrypt", false),
    /**
     * The encrypt job as it ships with {@code encryption.data-key-topic} set to a compacted topic
     * of its own: each new DEK becomes one entry there, and records carry a 16-byte reference to it
     * (envelope format version 2).
     */
    ENCRYPT_REFERENCE("encrypt-reference", "encrypt", true),
    /**
     * As {@link #ENCRYPTED_BYTES}, writing the bytes that the first {@link #ENCRYPT_REFERENCE} run
     * wrote. It measures what the data-key reference layout's output costs without AES or KMS.
     */
    REFERENCE_BYTES("reference-bytes-pass-through", "encrypt", false),
    /** The decrypt job's topology with a step that forwards the encrypted record unchanged. */
    DECRYPT_PASS_THROUGH("decrypt-pass-through", "decrypt", false),
    /** The decrypt job as it ships. */
    DECRYPT("decrypt", "decrypt", true);

    final String label;
    final String jobType;
    final boolean crypto;

    Variant(String label, String jobType, boolean crypto) {
        this.label = label;
        this.jobType = jobType;
        this.crypto = crypto;
    }
}
