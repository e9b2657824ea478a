package io.cmekflink.local.kms;

/**
 * Key policy actions, named as in IAM ({@code kms:Decrypt}).
 *
 * <p>As in KMS, only the actions that support cross-account use can be granted to an account other
 * than the key's owner: the cryptographic operations, {@code DescribeKey} and {@code
 * GetKeyRotationStatus}.
 */
public enum KmsAction {
    ENCRYPT("kms:Encrypt", true),
    DECRYPT("kms:Decrypt", true),
    RE_ENCRYPT_FROM("kms:ReEncryptFrom", true),
    RE_ENCRYPT_TO("kms:ReEncryptTo", true),
    GENERATE_DATA_KEY("kms:GenerateDataKey", true),
    DESCRIBE_KEY("kms:DescribeKey", true),
    GET_KEY_ROTATION_STATUS("kms:GetKeyRotationStatus", true),
    ENABLE_KEY("kms:EnableKey", false),
    DISABLE_KEY("kms:DisableKey", false),
    SCHEDULE_KEY_DELETION("kms:ScheduleKeyDeletion", false),
    CANCEL_KEY_DELETION("kms:CancelKeyDeletion", false),
    REPLICATE_KEY("kms:ReplicateKey", false);

    private final String iamName;
    private final boolean crossAccount;

    KmsAction(String iamName, boolean crossAccount) {
        this.iamName = iamName;
        this.crossAccount = crossAccount;
    }

    public String iamName() {
        return iamName;
    }

    /** Whether KMS lets a principal of another account perform this action on the key. */
    public boolean crossAccount() {
        return crossAccount;
    }
}
