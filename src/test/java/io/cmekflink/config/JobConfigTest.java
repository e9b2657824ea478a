package io.cmekflink.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JobConfigTest {

    private static final String MINIMAL =
            """
            geo: EU
            records: {topic: in, schema: schemas/kong-log-entry.avsc}
            key-changes.topic: keys
            key-changes.public-keys: [control-plane.pem]
            output.topic: out
            dead-letters.topic: dlq
            kms:
              local-region: eu-west-1
            kafka:
              bootstrap.servers: ${BOOTSTRAP:-127.0.0.1:9092}
            """;

    private static JobConfig parse(String yaml) {
        return JobConfig.parse(yaml, "test.yaml", name -> null);
    }

    @Test
    void minimalDefinitionGetsDefaults() {
        JobConfig config = parse(MINIMAL);
        assertThat(config.get(JobOptions.RECORDS_TOPIC)).isEqualTo("in");
        assertThat(config.get(JobOptions.RECORDS_FORMAT)).isEqualTo("avro");
        assertThat(config.get(JobOptions.DEK_MAX_AGE)).isEqualTo(Duration.ofMinutes(10));
        assertThat(config.get(JobOptions.DEK_MAX_ENCRYPTIONS)).isEqualTo(16_777_216L);
        assertThat(config.get(JobOptions.RECORDS_HEADERS_ALLOWLIST)).isEmpty();
        assertThat(config.bootstrapServers()).isEqualTo("127.0.0.1:9092");
    }

    @Test
    void environmentVariablesAreSubstituted() {
        JobConfig config =
                JobConfig.parse(MINIMAL, "test.yaml", name -> Map.of("BOOTSTRAP", "h:1").get(name));
        assertThat(config.bootstrapServers()).isEqualTo("h:1");
    }

    @Test
    void passThroughKeysKeepTheirNames() {
        JobConfig config =
                parse(
                        MINIMAL
                                + "  transaction.timeout.ms: 600000\n"
                                + "flink:\n"
                                + "  state.backend.type: hashmap\n"
                                + "records.headers-allowlist: [trace-id, x-b3]\n");
        assertThat(config.kafka()).containsEntry("transaction.timeout.ms", "600000");
        assertThat(config.flink()).containsEntry("state.backend.type", "hashmap");
        assertThat(config.get(JobOptions.RECORDS_HEADERS_ALLOWLIST))
                .isEqualTo(List.of("trace-id", "x-b3"));
    }

    @Test
    void unknownKeyIsRejectedByName() {
        assertThatThrownBy(() -> parse(MINIMAL + "dek.max-agee: 5m\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("test.yaml: unknown key dek.max-agee;");
    }

    @Test
    void invalidValuesNameKeyValueAndRule() {
        assertThatThrownBy(() -> parse(MINIMAL + "dek.max-age: soon\n"))
                .hasMessage(
                        "invalid value 'soon' for dek.max-age: 'soon' is not a duration: write"
                                + " e.g. 250ms, 30s, 5m, 2h, 1d or PT30S");
        assertThatThrownBy(() -> parse(MINIMAL.replace("geo: EU", "geo: MARS")))
                .hasMessage("invalid value 'MARS' for geo: expected one of [AU, EU, ME, US, IN]");
        assertThatThrownBy(() -> parse(MINIMAL + "async.capacity: 0\n"))
                .hasMessage(
                        "invalid value '0' for async.capacity: must be between 1 and 2147483647");
        assertThatThrownBy(() -> parse(MINIMAL + "async.timeout: 20s\n"))
                .hasMessageStartingWith(
                        "invalid value '20s' for async.timeout: must exceed kms.retry.budget plus"
                                + " kms.attempt-timeout (35s)");
    }

    @Test
    void missingRequiredKeyIsNamed() {
        assertThatThrownBy(() -> parse(MINIMAL.replace("output.topic: out\n", "")))
                .hasMessageStartingWith("test.yaml: missing required key output.topic");
        assertThatThrownBy(() -> parse(MINIMAL.replace("  bootstrap.servers:", "  acks:")))
                .hasMessage(
                        "test.yaml: missing required key kafka.bootstrap.servers (host:port,...)");
    }

    @Test
    void keysRequiredPerJobType() {
        assertThatThrownBy(() -> parse(MINIMAL.replace("key-changes.topic: keys\n", "")))
                .hasMessageStartingWith(
                        "test.yaml: missing required key key-changes.topic for job.type encrypt");
        JobConfig decrypt =
                parse(MINIMAL.replace("key-changes.topic: keys\n", "job.type: decrypt\n"));
        assertThat(decrypt.get(JobOptions.JOB_TYPE)).isEqualTo("decrypt");
        assertThat(decrypt.get(JobOptions.JOB_NAME)).isEqualTo("cmek-flink-decrypt");
        assertThatThrownBy(() -> parse(MINIMAL + "job.type: rewrap\n"))
                .hasMessageStartingWith(
                        "test.yaml: missing required key rewrap.org for job.type rewrap");
        assertThat(parse(MINIMAL).get(JobOptions.JOB_NAME)).isEqualTo("cmek-flink-encrypt");
    }

    @Test
    void duplicateKeysAtOneLevelAreRejected() {
        assertThatThrownBy(() -> parse("geo: US\n" + MINIMAL))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("Duplicate field 'geo'");
    }

    @Test
    void endpointsRegionsAndDepthsAreChecked() {
        assertThatThrownBy(
                        () ->
                                parse(
                                        MINIMAL.replace(
                                                "local-region: eu-west-1", "local-region: mars-1")))
                .hasMessage(
                        "invalid value 'mars-1' for kms.local-region: not an AWS region name such"
                                + " as eu-west-1");
        assertThatThrownBy(() -> parse(MINIMAL + "kms.endpoint: not a url\n"))
                .hasMessage(
                        "invalid value 'not a url' for kms.endpoint: not a URL; write e.g."
                                + " http://127.0.0.1:4566");
        assertThatThrownBy(() -> parse(MINIMAL + "kms.endpoint: ftp://h\n"))
                .hasMessageContaining("expected an http or https URL with a host");
        assertThatThrownBy(() -> parse(MINIMAL + "records.json-max-depth: 501\n"))
                .hasMessage(
                        "invalid value '501' for records.json-max-depth: must be between 1 and"
                                + " 500");
        assertThatThrownBy(() -> parse(MINIMAL + "records.schema-ids: {1: a.avsc}\n"))
                .hasMessageContaining(
                        "schema ids are only read with records.format confluent-avro");
    }

    @Test
    void unalignedCheckpointsAreRejected() {
        assertThatThrownBy(
                        () ->
                                parse(
                                        MINIMAL
                                                + "flink.execution.checkpointing.unaligned.enabled:"
                                                + " true\n"))
                .hasMessageContaining("unaligned checkpoints would store in-flight records");
    }

    @Test
    void keySetTwiceIsRejected() {
        assertThatThrownBy(() -> parse(MINIMAL + "records.topic: again\n"))
                .hasMessage("test.yaml: key records.topic is set twice");
    }

    @Test
    void secretsAreMaskedInToString() {
        JobConfig config = parse(MINIMAL + "  sasl.jaas.config: \"user=a password=hunter2\"\n");
        assertThat(config.toString()).contains("kafka.sasl.jaas.config=***");
        assertThat(config.toString()).doesNotContain("hunter2");
    }

    @Test
    void passThroughKeysMayBeNestedOrDotted() {
        JobConfig config =
                parse(
                        MINIMAL
                                + "  security: {protocol: SSL}\n"
                                + "kafka.client.id: ${CLIENT:-cmek}\n"
                                + "flink.state.backend.type: rocksdb\n"
                                + "flink:\n"
                                + "  pipeline: {object-reuse: true}\n"
                                + "  env.java.opts.all: [-Da=1, -Db=2]\n");
        assertThat(config.kafka()).containsEntry("security.protocol", "SSL");
        assertThat(config.kafka()).containsEntry("client.id", "cmek");
        assertThat(config.flink()).containsEntry("state.backend.type", "rocksdb");
        assertThat(config.flink()).containsEntry("pipeline.object-reuse", "true");
        assertThat(config.flink()).containsEntry("env.java.opts.all", "-Da=1,-Db=2");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            textBlock =
                    """
                    kafak.bootstrap.servers: h:1 | test.yaml: unknown key kafak.bootstrap.servers;
                    kms.regoin: eu-west-1        | test.yaml: unknown key kms.regoin;
                    dek: {max-agee: 5m}          | test.yaml: unknown key dek.max-agee;
                    link.wait.seconds: 5         | test.yaml: unknown key link.wait.seconds;
                    flinkx.parallelism: 2        | test.yaml: unknown key flinkx.parallelism;
                    sensitive: true              | test.yaml: unknown key sensitive;
                    """)
    void unknownKeysAreRejected(String line, String message) {
        assertThatThrownBy(() -> parse(MINIMAL + line + "\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(message);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '"',
            textBlock =
                    """
                    dek.max-age: -5s              | invalid value '-5s' for dek.max-age: '-5s' is not a duration: write e.g. 250ms, 30s, 5m, 2h, 1d or PT30S
                    dek.max-age: 5 minutes        | invalid value '5 minutes' for dek.max-age: '5 minutes' is not a duration: write e.g. 250ms, 30s, 5m, 2h, 1d or PT30S
                    async.capacity: ten           | invalid value 'ten' for async.capacity: expected an integer
                    async.capacity: 99999999999   | invalid value '99999999999' for async.capacity: must be between 1 and 2147483647
                    dek.max-encryptions: 0        | invalid value '0' for dek.max-encryptions: must be between 1 and 4294967296
                    dek.max-encryptions: 4294967297 | invalid value '4294967297' for dek.max-encryptions: must be between 1 and 4294967296
                    output.max-record-bytes: 1023 | invalid value '1023' for output.max-record-bytes: must be between 1024 and 2147483647
                    kms.prefer-local-replica: maybe | invalid value 'maybe' for kms.prefer-local-replica: expected true or false
                    records.format: protobuf      | invalid value 'protobuf' for records.format: expected one of [avro, confluent-avro, json]
                    delivery.guarantee: none      | invalid value 'none' for delivery.guarantee: expected one of [exactly-once, at-least-once]
                    records.starting-offsets: 0   | invalid value '0' for records.starting-offsets: expected one of [committed, earliest, latest]
                    job.type: delete              | invalid value 'delete' for job.type: expected one of [encrypt, decrypt, rewrap]
                    records.headers-allowlist: trace-id | invalid value 'trace-id' for records.headers-allowlist: expected a list, e.g. [a, b]
                    records.org-id-field: [a, b]  | invalid value '[a, b]' for records.org-id-field: expected a single value
                    dek.refresh-ahead: 10m        | invalid value '10m' for dek.refresh-ahead: must be below dek.max-age (10m)
                    kms.retry.max-delay: 50ms     | invalid value '50ms' for kms.retry.max-delay: must be at least kms.retry.base-delay
                    checkpoint.interval: 0s       | invalid value '0s' for checkpoint.interval: exactly-once delivery needs checkpoints
                    encryption.platform-key-arn: alias/platform | invalid value 'alias/platform' for encryption.platform-key-arn: expected a key ARN arn:aws:kms:<region>:<account>:key/<id>
                    dead-letters.platform-key-arn: "arn:aws:kms:eu-west-1:1:key/k" | invalid value 'arn:aws:kms:eu-west-1:1:key/k' for dead-letters.platform-key-arn: expected a key ARN arn:aws:kms:<region>:<account>:key/<id>
                    kms.endpoint: 127.0.0.1:4566  | invalid value '127.0.0.1:4566' for kms.endpoint: not a URL; write e.g. http://127.0.0.1:4566
                    kms.endpoint: file:///tmp/kms | invalid value 'file:///tmp/kms' for kms.endpoint: expected an http or https URL with a host, e.g. http://127.0.0.1:4566
                    records.format: confluent-avro | test.yaml: records.format confluent-avro needs records.schema-ids, a map of schema id to schema file
                    flink.execution.checkpointing.unaligned: true | invalid value 'true' for flink.execution.checkpointing.unaligned.enabled: unaligned checkpoints would store in-flight records, with their sensitive fields in plaintext, in checkpoints; remove the setting
                    flink: rocksdb                | test.yaml: flink must be a map of settings
                    kafka.acks:                   | test.yaml: kafka.acks has no value; remove the key or give it a value
                    flink: {state.backend.type: } | test.yaml: flink.state.backend.type has no value; remove the key or give it a value
                    """)
    void invalidValuesAreRejected(String line, String message) {
        assertThatThrownBy(() -> parse(MINIMAL + line + "\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessage(message);
    }

    @Test
    void toStringMasksEverySecret() {
        JobConfig config =
                parse(
                        MINIMAL
                                + "  ssl.keystore.password: kspass-1\n"
                                + "  ssl.key.password: keypass-2\n"
                                + "  ssl.keystore.key: \"-----BEGIN PRIVATE KEY----- pem-3\"\n"
                                + "  basic.auth.user.info: \"user:basic-4\"\n"
                                + "  sasl.oauthbearer.token.endpoint.url: https://idp/token-5\n"
                                + "flink:\n"
                                + "  s3.secret-key: s3secret-6\n"
                                + "  fs.azure.account.key.acct.blob.core.windows.net: azure-7\n"
                                + "kms.endpoint: \"http://kmsuser:kmspass-8@127.0.0.1:4566\"\n");
        String text = config.toString();
        for (String secret :
                List.of(
                        "kspass-1",
                        "keypass-2",
                        "pem-3",
                        "basic-4",
                        "token-5",
                        "s3secret-6",
                        "azure-7",
                        "kmspass-8")) {
            assertThat(text).as("toString contains " + secret).doesNotContain(secret);
        }
        assertThat(text).contains("kafka.ssl.keystore.password=***");
        assertThat(text).contains("flink.s3.secret-key=***");
        assertThat(text).contains("kms.endpoint=http://***@127.0.0.1:4566");
        assertThat(text).contains("kafka.bootstrap.servers=127.0.0.1:9092");
        assertThat(text).contains("records.topic=in");
    }

    @Test
    void generatedDataKeyToStringHidesPlaintext() {
        byte[] plaintext = new byte[32];
        java.util.Arrays.fill(plaintext, (byte) 7);
        var key =
                new io.cmekflink.kms.GeneratedDataKey(
                        plaintext, new byte[] {1}, "arn:aws:kms:eu-west-1:111122223333:key/k", 1);
        assertThat(key.toString())
                .isEqualTo(
                        "GeneratedDataKey[keyArn=arn:aws:kms:eu-west-1:111122223333:key/k,"
                                + " plaintext=***]");
    }
}
