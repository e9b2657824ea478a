package io.cmekflink.local.kms;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.crypto.SecretKey;

/**
 * The key material and identity that a multi-region primary key shares with its replicas. A
 * single-region key is a family of one.
 *
 * <p>The {@code handle} is a random 16-byte reference that ciphertext blobs carry in place of the
 * key id, so that the emulator finds the family of a blob without a key id in clear. The secret is
 * a random 256-bit AES key that lives in memory only.
 */
final class KeyFamily {

    private final byte[] handle;
    private final SecretKey secret;
    private final String account;
    private final String keyId;
    private final boolean multiRegion;
    private final String primaryRegion;
    private final Set<String> replicaRegions = new LinkedHashSet<>();

    KeyFamily(
            byte[] handle,
            SecretKey secret,
            String account,
            String keyId,
            boolean multiRegion,
            String primaryRegion) {
        this.handle = handle.clone();
        this.secret = secret;
        this.account = account;
        this.keyId = keyId;
        this.multiRegion = multiRegion;
        this.primaryRegion = primaryRegion;
    }

    byte[] handle() {
        return handle.clone();
    }

    SecretKey secret() {
        return secret;
    }

    String account() {
        return account;
    }

    String keyId() {
        return keyId;
    }

    boolean multiRegion() {
        return multiRegion;
    }

    String primaryRegion() {
        return primaryRegion;
    }

    synchronized boolean addReplicaRegion(String region) {
        return !region.equals(primaryRegion) && replicaRegions.add(region);
    }

    synchronized void removeReplicaRegion(String region) {
        replicaRegions.remove(region);
    }

    synchronized List<String> replicaRegions() {
        return List.copyOf(replicaRegions);
    }

    /**
     * Returns the key identity that a blob binds as associated data: account and key id for a
     * multi-region key, whose replicas must open each other's blobs, plus the region for a
     * single-region key.
     */
    String identity() {
        return multiRegion ? account + "/" + keyId : account + "/" + primaryRegion + "/" + keyId;
    }
}
