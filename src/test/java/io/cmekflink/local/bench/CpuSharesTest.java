package io.cmekflink.local.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class CpuSharesTest {

    @Test
    void threadNamesFallIntoTheirGroups() {
        Map<String, String> cases =
                Map.ofEntries(
                        Map.entry(
                                "resolve key -> encrypt -> split output -> encrypted: out:"
                                        + " Writer (1/1)#0",
                                CpuShares.STEP_TASK),
                        Map.entry(
                                "Source: encrypted: in -> decrypt -> split output (1/2)#0",
                                CpuShares.STEP_TASK),
                        Map.entry("Source: records: in -> parse (1/1)#0", CpuShares.SOURCE_TASK),
                        Map.entry(
                                "Source Data Fetcher for Source: records: in -> parse (1/1)#0",
                                CpuShares.SOURCE_TASK),
                        Map.entry("data-plane-kafka-request-handler-3", CpuShares.KAFKA_BROKER),
                        Map.entry("kafka-0-raft-io-thread", CpuShares.KAFKA_BROKER),
                        Map.entry("quorum-controller-0-event-handler", CpuShares.KAFKA_BROKER),
                        Map.entry(
                                "kafka-producer-network-thread | producer-1",
                                CpuShares.KAFKA_CLIENTS),
                        Map.entry("aws-java-sdk-NettyEventLoop-2-1", CpuShares.KMS_AND_DEK_CACHE),
                        Map.entry("sdk-async-response-0-3", CpuShares.KMS_AND_DEK_CACHE),
                        Map.entry("ForkJoinPool.commonPool-worker-1", CpuShares.KMS_AND_DEK_CACHE),
                        Map.entry("main", CpuShares.OTHER_THREADS),
                        Map.entry(
                                "flink-pekko.actor.default-dispatcher-5", CpuShares.OTHER_THREADS));
        cases.forEach(
                (thread, group) ->
                        assertThat(CpuShares.groupOf(thread)).as(thread).isEqualTo(group));
    }

    @Test
    void sharesDivideDeltasByRecords() {
        var before =
                new CpuShares.Snapshot(
                        Map.of(
                                1L,
                                        new CpuShares.ThreadCpu(
                                                "resolve key -> encrypt (1/1)#0", 1_000_000L),
                                2L,
                                        new CpuShares.ThreadCpu(
                                                "data-plane-kafka-request-handler-0", 0L),
                                3L, new CpuShares.ThreadCpu("main", 7_000_000L)),
                        10_000_000L);
        var after =
                new CpuShares.Snapshot(
                        Map.of(
                                1L,
                                        new CpuShares.ThreadCpu(
                                                "resolve key -> encrypt (1/1)#0", 5_000_000L),
                                2L,
                                        new CpuShares.ThreadCpu(
                                                "data-plane-kafka-request-handler-0", 2_000_000L),
                                4L,
                                        new CpuShares.ThreadCpu(
                                                "flink-pekko.actor.default-dispatcher-2",
                                                1_000_000L)),
                        20_000_000L);

        Map<String, Double> shares = after.microsPerRecordSince(before, 1_000);

        assertThat(shares)
                .containsExactly(
                        Map.entry(CpuShares.STEP_TASK, 4.0),
                        Map.entry(CpuShares.SOURCE_TASK, 0.0),
                        Map.entry(CpuShares.KAFKA_BROKER, 2.0),
                        Map.entry(CpuShares.KAFKA_CLIENTS, 0.0),
                        Map.entry(CpuShares.KMS_AND_DEK_CACHE, 0.0),
                        Map.entry(CpuShares.OTHER_THREADS, 1.0),
                        Map.entry(CpuShares.NOT_IN_JAVA_THREADS, 3.0),
                        Map.entry(CpuShares.TOTAL, 10.0));
    }
}
