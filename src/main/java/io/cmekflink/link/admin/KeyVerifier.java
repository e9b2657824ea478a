package io.cmekflink.link.admin;

import io.cmekflink.crypto.EncryptionContext;
import io.cmekflink.kms.KmsErrors;
import io.cmekflink.link.Geo;
import io.cmekflink.link.KeyArn;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.KmsClientBuilder;
import software.amazon.awssdk.services.kms.model.DataKeySpec;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyResponse;
import software.amazon.awssdk.services.kms.model.KeyMetadata;
import software.amazon.awssdk.services.kms.model.MultiRegionConfiguration;
import software.amazon.awssdk.services.kms.model.MultiRegionKey;

/**
 * Checks through KMS that a key can protect one org's data and no other org's, before it is linked.
 *
 * <p>The checks, in order: {@code DescribeKey} must return the same key ARN, in state {@code
 * Enabled}, with key spec {@code SYMMETRIC_DEFAULT} and key usage {@code ENCRYPT_DECRYPT}; {@code
 * GetKeyRotationStatus} must be allowed; {@code GenerateDataKey} (AES_256) under the org's
 * encryption context must succeed with the same key; and {@code GenerateDataKey} under the context
 * of another org ({@code org_id} = the org id + {@value #PROBE_SUFFIX}) must be denied with {@code
 * AccessDeniedException}, which a key policy with a {@code kms:EncryptionContext:org_id} condition
 * does. A single-region key, a multi-region key without a replica in each region of the geo,
 * automatic rotation that is off, and a key policy that does not pin {@code purpose} are warnings.
 *
 * <p>The data keys that the checks generate are discarded: their plaintext bytes are overwritten
 * with zeros and never leave this class. Each check that succeeds costs one KMS request: five per
 * verification, of which three are cryptographic.
 */
public final class KeyVerifier {

    /** Appended to the org id to name the other org whose context must be denied. */
    public static final String PROBE_SUFFIX = "-probe";

    /** The purpose of the context that checks the {@code purpose} condition. */
    public static final String PROBE_PURPOSE = "cmek-flink/probe";

    private static final String ACCESS_DENIED = "AccessDeniedException";
    private static final String POLICY_DOC = "docs/key-policy.md";

    private final KmsClient kms;

    /** Uses {@code kms}, which the caller closes. */
    public KeyVerifier(KmsClient kms) {
        this.kms = kms;
    }

    /**
     * Creates a synchronous KMS client for a region with credentials from the AWS SDK's default
     * provider chain and the URL connection HTTP client.
     *
     * @param endpoint the endpoint override, such as an emulator's URL, or {@code null} for the
     *     region's KMS endpoint
     * @param timeout the maximum duration of one API call, retries included
     */
    public static KmsClient client(String region, URI endpoint, Duration timeout) {
        KmsClientBuilder builder =
                KmsClient.builder()
                        .region(Region.of(region))
                        .httpClientBuilder(
                                UrlConnectionHttpClient.builder()
                                        .connectionTimeout(timeout)
                                        .socketTimeout(timeout))
                        .overrideConfiguration(c -> c.apiCallTimeout(timeout));
        if (endpoint != null) {
            builder.endpointOverride(endpoint);
        }
        return builder.build();
    }

    /**
     * Runs the checks for linking {@code arn} to {@code orgId} in {@code geo}.
     *
     * @throws KeyVerificationException naming the key, the failed check and the fix
     */
    public KeyVerification verify(KeyArn arn, String orgId, Geo geo)
            throws KeyVerificationException {
        String keyArn = arn.toString();
        KeyMetadata metadata = describe(keyArn);
        List<String> warnings = new ArrayList<>();
        Boolean rotation = rotationEnabled(keyArn, warnings);
        generateOwnDataKey(keyArn, orgId);
        requireOtherOrgDenied(keyArn, orgId);
        Boolean purposeEnforced = purposeEnforced(keyArn, orgId, warnings);
        List<String> regions = regions(metadata, arn);
        if (!Boolean.TRUE.equals(metadata.multiRegion())) {
            warnings.add(
                    "key "
                            + keyArn
                            + " is a single-region key: a multi-region key (mrk-) replicated to"
                            + " both regions of geo "
                            + geo
                            + " "
                            + geo.regions()
                            + " is recommended for disaster recovery");
        } else {
            for (String region : geo.regions()) {
                if (!regions.contains(region)) {
                    warnings.add(
                            "multi-region key "
                                    + keyArn
                                    + " has no replica in "
                                    + region
                                    + " of geo "
                                    + geo
                                    + ": replicate it there for disaster recovery");
                }
            }
        }
        return new KeyVerification(
                metadata.keyStateAsString(),
                metadata.keySpecAsString(),
                metadata.keyUsageAsString(),
                Boolean.TRUE.equals(metadata.multiRegion()),
                regions,
                rotation,
                purposeEnforced,
                warnings);
    }

