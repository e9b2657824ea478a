package io.cmekflink.kms;

import java.util.Set;

/**
 * Decides whether the key that KMS reports using is the key that was requested: same partition,
 * account and key id, and the same region, except that a multi-region key ({@code mrk-} key id) may
 * be answered by its replica in any allowed region. A single-region key with the same UUID in
 * another region is a different key.
 */
final class KeyIdentity {

    private final Set<String> allowedRegions;

    KeyIdentity(Set<String> allowedRegions) {
        this.allowedRegions = Set.copyOf(allowedRegions);
    }

    boolean sameKey(String requestedArn, String usedArn) {
        if (usedArn == null) {
            return false;
        }
        if (requestedArn.equals(usedArn)) {
            return true;
        }
        String[] requested = requestedArn.split(":", 6);
        String[] used = usedArn.split(":", 6);
        if (requested.length != 6 || used.length != 6) {
            return false;
        }
        boolean multiRegion = requested[5].startsWith("key/mrk-");
        return multiRegion
                && requested[1].equals(used[1])
                && requested[2].equals(used[2])
                && requested[4].equals(used[4])
                && requested[5].equals(used[5])
                && allowedRegions.contains(used[3]);
    }
}
