package io.cmekflink.local.kms;

import java.time.Instant;

/**
 * One regional KMS key: a single-region key, a multi-region primary or one of its replicas. State
 * changes are synchronized on the key.
 */
final class EmulatedKey {

    private final KeyFamily family;
    private final KeyArn arn;
    private final Instant creationDate;
    private final KeyUsage usage;
    private final KeyPolicy policy;
    private String description;
    private KeyState state = KeyState.ENABLED;
    private Instant deletionDate;
    private int pendingWindowInDays;
    private boolean rotationEnabled;

    EmulatedKey(KeyFamily family, String region, KeyUsage usage, String description) {
        this.family = family;
        this.arn = new KeyArn(region, family.account(), family.keyId());
        this.creationDate = Instant.now();
        this.usage = usage;
        this.description = description == null ? "" : description;
        this.policy = new KeyPolicy(family.account());
    }

    KeyFamily family() {
        return family;
    }

    KeyArn arn() {
        return arn;
    }

    String region() {
        return arn.region();
    }

    Instant creationDate() {
        return creationDate;
    }

    KeyUsage usage() {
        return usage;
    }

    KeyPolicy policy() {
        return policy;
    }

    boolean isReplica() {
        return family.multiRegion() && !family.primaryRegion().equals(arn.region());
    }

    synchronized String description() {
        return description;
    }

    synchronized KeyState state() {
        return state;
    }

    synchronized Instant deletionDate() {
        return deletionDate;
    }

    synchronized int pendingWindowInDays() {
        return pendingWindowInDays;
    }

    synchronized boolean rotationEnabled() {
        return rotationEnabled;
    }

    synchronized void setRotationEnabled(boolean enabled) {
        this.rotationEnabled = enabled;
    }

    /** Enables the key. Fails with {@code KMSInvalidStateException} while deletion is pending. */
    synchronized void enable() {
        requireNotPendingDeletion();
        state = KeyState.ENABLED;
    }

    /** Disables the key. Fails with {@code KMSInvalidStateException} while deletion is pending. */
    synchronized void disable() {
        requireNotPendingDeletion();
        state = KeyState.DISABLED;
    }

    /** Schedules deletion after the waiting period, during which the key cannot be used. */
    synchronized Instant scheduleDeletion(int windowInDays) {
        requireNotPendingDeletion();
        state = KeyState.PENDING_DELETION;
        pendingWindowInDays = windowInDays;
        deletionDate = Instant.now().plusSeconds(windowInDays * 86_400L);
        return deletionDate;
    }

    /** Cancels a scheduled deletion. As in KMS, the key is then disabled, not enabled. */
    synchronized void cancelDeletion() {
        if (state != KeyState.PENDING_DELETION) {
            throw new KmsRequestException(
                    KmsErrorType.KMS_INVALID_STATE, arn + " is not pending deletion.");
        }
        state = KeyState.DISABLED;
        deletionDate = null;
        pendingWindowInDays = 0;
    }

    /**
     * Fails with the error that KMS returns when a cryptographic operation uses a key that is not
     * enabled.
     */
    synchronized void requireUsable() {
        if (state == KeyState.DISABLED) {
            throw new KmsRequestException(KmsErrorType.DISABLED, arn + " is disabled.");
        }
        requireNotPendingDeletion();
    }

    synchronized void requireNotPendingDeletion() {
        if (state == KeyState.PENDING_DELETION) {
            throw new KmsRequestException(
                    KmsErrorType.KMS_INVALID_STATE, arn + " is pending deletion.");
        }
    }
}
