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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
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
 * Kafka transaction. Thread safety: one thread.
 */
public final class Replayer {

    private final JobConfig config;
    private final DeadLetterFilter filter;
    private final boolean dryRun;
    private final Instant now;
    private final PrintWriter log;
    private final Set<Stage> stages;
    private final List<ProducerRecord<byte[], byte[]>> replays = new ArrayList<>();
    private final Map<ByteBuffer, Dek> unsealed = new HashMap<>();
    private final Summary summary = new Summary();
    private KmsClient kms;

    /** What a replay did. */
    public static final class Summary {
        long read;
        long unreadable;
        long matched;
        long replayed;
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
            root.put("refused_dropped", refusedDropped);
            root.put("refused_expired", refusedExpired);
            root.put("failed", failed);
            root.put("dry_run", dryRun);
            return root.toString();
        }

        public long replayed() {
            return replayed;
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
            replays.add(replay(record, letter));
            summary.replayed++;
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
     * Writes the accepted records in one transaction, unless this is a dry run.
     *
     * @throws ConfigException when Kafka refuses the write
     */
    public Summary finish(Duration timeout) {
        if (kms != null) {
            kms.close();
        }
        if (dryRun || replays.isEmpty()) {
            return summary;
        }
        Properties props = config.kafkaProperties();
        props.remove("transaction.timeout.ms");
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "cmek-flink-replay-" + UUID.randomUUID());
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(timeout.toMillis()));
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            for (ProducerRecord<byte[], byte[]> record : replays) {
                producer.send(record);
            }
            producer.commitTransaction();
        } catch (KafkaException e) {
            throw new ConfigException(
                    "writing the replayed records to "
                            + config.get(JobOptions.RECORDS_TOPIC)
                            + " failed, so none was replayed: "
                            + e.getMessage(),
                    e);
        }
        return summary;
    }
}
