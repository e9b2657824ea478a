package io.cmekflink.local.kms;

/** Key states that the emulator models, with the {@code KeyState} value of {@code KeyMetadata}. */
public enum KeyState {
    ENABLED("Enabled"),
    DISABLED("Disabled"),
    PENDING_DELETION("PendingDeletion");

    private final String wireName;

    KeyState(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }
}