    private KeyMetadata describe(String keyArn) throws KeyVerificationException {
        KeyMetadata metadata;
        try {
            metadata = kms.describeKey(r -> r.keyId(keyArn)).keyMetadata();
        } catch (AwsServiceException | SdkClientException e) {
            throw failed("DescribeKey", keyArn, e, "kms:DescribeKey");
        }
        if (!keyArn.equals(metadata.arn())) {
            throw new KeyVerificationException(
                    "DescribeKey of " + keyArn + " returned another key, " + metadata.arn());
        }
        requireValue(
                keyArn,
                "key state",
                metadata.keyStateAsString(),
                "Enabled",
                "enable the key, or cancel its deletion and enable it, before linking it");
        requireValue(
                keyArn,
                "key spec",
                metadata.keySpecAsString(),
                "SYMMETRIC_DEFAULT",
                "link a symmetric encryption key");
        requireValue(
                keyArn,
                "key usage",
                metadata.keyUsageAsString(),
                "ENCRYPT_DECRYPT",
                "link a key created for encryption and decryption");
        return metadata;
    }

    private static void requireValue(
            String keyArn, String property, String actual, String expected, String fix)
            throws KeyVerificationException {
        if (!expected.equals(actual)) {
            throw new KeyVerificationException(
                    "key "
                            + keyArn
                            + " has "
                            + property
                            + " "
                            + actual
                            + ", expected "
                            + expected
                            + ": "
                            + fix);
        }
    }

    private Boolean rotationEnabled(String keyArn, List<String> warnings)
            throws KeyVerificationException {
        boolean enabled;
        try {
            enabled = kms.getKeyRotationStatus(r -> r.keyId(keyArn)).keyRotationEnabled();
        } catch (software.amazon.awssdk.services.kms.model.UnsupportedOperationException e) {
            // Keys with imported key material or in a custom key store have no automatic
            // rotation.
            warnings.add(
                    "KMS does not support automatic rotation for key "
                            + keyArn
                            + " ("
                            + describe(e)
                            + ")");
            return null;
        } catch (AwsServiceException | SdkClientException e) {
            throw failed("GetKeyRotationStatus", keyArn, e, "kms:GetKeyRotationStatus");
        }
        if (!enabled) {
            warnings.add(
                    "automatic rotation is off for key "
                            + keyArn
                            + ": turn it on with aws kms enable-key-rotation --key-id "
                            + keyArn
                            + " (rotation keeps the key ARN, so the link stays valid)");
        }
        return enabled;
    }

    private void generateOwnDataKey(String keyArn, String orgId) throws KeyVerificationException {
        Map<String, String> context = EncryptionContext.of(orgId);
        GenerateDataKeyResponse response;
        try {
            response = generateDataKey(keyArn, context);
        } catch (AwsServiceException | SdkClientException e) {
            throw failed(
                    "GenerateDataKey with the encryption context " + context,
                    keyArn,
                    e,
                    "kms:GenerateDataKey* under this context");
        }
        if (!keyArn.equals(response.keyId())) {
            throw new KeyVerificationException(
                    "GenerateDataKey with key "
                            + keyArn
                            + " used another key, "
                            + response.keyId());
        }
    }

