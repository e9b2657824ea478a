package io.cmekflink.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Settings of the extension that are checked before anything starts. */
class CmekFlinkExtensionTest {

    @Test
    void builderRejectsDuplicateOrg() {
        assertThatThrownBy(() -> CmekFlinkExtension.builder().linkOrgs("org-a", "org-a"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("org org-a is listed twice");
    }

    @Test
    void builderRejectsBlankOrg() {
        assertThatThrownBy(() -> CmekFlinkExtension.builder().linkOrgs(" "))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("org id must not be blank, got ' '");
    }

    @Test
    void builderRejectsReservedKey() {
        assertThatThrownBy(() -> CmekFlinkExtension.builder().option("records.topic", "other"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "job key records.topic is set by the test kit; use the builder's methods"
                                + " instead");
    }

    @Test
    void builderRejectsSandboxTopicForDataKeys() {
        assertThatThrownBy(
                        () ->
                                CmekFlinkExtension.builder()
                                        .option("encryption.data-key-topic", "api-logs-encrypted"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "job key encryption.data-key-topic must name a topic of its own, got"
                                + " api-logs-encrypted, which the test kit creates for the job's"
                                + " records or key changes");
    }

    @Test
    void builderRejectsNonPositiveLinkWait() {
        assertThatThrownBy(() -> CmekFlinkExtension.builder().linkWait(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("link wait must be positive, got PT0S");
    }

    @Test
    void builderRejectsZeroPartitions() {
        assertThatThrownBy(() -> CmekFlinkExtension.builder().partitions(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("partitions must be at least 1, got 0");
    }

    @Test
    void accessorsRejectUseBeforeStart() {
        CmekFlinkExtension extension = CmekFlinkExtension.builder().build();

        assertThatThrownBy(extension::bootstrapServers)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("the cmek-flink test kit is not running");
    }

    @Test
    void avroBinaryEncodesWithoutFraming() {
        org.apache.avro.Schema schema =
                new org.apache.avro.Schema.Parser()
                        .parse(
                                "{\"type\":\"record\",\"name\":\"R\",\"fields\":"
                                        + "[{\"name\":\"org_id\",\"type\":\"string\"}]}");
        org.apache.avro.generic.GenericRecord record =
                new org.apache.avro.generic.GenericData.Record(schema);
        record.put("org_id", "ab");

        // A string is its zig-zag varint length (2 -> 0x04) and its UTF-8 bytes.
        assertThat(CmekFlinkExtension.avroBinary(record)).containsExactly(0x04, 'a', 'b');
    }
}
