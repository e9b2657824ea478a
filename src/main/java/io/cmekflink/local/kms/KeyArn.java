package io.cmekflink.local.kms;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The parts of a KMS key ARN, {@code arn:aws:kms:<region>:<account>:key/<key id>}. */
record KeyArn(String region, String account, String keyId) {

    private static final Pattern ARN =
            Pattern.compile("arn:aws:kms:([a-z0-9-]+):([0-9]{12}):key/([A-Za-z0-9-]+)");
    private static final Pattern SINGLE_REGION_KEY_ID =
            Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    private static final Pattern MULTI_REGION_KEY_ID = Pattern.compile("mrk-[0-9a-f]{32}");

    /** Returns the parts of a key ARN, or empty when the value is not a key ARN. */
    static Optional<KeyArn> parse(String value) {
        Matcher matcher = ARN.matcher(value);
        if (!matcher.matches() || !isKeyId(matcher.group(3))) {
            return Optional.empty();
        }
        return Optional.of(new KeyArn(matcher.group(1), matcher.group(2), matcher.group(3)));
    }

    /** Whether the value has the form of a key id: a UUID, or {@code mrk-} and 32 hex digits. */
    static boolean isKeyId(String value) {
        return SINGLE_REGION_KEY_ID.matcher(value).matches()
                || MULTI_REGION_KEY_ID.matcher(value).matches();
    }

    static boolean isMultiRegionKeyId(String value) {
        return MULTI_REGION_KEY_ID.matcher(value).matches();
    }

    @Override
    public String toString() {
        return "arn:aws:kms:" + region + ":" + account + ":key/" + keyId;
    }
}
