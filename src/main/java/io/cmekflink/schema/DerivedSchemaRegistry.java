package io.cmekflink.schema;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.message.SchemaStore;

/**
 * Derived schemas by fingerprint, for reading encrypted records of every schema version.
 *
 * <p>A record is resolved in two steps: the layout fingerprint of its single-object header finds a
 * schema to decode it with (all derived schemas with that fingerprint decode the same bytes the
 * same way), then the exact fingerprint in its envelope finds the derived schema that holds the
 * original schemas of its marked fields. As a {@link SchemaStore}, it resolves layout fingerprints
 * for Avro's {@code BinaryMessageDecoder}.
 *
 * <p>Thread safety: all methods may be called from any thread.
 */
public final class DerivedSchemaRegistry implements SchemaStore {

    private final ConcurrentHashMap<Long, DerivedSchema> byExact = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, DerivedSchema> byLayout = new ConcurrentHashMap<>();

    /**
     * Adds {@code schema}; adding one that is already present does nothing.
     *
     * @throws IllegalStateException when another schema with the same exact fingerprint is present,
     *     a CRC-64 collision that needs a human to decide
     */
    public void register(DerivedSchema schema) {
        DerivedSchema existing = byExact.putIfAbsent(schema.exactFingerprint(), schema);
        if (existing != null && !existing.json().equals(schema.json())) {
            throw new IllegalStateException(
                    "derived schemas "
                            + existing.fullName()
                            + " and "
                            + schema.fullName()
                            + " have the same exact fingerprint "
                            + Fingerprints.toHex(schema.exactFingerprint()));
        }
        byLayout.putIfAbsent(schema.layoutFingerprint(), schema);
    }

    public Optional<DerivedSchema> findByExactFingerprint(long fingerprint) {
        return Optional.ofNullable(byExact.get(fingerprint));
    }

    /**
     * Returns one of the derived schemas with this layout fingerprint; any of them decodes the
     * record.
     */
    public Optional<DerivedSchema> findByLayoutFingerprint(long fingerprint) {
        return Optional.ofNullable(byLayout.get(fingerprint));
    }

    @Override
    public Schema findByFingerprint(long layoutFingerprint) {
        DerivedSchema schema = byLayout.get(layoutFingerprint);
        return schema == null ? null : schema.derivedSchema();
    }

    public Collection<DerivedSchema> schemas() {
        List<DerivedSchema> all = new ArrayList<>(byExact.values());
        all.sort((a, b) -> a.fileName().compareTo(b.fileName()));
        return List.copyOf(all);
    }
}
