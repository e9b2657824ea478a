package io.cmekflink.job;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cmekflink.config.ConfigException;
import io.cmekflink.config.JobConfig;
import io.cmekflink.config.JobOptions;
import io.cmekflink.crypto.RecordId;
import io.cmekflink.crypto.RecordOpenException;
import io.cmekflink.crypto.SealedPayload;
import io.cmekflink.deadletter.DeadLetter;
import io.cmekflink.deadletter.PayloadKind;
import io.cmekflink.deadletter.Stage;
import io.cmekflink.deadletter.report.DeadLetterFilter;
import io.cmekflink.dek.Dek;
import io.cmekflink.kms.KmsErrors;
import io.cmekflink.schema.SingleObjectEncoding;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.KmsClientBuilder;
import software.amazon.awssdk.services.kms.model.DecryptResponse;

/**
 * Re-publishes dead letters to the input topic of the stage they failed in: the records topic of an
 * encrypt job for stages PARSE, RESOLVE and ENCRYPT, the encrypted topic of a decrypt or re-wrap
 * job for DECRYPT and REWRAP.
 *
 * <p>A {@code SEALED} payload is unsealed with the platform dead-letter key and re-published with
 * its record id in the {@code cmek-record-id} header, so that its envelope gets the id of its first
 * encryption. An {@code ENCRYPTED_RECORD} payload is re-published as it is: the encrypt job passes
 * already encrypted records through, so a replay never encrypts twice. A dead letter whose payload
 * was dropped, or whose {@code retain_until} has passed, is refused.
 *
 * <p>The records to re-publish are held in memory until {@link #finish}, which writes them in one
 * Kafka transaction together with their entries in the {@link ReplayLog}, and skips the dead
 * letters that the log names already. So a second replay of the same dead letters writes nothing,
 * and a replay that stopped before its commit can be run again. Thread safety: one thread.
 */
public final class Replayer {

    private final JobConfig config;
    private final DeadLetterFilter filter;
    private final boolean dryRun;
    private final Instant now;
    private final PrintWriter log;
    private final Set<Stage> stages;
    private final ReplayLog replayLog;

    /** The records to re-publish, by their dead letter's replay-log key, in read order. */
    private final Map<String, ProducerRecord<byte[], byte[]>> replays = new LinkedHashMap<>();

    private final Map<ByteBuffer, Dek> unsealed = new HashMap<>();
    private final Summary summary = new Summary();
    private KmsClient kms;

    /** Runs after the records are sent and before the commit; tests make it throw. */
    Runnable beforeCommit = () -> {};

    /** What a replay did. */
    public static final class Summary {
        long read;
        long unreadable;
        long matched;
        long replayed;
        long alreadyReplayed;
        long refusedDropped;
        long refusedExpired;
        long failed;
        boolean dryRun;

        public String toJson() {
            ObjectNode root = new ObjectMapper().createObjectNode();
            root.put("dead_letters_read", read);
            root.put("unreadable", unreadable);
            root.put("matched", matched);
            root.put("replayed", replayed);
            root.put("already_replayed", alreadyReplayed);
            root.put("refused_dropped", refusedDropped);
            root.put("refused_expired", refusedExpired);
            root.put("failed", failed);
            root.put("dry_run", dryRun);
            return root.toString();
        }

        public long replayed() {
            return replayed;
        }

        /** Returns the number of matching dead letters that an earlier replay re-published. */
        public long alreadyReplayed() {
            return alreadyReplayed;
        }

        public long refusedDropped() {
            return refusedDropped;
        }
    }

    public Replayer(
            JobConfig config,
            DeadLetterFilter filter,
            boolean dryRun,
            Instant now,
            PrintWriter log) {
        this.config = config;
        this.filter = filter;
        this.dryRun = dryRun;
        this.now = now;
        this.log = log;
        this.stages =
                switch (config.get(JobOptions.JOB_TYPE)) {
                    case JobOptions.DECRYPT -> Set.of(Stage.DECRYPT);
                    case JobOptions.REWRAP -> Set.of(Stage.REWRAP);
                    default -> Set.of(Stage.PARSE, Stage.RESOLVE, Stage.ENCRYPT);
                };
        summary.dryRun = dryRun;
        this.replayLog =
                new ReplayLog(
                        config.get(JobOptions.DEAD_LETTERS_TOPIC),
                        config.bootstrapServers(),
                        config.kafkaProperties());
    }

    /** Considers one record of the dead-letter topic. */
    public void accept(ConsumerRecord<byte[], byte[]> record) {
        summary.read++;
        DeadLetter letter;
        try {
            letter = DeadLetter.fromBytes(record.value());
        } catch (Exception e) {
            summary.unreadable++;
            return;
        }
        if (!stages.contains(letter.stage()) || !filter.matches(letter)) {
            return;
        }
        summary.matched++;
        String where = record.topic() + "-" + record.partition() + "@" + record.offset();
        if (letter.payloadKind() == PayloadKind.DROPPED) {
            summary.refusedDropped++;
            log.println(
                    "refused " + where + " (" + letter.errorCode() + "): its payload was dropped");
            return;
        }
        if (letter.retainUntil() != null && letter.retainUntil() < now.toEpochMilli()) {
            summary.refusedExpired++;
            log.println(
                    "refused " + where + " (" + letter.errorCode() + "): retain_until has passed");
            return;
        }
        try {
            replays.put(
                    ReplayLog.key(record.topic(), record.partition(), record.offset()),
                    replay(record, letter));
        } catch (RecordOpenException | RuntimeException e) {
            summary.failed++;
            log.println("failed " + where + " (" + letter.errorCode() + "): " + e.getMessage());
        }
    }

