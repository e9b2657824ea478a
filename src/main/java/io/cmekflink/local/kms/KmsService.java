package io.cmekflink.local.kms;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The KMS operations on the emulated keys: request members in, response members out, in the JSON
 * shapes of the KMS API (API version 2014-11-01). Failures raise {@link KmsRequestException}.
 * Thread-safe.
 */
final class KmsService {

    static final int MAX_PLAINTEXT_LENGTH = 4096;
    static final int MAX_CIPHERTEXT_LENGTH = 6144;
    static final int MAX_DATA_KEY_LENGTH = 1024;
    static final int MIN_PENDING_WINDOW_DAYS = 7;
    static final int MAX_PENDING_WINDOW_DAYS = 30;

    private static final String SYMMETRIC_DEFAULT = "SYMMETRIC_DEFAULT";
    private static final Set<String> ENCRYPTION_ALGORITHMS =
            Set.of(SYMMETRIC_DEFAULT, "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "SM2PKE");
    private static final String CIPHERTEXT_KEY_UNREACHABLE =
            "The ciphertext refers to a customer master key that does not exist, does not exist"
                    + " in this region, or you are not allowed to access.";

    private final KeyRegistry registry;
    private final SecureRandom random;
    private final JsonNodeFactory json = JsonNodeFactory.instance;
    private volatile List<byte[]> issuedDataKeys;

    KmsService(KeyRegistry registry, SecureRandom random) {
        this.registry = registry;
        this.random = random;
    }

    /** Starts keeping a copy of every data key plaintext that GenerateDataKey returns. */
    synchronized void recordIssuedDataKeys() {
        if (issuedDataKeys == null) {
            issuedDataKeys = new java.util.concurrent.CopyOnWriteArrayList<>();
        }
    }

    /** Copies of the data key plaintexts returned since recording started. */
    List<byte[]> issuedDataKeys() {
        List<byte[]> issued = issuedDataKeys;
        if (issued == null) {
            throw new IllegalStateException(
                    "data keys are not recorded: call recordIssuedDataKeys() before the calls");
        }
        return issued.stream().map(byte[]::clone).toList();
    }

    ObjectNode handle(KmsOperation operation, Caller caller, JsonNode request) {
        return switch (operation) {
            case CREATE_KEY -> createKey(caller, request);
            case GENERATE_DATA_KEY -> generateDataKey(caller, request);
            case DECRYPT -> decrypt(caller, request);
            case ENCRYPT -> encrypt(caller, request);
            case RE_ENCRYPT -> reEncrypt(caller, request);
            case DESCRIBE_KEY -> describeKey(caller, request);
            case GET_KEY_ROTATION_STATUS -> getKeyRotationStatus(caller, request);
            case ENABLE_KEY -> enableKey(caller, request);
            case DISABLE_KEY -> disableKey(caller, request);
            case SCHEDULE_KEY_DELETION -> scheduleKeyDeletion(caller, request);
            case CANCEL_KEY_DELETION -> cancelKeyDeletion(caller, request);
            case REPLICATE_KEY -> replicateKey(caller, request);
        };
    }

    private ObjectNode createKey(Caller caller, JsonNode request) {
        rejectPolicy(request);
        requireValue(request, "KeyUsage", "ENCRYPT_DECRYPT");
        requireValue(request, "KeySpec", SYMMETRIC_DEFAULT);
        requireValue(request, "CustomerMasterKeySpec", SYMMETRIC_DEFAULT);
        requireValue(request, "Origin", "AWS_KMS");
        boolean multiRegion = request.path("MultiRegion").asBoolean(false);
        String description = optionalText(request, "Description");
        EmulatedKey key =
                registry.create(
                        caller.account(),
                        caller.region(),
                        multiRegion,
                        KeyUsage.ENCRYPT_DECRYPT,
                        description);
        ObjectNode response = json.objectNode();
        response.set("KeyMetadata", keyMetadata(key));
        return response;
    }

    private ObjectNode generateDataKey(Caller caller, JsonNode request) {
        int length = dataKeyLength(request);
        Map<String, String> context = encryptionContext(request, "EncryptionContext");
        EmulatedKey key = resolveKey(caller, requiredText(request, "KeyId", "keyId"), "keyId");
        authorize(caller, key, KmsAction.GENERATE_DATA_KEY, context);
        requireEncryptDecrypt(key, KmsOperation.GENERATE_DATA_KEY);
        key.requireUsable();
        byte[] plaintext = new byte[length];
        random.nextBytes(plaintext);
        byte[] blob = CiphertextBlob.seal(key.family(), plaintext, context, random);
        List<byte[]> issued = issuedDataKeys;
        if (issued != null) {
            issued.add(plaintext.clone());
        }
        ObjectNode response = json.objectNode();
        response.put("CiphertextBlob", blob);
        response.put("Plaintext", plaintext);
        response.put("KeyId", key.arn().toString());
        return response;
    }

    private ObjectNode encrypt(Caller caller, JsonNode request) {
        byte[] plaintext = requiredBlob(request, "Plaintext", "plaintext");
        if (plaintext.length > MAX_PLAINTEXT_LENGTH) {
            throw validation(
                    "Value at 'plaintext' failed to satisfy constraint: Member must have length"
                            + " less than or equal to "
                            + MAX_PLAINTEXT_LENGTH);
        }
        Map<String, String> context = encryptionContext(request, "EncryptionContext");
        EmulatedKey key = resolveKey(caller, requiredText(request, "KeyId", "keyId"), "keyId");
        authorize(caller, key, KmsAction.ENCRYPT, context);
        requireEncryptDecrypt(key, KmsOperation.ENCRYPT);
        requireSymmetricAlgorithm(request, "EncryptionAlgorithm", key);
        key.requireUsable();
        ObjectNode response = json.objectNode();
        response.put(
                "CiphertextBlob", CiphertextBlob.seal(key.family(), plaintext, context, random));
        response.put("KeyId", key.arn().toString());
        response.put("EncryptionAlgorithm", SYMMETRIC_DEFAULT);
        return response;
    }

    private ObjectNode decrypt(Caller caller, JsonNode request) {
        byte[] blob = ciphertextBlob(request, "CiphertextBlob", "ciphertextBlob");
        Map<String, String> context = encryptionContext(request, "EncryptionContext");
        String keyId = optionalText(request, "KeyId");
        EmulatedKey key = keyOfCiphertext(caller, blob, keyId, "keyId");
        authorize(caller, key, KmsAction.DECRYPT, context);
        requireEncryptDecrypt(key, KmsOperation.DECRYPT);
        requireSymmetricAlgorithm(request, "EncryptionAlgorithm", key);
        key.requireUsable();
        byte[] plaintext = CiphertextBlob.open(key.family(), blob, context);
        ObjectNode response = json.objectNode();
        response.put("KeyId", key.arn().toString());
        response.put("Plaintext", plaintext);
        response.put("EncryptionAlgorithm", SYMMETRIC_DEFAULT);
        return response;
    }

    private ObjectNode reEncrypt(Caller caller, JsonNode request) {
        byte[] blob = ciphertextBlob(request, "CiphertextBlob", "ciphertextBlob");
        Map<String, String> sourceContext = encryptionContext(request, "SourceEncryptionContext");
        Map<String, String> destinationContext =
                encryptionContext(request, "DestinationEncryptionContext");
        String destinationKeyId = requiredText(request, "DestinationKeyId", "destinationKeyId");
        EmulatedKey source =
                keyOfCiphertext(caller, blob, optionalText(request, "SourceKeyId"), "sourceKeyId");
        EmulatedKey destination = resolveKey(caller, destinationKeyId, "destinationKeyId");
        authorize(caller, source, KmsAction.RE_ENCRYPT_FROM, sourceContext);
        authorize(caller, destination, KmsAction.RE_ENCRYPT_TO, destinationContext);
        requireEncryptDecrypt(source, KmsOperation.RE_ENCRYPT);
        requireEncryptDecrypt(destination, KmsOperation.RE_ENCRYPT);
        requireSymmetricAlgorithm(request, "SourceEncryptionAlgorithm", source);
        requireSymmetricAlgorithm(request, "DestinationEncryptionAlgorithm", destination);
        source.requireUsable();
        destination.requireUsable();
        byte[] plaintext = CiphertextBlob.open(source.family(), blob, sourceContext);
        byte[] resealed =
                CiphertextBlob.seal(destination.family(), plaintext, destinationContext, random);
        ObjectNode response = json.objectNode();
        response.put("CiphertextBlob", resealed);
        response.put("SourceKeyId", source.arn().toString());
        response.put("KeyId", destination.arn().toString());
        response.put("SourceEncryptionAlgorithm", SYMMETRIC_DEFAULT);
        response.put("DestinationEncryptionAlgorithm", SYMMETRIC_DEFAULT);
        return response;
    }

    private ObjectNode describeKey(Caller caller, JsonNode request) {
        EmulatedKey key = resolveKey(caller, requiredText(request, "KeyId", "keyId"), "keyId");
        authorize(caller, key, KmsAction.DESCRIBE_KEY, Map.of());
        ObjectNode response = json.objectNode();
        response.set("KeyMetadata", keyMetadata(key));
        return response;
    }

    private ObjectNode getKeyRotationStatus(Caller caller, JsonNode request) {
        EmulatedKey key = resolveKey(caller, requiredText(request, "KeyId", "keyId"), "keyId");
        authorize(caller, key, KmsAction.GET_KEY_ROTATION_STATUS, Map.of());
        key.requireNotPendingDeletion();
        ObjectNode response = json.objectNode();
        response.put("KeyRotationEnabled", key.rotationEnabled());
        response.put("KeyId", key.arn().toString());
        return response;
    }

    private ObjectNode enableKey(Caller caller, JsonNode request) {
        EmulatedKey key = resolveKey(caller, requiredText(request, "KeyId", "keyId"), "keyId");
        authorize(caller, key, KmsAction.ENABLE_KEY, Map.of());
        key.enable();
        return json.objectNode();
    }

    private ObjectNode disableKey(Caller caller, JsonNode request) {
        EmulatedKey key = resolveKey(caller, requiredText(request, "KeyId", "keyId"), "keyId");
        authorize(caller, key, KmsAction.DISABLE_KEY, Map.of());
        key.disable();
        return json.objectNode();
    }

    private ObjectNode scheduleKeyDeletion(Caller caller, JsonNode request) {
        int window = pendingWindowInDays(request);
        EmulatedKey key = resolveKey(caller, requiredText(request, "KeyId", "keyId"), "keyId");
        authorize(caller, key, KmsAction.SCHEDULE_KEY_DELETION, Map.of());
        Instant deletionDate = key.scheduleDeletion(window);
        ObjectNode response = json.objectNode();
        response.put("KeyId", key.arn().toString());
        response.put("DeletionDate", epochSeconds(deletionDate));
        response.put("KeyState", KeyState.PENDING_DELETION.wireName());
        response.put("PendingWindowInDays", window);
        return response;
    }

    private ObjectNode cancelKeyDeletion(Caller caller, JsonNode request) {
        EmulatedKey key = resolveKey(caller, requiredText(request, "KeyId", "keyId"), "keyId");
        authorize(caller, key, KmsAction.CANCEL_KEY_DELETION, Map.of());
        key.cancelDeletion();
        ObjectNode response = json.objectNode();
        response.put("KeyId", key.arn().toString());
        return response;
    }

    private ObjectNode replicateKey(Caller caller, JsonNode request) {
        rejectPolicy(request);
        String replicaRegion = requiredText(request, "ReplicaRegion", "replicaRegion");
        EmulatedKey primary = resolveKey(caller, requiredText(request, "KeyId", "keyId"), "keyId");
        authorize(caller, primary, KmsAction.REPLICATE_KEY, Map.of());
        EmulatedKey replica =
                replicate(primary, replicaRegion, optionalText(request, "Description"));
        ObjectNode response = json.objectNode();
        response.set("ReplicaKeyMetadata", keyMetadata(replica));
        response.put("ReplicaPolicy", KeyPolicy.defaultPolicyDocument(replica.arn().account()));
        response.set("ReplicaTags", json.arrayNode());
        return response;
    }

    /**
     * Replicates a multi-region primary key into another region, with the checks that {@code
     * ReplicateKey} makes.
     */
    EmulatedKey replicate(EmulatedKey primary, String replicaRegion, String description) {
        if (!primary.family().multiRegion()) {
            throw new KmsRequestException(
                    KmsErrorType.UNSUPPORTED_OPERATION,
                    primary.arn() + " is not a multi-Region key.");
        }
        if (primary.isReplica()) {
            throw new KmsRequestException(
                    KmsErrorType.UNSUPPORTED_OPERATION,
                    primary.arn()
                            + " is a replica key: call ReplicateKey on the primary key in "
                            + primary.family().primaryRegion()
                            + ".");
        }
        primary.requireUsable();
        String replicaDescription = description == null ? primary.description() : description;
        return registry.replicate(primary, replicaRegion, replicaDescription);
    }

    /** Returns the {@code KeyMetadata} structure that {@code DescribeKey} returns for the key. */
    ObjectNode keyMetadata(EmulatedKey key) {
        ObjectNode metadata = json.objectNode();
        metadata.put("AWSAccountId", key.arn().account());
        metadata.put("KeyId", key.arn().keyId());
        metadata.put("Arn", key.arn().toString());
        metadata.put("CreationDate", epochSeconds(key.creationDate()));

        KeyState state = key.state();
        metadata.put("Enabled", state == KeyState.ENABLED);
        metadata.put("Description", key.description());
        metadata.put("KeyUsage", key.usage().name());
        metadata.put("KeyState", state.wireName());
        if (state == KeyState.PENDING_DELETION) {
            metadata.put("DeletionDate", epochSeconds(key.deletionDate()));
            metadata.put("PendingDeletionWindowInDays", key.pendingWindowInDays());
        }

        metadata.put("Origin", "AWS_KMS");
        metadata.put("KeyManager", "CUSTOMER");
        metadata.put("CustomerMasterKeySpec", key.usage().keySpec());
        metadata.put("KeySpec", key.usage().keySpec());
        ArrayNode algorithms = json.arrayNode();
        if (key.usage() == KeyUsage.ENCRYPT_DECRYPT) {
            algorithms.add(SYMMETRIC_DEFAULT);
            metadata.set("EncryptionAlgorithms", algorithms);
        } else {
            algorithms.add("HMAC_SHA_256");
            metadata.set("MacAlgorithms", algorithms);
        }
        metadata.put("MultiRegion", key.family().multiRegion());
        if (key.family().multiRegion()) {
            metadata.set("MultiRegionConfiguration", multiRegionConfiguration(key));
        }
        return metadata;
    }

    private ObjectNode multiRegionConfiguration(EmulatedKey key) {
        KeyFamily family = key.family();
        ObjectNode configuration = json.objectNode();
        configuration.put("MultiRegionKeyType", key.isReplica() ? "REPLICA" : "PRIMARY");
        configuration.set("PrimaryKey", regionalKey(family, family.primaryRegion()));
        ArrayNode replicas = json.arrayNode();
        for (String region : family.replicaRegions()) {
            if (registry.find(family.account(), region, family.keyId()).isPresent()) {
                replicas.add(regionalKey(family, region));
            }
        }
        configuration.set("ReplicaKeys", replicas);
        return configuration;
    }

    private ObjectNode regionalKey(KeyFamily family, String region) {
        ObjectNode regional = json.objectNode();
        regional.put("Arn", new KeyArn(region, family.account(), family.keyId()).toString());
        regional.put("Region", region);
        return regional;
    }

    /**
     * Resolves a {@code KeyId} member: a key ARN, or a bare key id in the caller's account and
     * region. Alias names and alias ARNs are not supported.
     */
    EmulatedKey resolveKey(Caller caller, String keyId, String member) {
        if (keyId.startsWith("alias/") || keyId.matches("arn:aws:kms:[^:]*:[^:]*:alias/.*")) {
            throw new KmsRequestException(
                    KmsErrorType.NOT_FOUND,
                    "Alias "
                            + keyId
                            + " is not found: the KMS emulator does not support aliases. Use a"
                            + " key id or key ARN.");
        }
        KeyArn arn;
        if (keyId.startsWith("arn:")) {
            arn =
                    KeyArn.parse(keyId)
                            .orElseThrow(
                                    () ->
                                            new KmsRequestException(
                                                    KmsErrorType.NOT_FOUND,
                                                    "Invalid arn " + keyId));
            if (!arn.region().equals(caller.region())) {
                throw new KmsRequestException(
                        KmsErrorType.NOT_FOUND, "Invalid arn " + arn.region());
            }
        } else if (KeyArn.isKeyId(keyId)) {
            arn = new KeyArn(caller.region(), caller.account(), keyId);
        } else {
            throw new KmsRequestException(
                    KmsErrorType.NOT_FOUND, "Invalid " + member + " '" + keyId + "'");
        }
        // NOTE: a missing key in another account also gets NotFoundException here. Whether KMS
        // returns AccessDeniedException instead, to hide which keys exist, was not checked.
        return registry.find(arn)
                .orElseThrow(
                        () ->
                                new KmsRequestException(
                                        KmsErrorType.NOT_FOUND,
                                        "Key '" + arn + "' does not exist"));
    }

    /**
     * Finds the key that can open the blob in the caller's region. When the request names a key, it
     * must be that key, else {@code IncorrectKeyException}.
     */
    private EmulatedKey keyOfCiphertext(
            Caller caller, byte[] blob, String requestedKeyId, String member) {
        byte[] handle =
                CiphertextBlob.handleOf(blob)
                        .orElseThrow(
                                () ->
                                        new KmsRequestException(
                                                KmsErrorType.INVALID_CIPHERTEXT, null));
        KeyFamily family =
                registry.familyOf(handle)
                        .orElseThrow(
                                () ->
                                        new KmsRequestException(
                                                KmsErrorType.INVALID_CIPHERTEXT, null));
        EmulatedKey requested =
                requestedKeyId == null ? null : resolveKey(caller, requestedKeyId, member);
        EmulatedKey key =
                registry.keyOfFamilyIn(family, caller.region())
                        .orElseThrow(
                                () ->
                                        new KmsRequestException(
                                                KmsErrorType.ACCESS_DENIED,
                                                CIPHERTEXT_KEY_UNREACHABLE));
        if (requested != null && requested != key) {
            throw new KmsRequestException(
                    KmsErrorType.INCORRECT_KEY,
                    "The key ID in the request does not identify a CMK that can perform this"
                            + " operation.");
        }
        return key;
    }

    private static void authorize(
            Caller caller, EmulatedKey key, KmsAction action, Map<String, String> context) {
        KeyPolicy.Decision decision = key.policy().evaluate(caller.account(), action, context);
        if (decision == KeyPolicy.Decision.ALLOW) {
            return;
        }
        String reason =
                decision == KeyPolicy.Decision.EXPLICIT_DENY
                        ? "with an explicit deny in a resource-based policy"
                        : "because no resource-based policy allows the "
                                + action.iamName()
                                + " action";
        throw new KmsRequestException(
                KmsErrorType.ACCESS_DENIED,
                "User: "
                        + caller.principalArn()
                        + " is not authorized to perform: "
                        + action.iamName()
                        + " on resource: "
                        + key.arn()
                        + " "
                        + reason);
    }

    private static void requireEncryptDecrypt(EmulatedKey key, KmsOperation operation) {
        if (key.usage() != KeyUsage.ENCRYPT_DECRYPT) {
            throw new KmsRequestException(
                    KmsErrorType.INVALID_KEY_USAGE,
                    key.arn()
                            + " key usage is "
                            + key.usage().name()
                            + " which is not valid for "
                            + operation.wireName()
                            + ".");
        }
    }

    private static void requireSymmetricAlgorithm(
            JsonNode request, String member, EmulatedKey key) {
        String algorithm = optionalText(request, member);
        if (algorithm == null || algorithm.equals(SYMMETRIC_DEFAULT)) {
            return;
        }
        if (!ENCRYPTION_ALGORITHMS.contains(algorithm)) {
            throw validation(
                    "Value '"
                            + algorithm
                            + "' at '"
                            + lowerFirst(member)
                            + "' failed to satisfy constraint: Member must satisfy enum value"
                            + " set: "
                            + ENCRYPTION_ALGORITHMS.stream().sorted().toList());
        }
        throw new KmsRequestException(
                KmsErrorType.INVALID_KEY_USAGE,
                "The encryption algorithm "
                        + algorithm
                        + " is not valid for "
                        + key.arn()
                        + ", which supports only SYMMETRIC_DEFAULT.");
    }

    private static int dataKeyLength(JsonNode request) {
        String keySpec = optionalText(request, "KeySpec");
        JsonNode numberOfBytes = request.get("NumberOfBytes");
        boolean hasNumber = numberOfBytes != null && !numberOfBytes.isNull();
        if (keySpec != null && hasNumber) {
            throw new KmsRequestException(
                    KmsErrorType.VALIDATION,
                    "Please specify either number of bytes or key spec, not both.");
        }
        if (keySpec == null && !hasNumber) {
            throw new KmsRequestException(
                    KmsErrorType.VALIDATION, "Please specify either number of bytes or key spec.");
        }
        if (keySpec != null) {
            return switch (keySpec) {
                case "AES_256" -> 32;
                case "AES_128" -> 16;
                default ->
                        throw validation(
                                "Value '"
                                        + keySpec
                                        + "' at 'keySpec' failed to satisfy constraint: Member"
                                        + " must satisfy enum value set: [AES_256, AES_128]");
            };
        }
        int length = intValue(numberOfBytes, "NumberOfBytes");
        if (length < 1 || length > MAX_DATA_KEY_LENGTH) {
            throw validation(
                    "Value '"
                            + length
                            + "' at 'numberOfBytes' failed to satisfy constraint: Member must"
                            + " have value between 1 and "
                            + MAX_DATA_KEY_LENGTH);
        }
        return length;
    }

    private static int pendingWindowInDays(JsonNode request) {
        JsonNode window = request.get("PendingWindowInDays");
        if (window == null || window.isNull()) {
            return MAX_PENDING_WINDOW_DAYS;
        }
        int days = intValue(window, "PendingWindowInDays");
        if (days < MIN_PENDING_WINDOW_DAYS || days > MAX_PENDING_WINDOW_DAYS) {
            throw validation(
                    "Value '"
                            + days
                            + "' at 'pendingWindowInDays' failed to satisfy constraint: Member"
                            + " must have value between "
                            + MIN_PENDING_WINDOW_DAYS
                            + " and "
                            + MAX_PENDING_WINDOW_DAYS);
        }
        return days;
    }

    private static byte[] ciphertextBlob(JsonNode request, String member, String wireMember) {
        byte[] blob = requiredBlob(request, member, wireMember);
        if (blob.length > MAX_CIPHERTEXT_LENGTH) {
            throw validation(
                    "Value at '"
                            + wireMember
                            + "' failed to satisfy constraint: Member must have length less"
                            + " than or equal to "
                            + MAX_CIPHERTEXT_LENGTH);
        }
        return blob;
    }

    private static Map<String, String> encryptionContext(JsonNode request, String member) {
        JsonNode node = request.get(member);
        if (node == null || node.isNull()) {
            return Map.of();
        }
        if (!node.isObject()) {
            throw serialization(member + " must be a JSON object of string values");
        }
        Map<String, String> context = new HashMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            if (!field.getValue().isTextual()) {
                throw serialization(member + " value of '" + field.getKey() + "' must be a string");
            }
            context.put(field.getKey(), field.getValue().asText());
        }
        return Map.copyOf(context);
    }

