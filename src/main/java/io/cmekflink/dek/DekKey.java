package io.cmekflink.dek;

/**
 * The cache key of a DEK: the org and its key. A multi-region key is one key in every region, so
 * its DEKs are cached by partition, account and key id, and a record may use a DEK whose EDEK names
 * the replica of another region. A single-region key is cached by its full ARN.
 *
 * @param keyArn the linked key ARN, which {@code GenerateDataKey} is called with
 */
record DekKey(String orgId, String keyArn, String identity) {

    static DekKey of(String orgId, String keyArn) {
        return new DekKey(orgId, keyArn, identityOf(keyArn));
    }

    static String identityOf(String keyArn) {
        String[] parts = keyArn.split(":", 6);
        if (parts.length == 6 && parts[5].startsWith("key/mrk-")) {
            return parts[1] + ":" + parts[4] + ":" + parts[5];
        }
        return keyArn;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DekKey other
                && orgId.equals(other.orgId)
                && identity.equals(other.identity);
    }

    @Override
    public int hashCode() {
        return 31 * orgId.hashCode() + identity.hashCode();
    }
}