    private ProducerRecord<byte[], byte[]> replay(
            ConsumerRecord<byte[], byte[]> record, DeadLetter letter) throws RecordOpenException {
        String topic = config.get(JobOptions.RECORDS_TOPIC);
        RecordHeaders headers = new RecordHeaders();
        byte[] value;
        if (letter.payloadKind() == PayloadKind.ENCRYPTED_RECORD) {
            value = letter.payload();
            headers.add(
                    SourceRecordDeserializer.FORMAT_HEADER,
                    SingleObjectEncoding.FORMAT.getBytes(StandardCharsets.UTF_8));
        } else {
            value =
                    SealedPayload.open(
                            dekOf(letter.payload()),
                            letter.payload(),
                            letter.orgId(),
                            letter.sourceTopic(),
                            letter.sourcePartition(),
                            letter.sourceOffset());
            RecordId id =
                    letter.recordIdTopic() != null
                            ? new RecordId(
                                    letter.recordIdTopic(),
                                    letter.recordIdPartition(),
                                    letter.recordIdOffset())
                            : new RecordId(
                                    letter.sourceTopic(),
                                    letter.sourcePartition(),
                                    letter.sourceOffset());
            headers.add(
                    SourceRecordDeserializer.RECORD_ID_HEADER,
                    id.toString().getBytes(StandardCharsets.UTF_8));
        }
        return new ProducerRecord<>(topic, null, record.key(), value, headers);
    }

    private Dek dekOf(byte[] payload) throws RecordOpenException {
        SealedPayload.WrappedKey key = SealedPayload.wrappedKey(payload);
        ByteBuffer edek = ByteBuffer.wrap(key.edek());
        Dek dek = unsealed.get(edek);
        if (dek != null) {
            return dek;
        }
        DecryptResponse response;
        try {
            response =
                    kms(key.keyArn())
                            .decrypt(
                                    r ->
                                            r.keyId(key.keyArn())
                                                    .ciphertextBlob(
                                                            SdkBytes.fromByteArray(key.edek()))
                                                    .encryptionContext(
                                                            SealedPayload.ENCRYPTION_CONTEXT));
        } catch (SdkException e) {
            throw new IllegalStateException(
                    "unwrapping the platform dead-letter key's data key failed: "
                            + KmsErrors.describe(e),
                    e);
        }
        if (!key.keyArn().equals(response.keyId())) {
            throw new IllegalStateException(
                    "KMS used key " + response.keyId() + " instead of " + key.keyArn());
        }
        dek =
                Dek.takeOwnershipForDecryption(
                        response.plaintext().asByteArrayUnsafe(), key.edek(), key.keyArn());
        unsealed.put(edek, dek);
        return dek;
    }

    private KmsClient kms(String keyArn) {
        if (kms == null) {
            String[] parts = keyArn.split(":", 6);
            KmsClientBuilder builder =
                    KmsClient.builder()
                            .region(
                                    Region.of(
                                            parts.length == 6
                                                    ? parts[3]
                                                    : config.get(JobOptions.KMS_LOCAL_REGION)))
                            .httpClient(UrlConnectionHttpClient.create());
            String endpoint = config.get(JobOptions.KMS_ENDPOINT);
            if (!endpoint.isEmpty()) {
                builder.endpointOverride(URI.create(endpoint));
            }
            kms = builder.build();
        }
        return kms;
    }

    /**
     * Writes the accepted records that the replay log does not name yet, and their log entries, in
     * one transaction, unless this is a dry run.
     *
     * @throws ConfigException when Kafka rejects the write or the replay log cannot be read
     */
    public Summary finish(Duration timeout) {
        if (kms != null) {
            kms.close();
        }
        if (replays.isEmpty()) {
            return summary;
        }
        if (dryRun) {
            skipReplayed(replayLog.replayedKeys(timeout));
            summary.replayed = replays.size();
            return summary;
        }
        boolean newLog = replayLog.create(timeout);
        String target = config.get(JobOptions.RECORDS_TOPIC);
        Properties props = config.kafkaProperties();
        props.remove("transaction.timeout.ms");
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, replayLog.transactionalId());
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(timeout.toMillis()));
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            // Aborts the open transaction of a replay that stopped before its commit, so the log
            // read next contains every committed replay.
            producer.initTransactions();
            // A topic created just now is empty, and a broker may not list its partitions yet.
            // NOTE: a second replay that read, wrote and committed between this create and
            // initTransactions is not seen, so two concurrent first replays can both write.
            if (!newLog) {
                skipReplayed(replayLog.replayedKeys(timeout));
            }
            if (replays.isEmpty()) {
                return summary;
            }
            producer.beginTransaction();
            for (Map.Entry<String, ProducerRecord<byte[], byte[]>> replay : replays.entrySet()) {
                producer.send(replay.getValue());
                producer.send(replayLog.entry(replay.getKey(), target, now));
            }
            beforeCommit.run();
            producer.commitTransaction();
        } catch (ProducerFencedException e) {
            throw new ConfigException(
                    "another replay of "
                            + config.get(JobOptions.DEAD_LETTERS_TOPIC)
                            + " started while this one ran, so none was replayed; run it again"
                            + " once the other one has finished",
                    e);
        } catch (KafkaException e) {
            throw new ConfigException(
                    "writing the replayed records to "
                            + target
                            + " failed, so none was replayed: "
                            + e.getMessage(),
                    e);
        }
        summary.replayed = replays.size();
        return summary;
    }

    private void skipReplayed(Set<String> replayed) {
        for (Iterator<String> keys = replays.keySet().iterator(); keys.hasNext(); ) {
            String key = keys.next();
            if (replayed.contains(key)) {
                keys.remove();
                summary.alreadyReplayed++;
                log.println("skipped " + key + ": an earlier replay re-published it");
            }
        }
    }
}
