package io.cmekflink.crypto;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * The KMS encryption context of a DEK: {@code {org_id: <org id>, purpose: cmek-flink/v1}}.
 *
 * <p>{@code GenerateDataKey} binds the EDEK to this context, and {@code Decrypt} must repeat it
 * exactly, so an EDEK of one org cannot be unwrapped for another. The envelope stores it.
 */
public final class EncryptionContext {

    public static final String ORG_ID_KEY = "org_id";
    public static final String PURPOSE_KEY = "purpose";
    public static final String PURPOSE = "cmek-flink/v1";

    private EncryptionContext() {}

    /** Returns the context for {@code orgId}, an unmodifiable map with its keys in sorted order. */
    public static Map<String, String> of(String orgId) {
        Objects.requireNonNull(orgId, "orgId");
        if (orgId.isEmpty()) {
            throw new IllegalArgumentException("org id must not be empty");
        }
        Map<String, String> context = new LinkedHashMap<>(4);
        context.put(ORG_ID_KEY, orgId);
        context.put(PURPOSE_KEY, PURPOSE);
        return Collections.unmodifiableMap(context);
    }

    /**
     * Returns the org id of {@code context}.
     *
     * @throws IllegalArgumentException unless the context has exactly the keys {@value #ORG_ID_KEY}
     *     and {@value #PURPOSE_KEY}, with purpose {@value #PURPOSE}
     */
    public static String orgIdOf(Map<String, String> context) {
        String orgId = context.get(ORG_ID_KEY);
        if (context.size() != 2
                || orgId == null
                || orgId.isEmpty()
                || !PURPOSE.equals(context.get(PURPOSE_KEY))) {
            throw new IllegalArgumentException(
                    "encryption context must have exactly the keys "
                            + ORG_ID_KEY
                            + " and "
                            + PURPOSE_KEY
                            + ", with "
                            + PURPOSE_KEY
                            + " "
                            + PURPOSE
                            + ", got the keys "
                            + new TreeSet<>(context.keySet()));
        }
        return orgId;
    }
}
