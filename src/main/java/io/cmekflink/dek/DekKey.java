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

    /**
     * Returns the cache identity of a key ARN: {@code partition:account:key/mrk-...} for a
     * multi-region key, the ARN itself otherwise. Runs for every record, so it scans for the colons
     * instead of splitting, and allocates only for a multi-region key.
     */
    static String identityOf(String keyArn) {
        int[] colons = new int[5];
        int found = 0;
        for (int i = 0; i < keyArn.length() && found < 5; i++) {
            if (keyArn.charAt(i) == ':') {
                colons[found++] = i;
            }
        }
        if (found < 5 || !keyArn.startsWith("key/mrk-", colons[4] + 1)) {
            return keyArn;
        }
        return keyArn.substring(colons[0] + 1, colons[1])
                + ":"
                + keyArn.substring(colons[3] + 1, colons[4])
                + ":"
                + keyArn.substring(colons[4] + 1);
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