    private void requireOtherOrgDenied(String keyArn, String orgId)
            throws KeyVerificationException {
        String otherOrg = orgId + PROBE_SUFFIX;
        Map<String, String> context = EncryptionContext.of(otherOrg);
        try {
            generateDataKey(keyArn, context);
        } catch (AwsServiceException | SdkClientException e) {
            if (ACCESS_DENIED.equals(KmsErrors.errorCode(e))) {
                return;
            }
            throw new KeyVerificationException(
                    "checking that key "
                            + keyArn
                            + " denies the encryption context of another org ("
                            + context
                            + ") failed with "
                            + describe(e)
                            + " instead of "
                            + ACCESS_DENIED
                            + "; run --verify again",
                    e);
        }
        throw new KeyVerificationException(
                "key "
                        + keyArn
                        + " generated a data key for another org (encryption context "
                        + context
                        + "), so it could serve other orgs' data: its key policy must allow the"
                        + " platform role the cryptographic actions only under the condition"
                        + " StringEquals \"kms:EncryptionContext:org_id\": \""
                        + orgId
                        + "\" ("
                        + POLICY_DOC
                        + ")");
    }

    private Boolean purposeEnforced(String keyArn, String orgId, List<String> warnings) {
        Map<String, String> context =
                Map.of(
                        EncryptionContext.ORG_ID_KEY,
                        orgId,
                        EncryptionContext.PURPOSE_KEY,
                        PROBE_PURPOSE);
        try {
            generateDataKey(keyArn, context);
        } catch (AwsServiceException | SdkClientException e) {
            if (ACCESS_DENIED.equals(KmsErrors.errorCode(e))) {
                return true;
            }
            warnings.add(
                    "checking the purpose condition of key "
                            + keyArn
                            + " failed with "
                            + describe(e));
            return null;
        }
        warnings.add(
                "key "
                        + keyArn
                        + " generated a data key for org "
                        + orgId
                        + " with purpose "
                        + PROBE_PURPOSE
                        + ": add the condition StringEquals \"kms:EncryptionContext:purpose\": \""
                        + EncryptionContext.PURPOSE
                        + "\" to its key policy ("
                        + POLICY_DOC
                        + ")");
        return false;
    }

    /** Generates an AES-256 data key and overwrites its plaintext at once. */
    private GenerateDataKeyResponse generateDataKey(String keyArn, Map<String, String> context) {
        GenerateDataKeyResponse response =
                kms.generateDataKey(
                        r ->
                                r.keyId(keyArn)
                                        .keySpec(DataKeySpec.AES_256)
                                        .encryptionContext(context));
        SdkBytes plaintext = response.plaintext();
        if (plaintext != null) {
            Arrays.fill(plaintext.asByteArrayUnsafe(), (byte) 0);
        }
        return response;
    }

    private static List<String> regions(KeyMetadata metadata, KeyArn arn) {
        MultiRegionConfiguration configuration = metadata.multiRegionConfiguration();
        if (!Boolean.TRUE.equals(metadata.multiRegion()) || configuration == null) {
            return List.of(arn.region());
        }
        Set<String> regions = new LinkedHashSet<>();
        if (configuration.primaryKey() != null) {
            regions.add(configuration.primaryKey().region());
        }
        for (MultiRegionKey replica : configuration.replicaKeys()) {
            regions.add(replica.region());
        }
        return List.copyOf(regions);
    }

    /** Describes a failed call by its AWS error code, message and request id. */
    private static String describe(Exception e) {
        String code = KmsErrors.errorCode(e);
        if (e instanceof AwsServiceException service && code != null) {
            String message = service.awsErrorDetails().errorMessage();
            return code
                    + (message == null ? "" : ": " + message)
                    + " (request id "
                    + service.requestId()
                    + ")";
        }
        return KmsErrors.describe(e);
    }

    private static KeyVerificationException failed(
            String call, String keyArn, Exception e, String permission) {
        String code = KmsErrors.errorCode(e);
        String fix;
        if (ACCESS_DENIED.equals(code)) {
            fix =
                    "the key policy must allow the platform role "
                            + permission
                            + " ("
                            + POLICY_DOC
                            + ")";
        } else if ("NotFoundException".equals(code)) {
            fix = "check the key ARN and its region";
        } else if (e instanceof SdkClientException) {
            fix =
                    "check the AWS credentials of the SDK's default provider chain and the KMS"
                            + " endpoint (--kms-endpoint)";
        } else {
            fix = "run --verify again once KMS answers";
        }
        return new KeyVerificationException(
                call + " of key " + keyArn + " failed with " + describe(e) + "; " + fix, e);
    }
}
