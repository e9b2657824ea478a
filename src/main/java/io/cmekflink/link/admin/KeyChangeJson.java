package io.cmekflink.link.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cmekflink.link.KeyChangeEvent;
import java.time.Instant;

/**
 * The one-line JSON summary that {@code link-key} and {@code unlink-key} print on stdout, with the
 * fields in this order:
 *
 * <pre>
 * {"org_id":"acme","change":"LINKED","version":2,"key_name":"prod","key_arn":"arn:aws:kms:...",
 *  "region":"eu-west-1","changed_at":"2025-03-01T10:00:00Z","allow_account_change":false,
 *  "dry_run":false,"topic":"key-changes","partition":0,"offset":17,
 *  "verification":{"key_state":"Enabled","key_spec":"SYMMETRIC_DEFAULT",
 *  "key_usage":"ENCRYPT_DECRYPT","multi_region":true,"regions":["eu-west-1","eu-central-1"],
 *  "rotation_enabled":true,"other_org_denied":true,"purpose_enforced":true,"warnings":0}}
 * </pre>
 *
 * {@code key_name}, {@code key_arn} and {@code region} are null for UNLINKED; {@code topic}, {@code
 * partition} and {@code offset} are present only when the event was published, and {@code
 * verification} only with {@code --verify}. {@code rotation_enabled} and {@code purpose_enforced}
 * are null when KMS could not tell. {@code other_org_denied} is always true, because a key that
 * serves another org's context is rejected.
 */
public final class KeyChangeJson {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private KeyChangeJson() {}

    /**
     * Returns the summary of {@code event}.
     *
     * @param published where the event was stored, or {@code null} for a dry run
     * @param verification the result of {@code --verify}, or {@code null}
     */
    public static String summary(
            KeyChangeEvent event,
            KeyChangePublisher.Published published,
            KeyVerification verification) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("org_id", event.orgId());
        root.put("change", event.change());
        root.put("version", event.version());
        root.put("key_name", event.keyName());
        root.put("key_arn", event.keyArn());
        root.put("region", event.region());
        root.put("changed_at", Instant.ofEpochMilli(event.changedAt()).toString());
        root.put("allow_account_change", event.allowAccountChange());
        root.put("dry_run", published == null);
        if (published != null) {
            root.put("topic", published.topic());
            root.put("partition", published.partition());
            root.put("offset", published.offset());
        }
        if (verification != null) {
            root.set("verification", verification(verification));
        }
        return root.toString();
    }

    private static ObjectNode verification(KeyVerification verification) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("key_state", verification.keyState());
        node.put("key_spec", verification.keySpec());
        node.put("key_usage", verification.keyUsage());
        node.put("multi_region", verification.multiRegion());
        ArrayNode regions = node.putArray("regions");
        verification.regions().forEach(regions::add);
        node.put("rotation_enabled", verification.rotationEnabled());
        node.put("other_org_denied", true);
        node.put("purpose_enforced", verification.purposeEnforced());
        node.put("warnings", verification.warnings().size());
        return node;
    }
}