    private static void rejectPolicy(JsonNode request) {
        if (request.hasNonNull("Policy")) {
            throw new KmsRequestException(
                    KmsErrorType.UNSUPPORTED_OPERATION,
                    "The KMS emulator does not parse key policy documents: omit Policy and set"
                            + " the policy through KmsEmulator.policy(keyArn).");
        }
    }

    private static void requireValue(JsonNode request, String member, String supported) {
        String value = optionalText(request, member);
        if (value != null && !value.equals(supported)) {
            throw new KmsRequestException(
                    KmsErrorType.UNSUPPORTED_OPERATION,
                    "The KMS emulator supports only "
                            + member
                            + " "
                            + supported
                            + ", got "
                            + value
                            + ".");
        }
    }

    private static String requiredText(JsonNode request, String member, String wireMember) {
        String value = optionalText(request, member);
        if (value == null || value.isEmpty()) {
            throw validation(
                    "Value null at '"
                            + wireMember
                            + "' failed to satisfy constraint: Member must not be null");
        }
        return value;
    }

    private static String optionalText(JsonNode request, String member) {
        JsonNode node = request.get(member);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw serialization(member + " must be a string");
        }
        return node.asText();
    }

    private static byte[] requiredBlob(JsonNode request, String member, String wireMember) {
        String encoded = requiredText(request, member, wireMember);
        byte[] value;
        try {
            value = Base64.getDecoder().decode(encoded);
        } catch (IllegalArgumentException e) {
            throw serialization(member + " must be base64: " + e.getMessage());
        }
        if (value.length == 0) {
            throw validation(
                    "Value at '"
                            + wireMember
                            + "' failed to satisfy constraint: Member must have length greater"
                            + " than or equal to 1");
        }
        return value;
    }

    private static int intValue(JsonNode node, String member) {
        if (!node.canConvertToInt() || !node.isIntegralNumber()) {
            throw serialization(member + " must be an integer");
        }
        return node.asInt();
    }

    private static double epochSeconds(Instant instant) {
        return instant.toEpochMilli() / 1000.0;
    }

    private static String lowerFirst(String member) {
        return Character.toLowerCase(member.charAt(0)) + member.substring(1);
    }

    private static KmsRequestException validation(String detail) {
        return new KmsRequestException(
                KmsErrorType.VALIDATION, "1 validation error detected: " + detail);
    }

    private static KmsRequestException serialization(String detail) {
        return new KmsRequestException(KmsErrorType.SERIALIZATION, detail);
    }
}
