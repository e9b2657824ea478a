package io.cmekflink.local.kms;

import java.nio.ByteBuffer;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;

/**
 * The emulated keys, per account and region, and the key families that ciphertext blobs refer to.
 * Thread-safe.
 */
final class KeyRegistry {

    private record Location(String account, String region, String keyId) {}

    private final SecureRandom random;
    private final Map<Location, EmulatedKey> keys = new ConcurrentHashMap<>();
    private final Map<ByteBuffer, KeyFamily> familiesByHandle = new ConcurrentHashMap<>();

    KeyRegistry(SecureRandom random) {
        this.random = random;
    }

    EmulatedKey create(
            String account,
            String region,
            boolean multiRegion,
            KeyUsage usage,
            String description) {
        String keyId = multiRegion ? newMultiRegionKeyId() : UUID.randomUUID().toString();
        byte[] handle = new byte[CiphertextBlob.HANDLE_LENGTH];
        random.nextBytes(handle);
        KeyFamily family = new KeyFamily(handle, newSecret(), account, keyId, multiRegion, region);
        familiesByHandle.put(ByteBuffer.wrap(family.handle()), family);
        EmulatedKey key = new EmulatedKey(family, region, usage, description);
        keys.put(new Location(account, region, keyId), key);
        return key;
    }

    /**
     * Creates a replica of a multi-region primary key in another region, sharing its key id and key
     * material. Fails with {@code AlreadyExistsException} when the region has one.
     */
    EmulatedKey replicate(EmulatedKey primary, String replicaRegion, String description) {
        KeyFamily family = primary.family();
        Location location = new Location(family.account(), replicaRegion, family.keyId());
        if (!family.addReplicaRegion(replicaRegion)) {
            throw new KmsRequestException(
                    KmsErrorType.ALREADY_EXISTS,
                    "Multi-Region key "
                            + family.keyId()
                            + " already has a key in "
                            + replicaRegion
                            + ".");
        }
        EmulatedKey replica = new EmulatedKey(family, replicaRegion, primary.usage(), description);
        keys.put(location, replica);
        return replica;
    }

    Optional<EmulatedKey> find(String account, String region, String keyId) {
        return Optional.ofNullable(keys.get(new Location(account, region, keyId)));
    }

    Optional<EmulatedKey> find(KeyArn arn) {
        return find(arn.account(), arn.region(), arn.keyId());
    }

    Optional<KeyFamily> familyOf(byte[] handle) {
        return Optional.ofNullable(familiesByHandle.get(ByteBuffer.wrap(handle)));
    }

    /**
     * Returns the key of the family that serves requests in the region: any replica of a
     * multi-region key, but a single-region key only in its own region.
     */
    Optional<EmulatedKey> keyOfFamilyIn(KeyFamily family, String region) {
        if (!family.multiRegion() && !family.primaryRegion().equals(region)) {
            return Optional.empty();
        }
        return find(family.account(), region, family.keyId());
    }

    /**
     * Removes the key, as when its deletion waiting period ends. Blobs under it stay unopenable.
     */
    boolean delete(KeyArn arn) {
        EmulatedKey removed = keys.remove(new Location(arn.account(), arn.region(), arn.keyId()));
        if (removed == null) {
            return false;
        }
        if (removed.isReplica()) {
            removed.family().removeReplicaRegion(arn.region());
        }
        return true;
    }

    private String newMultiRegionKeyId() {
        byte[] id = new byte[16];
        random.nextBytes(id);
        return "mrk-" + HexFormat.of().formatHex(id);
    }

    private SecretKey newSecret() {
        try {
            KeyGenerator generator = KeyGenerator.getInstance("AES");
            generator.init(256, random);
            return generator.generateKey();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK provides no AES key generator", e);
        }
    }
}
