package io.cmekflink.link.admin;

import java.util.List;

/**
 * The findings of {@link KeyVerifier} about a key that passed its checks.
 *
 * @param keyState the {@code KeyState} that DescribeKey returned, always {@code Enabled}
 * @param keySpec always {@code SYMMETRIC_DEFAULT}
 * @param keyUsage always {@code ENCRYPT_DECRYPT}
 * @param multiRegion whether the key is a multi-region key
 * @param regions for a multi-region key, the regions of its primary and replicas; otherwise the
 *     key's region
 * @param rotationEnabled whether automatic rotation is on, or {@code null} when KMS does not
 *     support rotation for this key
 * @param purposeEnforced whether the key policy denied a data key of the org under another purpose,
 *     or {@code null} when that check failed for another reason
 * @param warnings the findings that do not reject the key, one sentence each
 */
public record KeyVerification(
        String keyState,
        String keySpec,
        String keyUsage,
        boolean multiRegion,
        List<String> regions,
        Boolean rotationEnabled,
        Boolean purposeEnforced,
        List<String> warnings) {

    public KeyVerification {
        regions = List.copyOf(regions);
        warnings = List.copyOf(warnings);
    }
}
