package io.cmekflink.job;

import io.cmekflink.crypto.StateSealer;
import io.cmekflink.dek.Dek;
import io.cmekflink.kms.GeneratedDataKey;
import io.cmekflink.kms.KmsClients;
import io.cmekflink.kms.KmsDataKeys;
import io.cmekflink.kms.KmsSettings;
import java.util.HashSet;
import java.util.List;

/**
 * The DEKs of the platform's state key, from KMS: what {@link StateSealer} seals waiting records
 * with. The calls block, which is acceptable because a parallel instance makes one to start and one
 * per state DEK it finds after a restore.
 */
final class StateKeys implements StateSealer.Keys, AutoCloseable {

    private static final long MAX_ENCRYPTIONS = 1L << 24;

    private final String keyArn;
    private final KmsClients clients;
    private final KmsDataKeys dataKeys;

    StateKeys(String keyArn, KmsSettings settings, List<String> geoRegions) {
        this.keyArn = keyArn;
        KmsClients.checkCredentials();
        this.clients = new KmsClients(settings);
        this.dataKeys =
                new KmsDataKeys(clients, new HashSet<>(geoRegions), (op, outcome, nanos) -> {});
    }

    @Override
    public Dek generate() {
        GeneratedDataKey key =
                dataKeys.generateDataKey(keyArn, StateSealer.ENCRYPTION_CONTEXT).join();
        return Dek.takeOwnershipForEncryption(
                key.plaintext(),
                key.edek(),
                key.keyArn(),
                MAX_ENCRYPTIONS,
                StateSealer.nonceFixedField());
    }

    @Override
    public Dek unwrap(byte[] edek) {
        byte[] plaintext = dataKeys.decrypt(keyArn, edek, StateSealer.ENCRYPTION_CONTEXT).join();
        return Dek.takeOwnershipForDecryption(plaintext, edek, keyArn);
    }

    @Override
    public void close() {
        clients.close();
    }
}
