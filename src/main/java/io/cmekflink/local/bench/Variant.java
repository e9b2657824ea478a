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
     * As {@link #ENCRYPTED_BYTES}, with each value rewritten into the data-key reference layout
     * ({@link DataKeyReferences}, context emptied): what the output of that layout would cost.
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
