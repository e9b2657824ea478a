package io.cmekflink.local;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * A task failure that the demo injects once. When the encrypt job has written at least a given
 * number of records to its output topics and has completed a checkpoint, every task of the job
 * fails, and the job restarts from its latest checkpoint.
 *
 * <p>Written records are counted with {@code read_uncommitted}, so the failure usually falls
 * between a write and the checkpoint that commits it: the restart must abort that transaction and
 * write those records again, once.
 */
final class DemoTaskFailure {

    /** The records written before the failure and the checkpoint restored after it. */
    record Outcome(long writtenBefore, long restoredCheckpoint) {}

    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    private DemoTaskFailure() {}

    /**
     * Starts a daemon thread that fails the job's tasks after {@code records} written records.
     *
     * @return completes once the job runs again from a restored checkpoint
     */
    static CompletableFuture<Outcome> after(
            long records,
            DemoCluster cluster,
            String bootstrapServers,
            List<String> outputTopics,
            Consumer<String> progress) {
        CompletableFuture<Outcome> outcome = new CompletableFuture<>();
        Thread thread =
                new Thread(
                        () -> {
                            try {
                                outcome.complete(
                                        run(
                                                records,
                                                cluster,
                                                bootstrapServers,
                                                outputTopics,
                                                progress));
                            } catch (Exception e) {
                                outcome.completeExceptionally(e);
                            }
                        },
                        "demo-task-failure");
        thread.setDaemon(true);
        thread.start();
        return outcome;
    }

    private static Outcome run(
            long records,
            DemoCluster cluster,
            String bootstrapServers,
            List<String> outputTopics,
            Consumer<String> progress)
            throws Exception {
        long written = awaitWritten(records, cluster, bootstrapServers, outputTopics);
        progress.accept(
                "failing every task of the encrypt job after "
                        + written
                        + " records written and "
                        + cluster.completedCheckpoints()
                        + " checkpoints completed");
        cluster.failAllTasks();
        long restored = cluster.awaitRestored(TIMEOUT);
        progress.accept("the encrypt job runs again from checkpoint " + restored);
        return new Outcome(written, restored);
    }

    /** Polls the output topics until the job wrote {@code records} and a checkpoint completed. */
    private static long awaitWritten(
            long records, DemoCluster cluster, String bootstrapServers, List<String> topics)
            throws Exception {
        try (KafkaConsumer<byte[], byte[]> consumer = uncommittedConsumer(bootstrapServers)) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : topics) {
                for (PartitionInfo info : consumer.partitionsFor(topic, TIMEOUT)) {
                    partitions.add(new TopicPartition(topic, info.partition()));
                }
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long written = 0;
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (written < records || cluster.completedCheckpoints() == 0) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            "the encrypt job wrote "
                                    + written
                                    + " records within "
                                    + TIMEOUT
                                    + ", fewer than the "
                                    + records
                                    + " that --kill-task-after waits for, or completed no"
                                    + " checkpoint");
                }
                written += consumer.poll(Duration.ofMillis(100)).count();
            }
            return written;
        }
    }

    private static KafkaConsumer<byte[], byte[]> uncommittedConsumer(String bootstrapServers) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
}
