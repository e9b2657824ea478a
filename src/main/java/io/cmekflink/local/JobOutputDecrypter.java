package io.cmekflink.local;

import io.cmekflink.config.JobConfig;
import io.cmekflink.config.JobOptions;
import io.cmekflink.crypto.Decrypter;
import io.cmekflink.datakey.DataKeyLookup;
import io.cmekflink.job.JobSchemas;
import io.cmekflink.schema.DerivedSchemaRegistry;
import java.time.Duration;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * A {@link Decrypter} of the records that the encrypt job of one job definition writes, for the
 * local tools and the test kit. When the definition sets {@code encryption.data-key-topic}, the
 * decrypter reads the records' data-key references from that topic with the definition's Kafka
 * settings, so it opens records of both envelope layouts. Closing this closes the lookup.
 *
 * <p>Thread safety: one thread at a time, as the decrypter.
 */
public final class JobOutputDecrypter implements AutoCloseable {

    /** How long one data-key lookup waits for the broker and for the entry. */
    static final Duration LOOKUP_TIMEOUT = Duration.ofSeconds(10);

    /**
     * The maximum time that decryption waits for one data-key entry. It is three lookup timeouts,
     * because a lookup that does not find its entry then requests the partition's offsets, each
     * request bounded by the lookup timeout again.
     */
    static final Duration LOOKUP_WAIT = LOOKUP_TIMEOUT.multipliedBy(3);

    private final Decrypter decrypter;
    private final DataKeyLookup lookup;

    private JobOutputDecrypter(Decrypter decrypter, DataKeyLookup lookup) {
        this.decrypter = decrypter;
        this.lookup = lookup;
    }

    /**
     * Creates the decrypter of every derived schema of {@code config}, which unwraps through {@code
     * kmsClient} whatever the key's region.
     */
    public static JobOutputDecrypter open(JobConfig config, KmsClient kmsClient) {
        DerivedSchemaRegistry registry = new DerivedSchemaRegistry();
        JobSchemas schemas = JobSchemas.of(config);
        for (int i = 0; i < schemas.size(); i++) {
            registry.register(schemas.derived(i));
        }
        String topic = config.get(JobOptions.ENCRYPTION_DATA_KEY_TOPIC);
        if (topic.isEmpty()) {
            return new JobOutputDecrypter(new Decrypter(registry, region -> kmsClient), null);
        }
        DataKeyLookup lookup = new DataKeyLookup(config.kafka(), topic, LOOKUP_TIMEOUT);
        return new JobOutputDecrypter(
                new Decrypter(registry, region -> kmsClient, lookup, LOOKUP_WAIT), lookup);
    }

    public Decrypter decrypter() {
        return decrypter;
    }

    /** Closes the data-key lookup, if the job definition has a data-key topic. */
    @Override
    public void close() {
        if (lookup != null) {
            lookup.close();
        }
    }
}
