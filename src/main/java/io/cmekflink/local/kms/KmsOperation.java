package io.cmekflink.local.kms;

import java.util.Optional;

/** The KMS operations that the emulator serves, named as in {@code X-Amz-Target}. */
public enum KmsOperation {
    CREATE_KEY("CreateKey"),
    GENERATE_DATA_KEY("GenerateDataKey"),
    DECRYPT("Decrypt"),
    ENCRYPT("Encrypt"),
    RE_ENCRYPT("ReEncrypt"),
    DESCRIBE_KEY("DescribeKey"),
    GET_KEY_ROTATION_STATUS("GetKeyRotationStatus"),
    ENABLE_KEY("EnableKey"),
    DISABLE_KEY("DisableKey"),
    SCHEDULE_KEY_DELETION("ScheduleKeyDeletion"),
    CANCEL_KEY_DELETION("CancelKeyDeletion"),
    REPLICATE_KEY("ReplicateKey");

    private final String wireName;

    KmsOperation(String wireName) {
        this.wireName = wireName;
    }

    /** The operation name after {@code TrentService.} in the {@code X-Amz-Target} header. */
    public String wireName() {
        return wireName;
    }

    static Optional<KmsOperation> fromWireName(String name) {
        for (KmsOperation operation : values()) {
            if (operation.wireName.equals(name)) {
                return Optional.of(operation);
            }
        }
        return Optional.empty();
    }
}
