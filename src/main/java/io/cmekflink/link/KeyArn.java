package io.cmekflink.link;

import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The ARN of a KMS key: {@code arn:<partition>:kms:<region>:<account>:key/<key id>}, where the key
 * id is a UUID or, for a multi-region key, {@code mrk-} followed by 32 hex digits.
 *
 * <p>Alias ARNs and bare key ids are rejected: a key link must name one key unambiguously, and an
 * alias can be pointed at another key by whoever controls the alias.
 */
public record KeyArn(String partition, String region, String account, String keyId) {

    private static final Pattern ARN =
            Pattern.compile("arn:([a-z-]+):kms:([a-z0-9-]+):([0-9]{12}):key/(.+)");
    private static final Pattern UUID =
            Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    private static final Pattern MRK = Pattern.compile("mrk-[0-9a-f]{32}");
    private static final Pattern REGION = Pattern.compile("[a-z]{2}(-[a-z]+)+-[0-9]+");

    public KeyArn {
        Objects.requireNonNull(partition, "partition");
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(account, "account");
        Objects.requireNonNull(keyId, "keyId");
    }

    /**
     * Parses and validates a key ARN.
     *
     * @throws InvalidKeyLinkException naming the value and the rule it breaks
     */
    public static KeyArn parse(String arn) throws InvalidKeyLinkException {
        if (arn == null || arn.isBlank()) {
            throw new InvalidKeyLinkException("key_arn", arn, "a key ARN is required");
        }
        if (arn.contains(":alias/")) {
            throw new InvalidKeyLinkException(
                    "key_arn", arn, "alias ARNs are not accepted: link the key ARN (key/...)");
        }
        Matcher m = ARN.matcher(arn);
        if (!m.matches()) {
            throw new InvalidKeyLinkException(
                    "key_arn",
                    arn,
                    "expected arn:<partition>:kms:<region>:<12-digit account>:key/<key id>");
        }
        String partition = m.group(1);
        String region = m.group(2);
        String keyId = m.group(4);
        if (!partition.equals(partitionOf(region))) {
            throw new InvalidKeyLinkException(
                    "key_arn",
                    arn,
                    "partition '"
                            + partition
                            + "' does not match region '"
                            + region
                            + "' (expected '"
                            + partitionOf(region)
                            + "')");
        }
        if (!REGION.matcher(region).matches()) {
            throw new InvalidKeyLinkException("key_arn", arn, "'" + region + "' is not a region");
        }
        if (!UUID.matcher(keyId).matches() && !MRK.matcher(keyId).matches()) {
            throw new InvalidKeyLinkException(
                    "key_arn",
                    arn,
                    "the key id must be a lowercase UUID or mrk- followed by 32 hex digits");
        }
        return new KeyArn(partition, region, m.group(3), keyId);
    }

    /** The AWS partition that a region belongs to. */
    public static String partitionOf(String region) {
        if (region.startsWith("cn-")) {
            return "aws-cn";
        }
        if (region.startsWith("us-gov-")) {
            return "aws-us-gov";
        }
        return "aws";
    }

    public boolean isMultiRegion() {
        return keyId.startsWith("mrk-");
    }

    /**
     * Returns whether {@code other} names the same KMS key: the same ARN, or for a multi-region key
     * the same partition, account and {@code mrk-} key id in any region, because the primary key
     * and its replicas share key material and each decrypts what another encrypted. A single-region
     * key with the same UUID in another region is a different key.
     */
    public boolean sameKey(KeyArn other) {
        if (equals(other)) {
            return true;
        }
        return isMultiRegion()
                && partition.equals(other.partition)
                && account.equals(other.account)
                && keyId.equals(other.keyId);
    }

    /** The ARN of the same key id in another region: a multi-region key's replica. */
    public KeyArn inRegion(String otherRegion) {
        return new KeyArn(partitionOf(otherRegion), otherRegion, account, keyId);
    }

    @Override
    public String toString() {
        return "arn:" + partition + ":kms:" + region + ":" + account + ":key/" + keyId;
    }
}
