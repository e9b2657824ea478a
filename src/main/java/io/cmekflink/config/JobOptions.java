package io.cmekflink.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Every key of a job definition that is not a Flink ({@code flink.}) or Kafka ({@code kafka.})
 * setting. {@code docs/configuration.md} lists the same keys; a test keeps the two in step.
 */
public final class JobOptions {

    private JobOptions() {}

    public static final String ENCRYPT = "encrypt";
    public static final String DECRYPT = "decrypt";
    public static final String REWRAP = "rewrap";

    public static final Option<String> JOB_TYPE =
            Option.oneOf(
                    "job.type",
                    ENCRYPT,
                    "What the job does: encrypt sensitive records, decrypt encrypted records for"
                            + " the one allowed to read them, or re-wrap the EDEKs of an org's"
                            + " encrypted records under a new key ARN.",
                    ENCRYPT,
                    DECRYPT,
                    REWRAP);

    public static final Option<String> JOB_NAME =
            Option.string(
                    "job.name",
                    "cmek-flink-encrypt",
                    "Name of the Flink job; also the prefix of Kafka transactional ids and the"
                            + " default consumer group id, so two jobs on one cluster need"
                            + " different names. The default is cmek-flink-<job.type>.");

    public static final Option<String> STATE_PLATFORM_KEY_ARN =
            Option.string(
                    "state.platform-key-arn",
                    "",
                    "Key ARN of the platform's own KMS key that seals the records waiting in"
                            + " Flink state (for a key link, or in flight to KMS), so that"
                            + " checkpoints and savepoints hold no plaintext of them. Costs one"
                            + " more AES-GCM seal and open per record. Empty keeps them in"
                            + " plaintext in state.");

    public static final Option<Integer> PARALLELISM =
            Option.integer(
                            "job.parallelism",
                            0,
                            0,
                            "Parallelism of the job; 0 keeps Flink's default.")
                    .unit("parallel instances");

    public static final Option<String> GEO =
            Option.oneOf(
                            "geo",
                            null,
                            "Platform region of this job; linked keys must live in one of its AWS"
                                    + " regions.",
                            "AU",
                            "EU",
                            "ME",
                            "US",
                            "IN")
                    .requiredOption();

    public static final Option<String> RECORDS_TOPIC =
            Option.string(
                            "records.topic",
                            null,
                            "Input topic: sensitive records for encrypt, encrypted records for"
                                    + " decrypt and rewrap.")
                    .requiredOption();

    public static final Option<String> RECORDS_FORMAT =
            Option.oneOf(
                    "records.format",
                    "avro",
                    "Value format of the input records: Avro binary, Avro behind the 5-byte"
                            + " Confluent framing, or plain JSON objects mapped by field name.",
                    "avro",
                    "confluent-avro",
                    "json");

    public static final Option<String> RECORDS_SCHEMA =
            Option.string(
                    "records.schema",
                    "",
                    "Writer schema file of the input records; required for the avro and json"
                            + " formats.");

    public static final Option<Map<String, String>> RECORDS_SCHEMA_IDS =
            Option.map(
                    "records.schema-ids",
                    "For confluent-avro: schema id to schema file, one entry per writer schema"
                            + " version.");

    public static final Option<String> RECORDS_ORG_ID_FIELD =
            Option.string(
                    "records.org-id-field",
                    "org_id",
                    "Top-level string field of the input record that holds the org id.");

    public static final Option<String> RECORDS_GROUP_ID =
            Option.string(
                    "records.group-id",
                    "",
                    "Consumer group id of the records source; empty means the job name.");

    public static final Option<String> RECORDS_STARTING_OFFSETS =
            Option.oneOf(
                    "records.starting-offsets",
                    "committed",
                    "Where a fresh start reads the records topic: the group's committed offsets"
                            + " (earliest when none), earliest or latest. A restore from a"
                            + " checkpoint always continues where it stopped.",
                    "committed",
                    "earliest",
                    "latest");

    public static final Option<List<String>> RECORDS_HEADERS_ALLOWLIST =
            Option.list(
                    "records.headers-allowlist",
                    "Kafka headers copied from input to output records; all others are dropped,"
                            + " since headers may carry personal data.");

    public static final Option<Integer> RECORDS_JSON_MAX_DEPTH =
            Option.integer(
                            "records.json-max-depth",
                            64,
                            1,
                            500,
                            "Maximum nesting depth of a JSON input value; deeper values become"
                                    + " MALFORMED_RECORD dead letters.")
                    .unit("nesting levels");

    public static final Option<String> KEY_CHANGES_TOPIC =
            Option.string(
                            "key-changes.topic",
                            "",
                            "Compacted topic of key-change events, keyed by org id.")
                    .requiredForTypes(ENCRYPT);

    public static final Option<List<String>> KEY_CHANGES_PUBLIC_KEYS =
            Option.list(
                            "key-changes.public-keys",
                            "Ed25519 public key files (X.509 PEM) of the control plane. A"
                                    + " key-change event is applied only when one of them"
                                    + " verifies its signature; list two during a rotation of the"
                                    + " signing key.")
                    .requiredForTypes(ENCRYPT);

    public static final Option<Long> KEY_CHANGES_MAX_VERSION_JUMP =
            Option.longValue(
                            "key-changes.max-version-jump",
                            1000,
                            1,
                            Long.MAX_VALUE,
                            "How far a key-change event's version may be ahead of the org's current"
                                    + " version; larger jumps are rejected.")
                    .unit("versions");

    public static final Option<Duration> KEY_CHANGES_CATCH_UP_TIMEOUT =
            Option.duration(
                    "key-changes.catch-up-timeout",
                    Duration.ofMinutes(2),
                    "On a fresh start, the longest time to wait for the replay of the key-change"
                            + " topic before the link wait of pending records starts anyway.");

    public static final Option<String> OUTPUT_TOPIC =
            Option.string(
                            "output.topic",
                            null,
                            "Output topic: encrypted records for encrypt, plaintext records for"
                                    + " decrypt, re-wrapped records for rewrap.")
                    .requiredOption();

    public static final Option<Integer> OUTPUT_MAX_RECORD_BYTES =
            Option.integer(
                            "output.max-record-bytes",
                            1_000_000,
                            1024,
                            "Largest encrypted record value, in bytes. Larger records become"
                                    + " RECORD_TOO_LARGE dead letters, and so do records whose"
                                    + " Kafka batch would exceed the output topic's"
                                    + " max.message.bytes (read when the job starts) or"
                                    + " kafka.max.request.size.")
                    .unit("bytes");

    public static final Option<String> DEAD_LETTERS_TOPIC =
            Option.string("dead-letters.topic", null, "Topic of the dead letters.")
                    .requiredOption();

    public static final Option<String> DEAD_LETTERS_PLATFORM_KEY_ARN =
            Option.string(
                    "dead-letters.platform-key-arn",
                    "",
                    "Key ARN of the platform's own KMS key that seals the input of dead letters"
                            + " that may be replayed (KMS_THROTTLED, KMS_UNAVAILABLE,"
                            + " DATA_KEY_UNAVAILABLE, NO_KEY_LINKED); empty drops every payload.");

    public static final Option<Duration> DEAD_LETTERS_SEALED_RETENTION =
            Option.duration(
                    "dead-letters.sealed-retention",
                    Duration.ofDays(7),
                    "How long a sealed dead-letter payload may be kept: its retain_until, after"
                            + " which replay rejects it. Set the dead-letter topic's retention.ms"
                            + " no longer.");

    public static final Option<String> ENCRYPTION_PLATFORM_KEY_ARN =
            Option.string(
                    "encryption.platform-key-arn",
                    "",
                    "Key ARN of the platform's own key that encrypts the records of orgs without"
                            + " a key link (never linked, or unlinked): platform-managed"
                            + " encryption. Empty makes those records NO_KEY_LINKED or"
                            + " KEY_UNLINKED dead letters instead. Either way, never plaintext.");

    public static final Option<String> ENCRYPTION_DATA_KEY_TOPIC =
            Option.string(
                    "encryption.data-key-topic",
                    "",
                    "Compacted topic of data-key entries. When set, the encrypt job writes each"
                            + " DEK's key ARN and EDEK there once, and each record carries a"
                            + " 16-byte reference to that entry in place of them (envelope format"
                            + " version 2). Decrypt and rewrap read references from it. Losing the"
                            + " topic makes those records unreadable. Empty: every record carries"
                            + " its key ARN and EDEK.");

    public static final Option<List<String>> ENCRYPTION_BINDING_FIELDS =
            Option.list(
                    "encryption.binding-fields",
                    "Unmarked fields (dotted paths) whose values are bound into the associated"
                            + " data, so that ciphertext cannot be moved to another record.");

    public static final Option<List<String>> ENCRYPTION_MARKING_TAGS =
            Option.list(
                    "encryption.marking-tags",
                    "Confluent-style tags (\"confluent:tags\") that mark a field as sensitive,"
                            + " in addition to \"sensitive\": true.");

    public static final Option<String> ENCRYPTION_DERIVED_SCHEMA_DIR =
            Option.string(
                    "encryption.derived-schema-dir",
                    "",
                    "Directory to which the job writes the derived output schema at start;"
                            + " empty writes none.");

    public static final Option<Duration> LINK_WAIT =
            Option.duration(
                    "link.wait",
                    Duration.ofMinutes(5),
                    "How long a record of an org without a key link waits for one before it"
                            + " becomes a NO_KEY_LINKED dead letter.");

    public static final Option<Integer> LINK_MAX_PENDING_PER_ORG =
            Option.integer(
                            "link.max-pending-per-org",
                            1000,
                            0,
                            "Most records of one org that wait for a link in state; more become"
                                + " NO_KEY_LINKED dead letters at once. A hot org (hot-orgs.ids)"
                                + " with k salts holds at most max(1, this / k) per salt, so at"
                                + " most max(this, k) in all. 0 turns waiting off, and then records"
                                + " are routed under whatever link the job holds even while the"
                                + " key-change replay of a fresh start has not caught up.")
                    .unit("records");

    public static final Option<List<String>> HOT_ORGS_IDS =
            Option.list(
                    "hot-orgs.ids",
                    "Org ids whose records are spread over hot-orgs.spread parallel instances of"
                            + " the resolve and encrypt steps, for orgs that send more records"
                            + " than one core can encrypt. Each instance loads its own data"
                            + " keys, so such an org costs k GenerateDataKey calls per data key"
                            + " lifetime in place of one, where k is hot-orgs.spread capped by"
                            + " the parallelism, and its records from one partition may leave the"
                            + " job out of order. Empty keeps every org on one instance.");

    public static final Option<Integer> HOT_ORGS_SPREAD =
            Option.integer(
                            "hot-orgs.spread",
                            0,
                            0,
                            1024,
                            "How many parallel instances each hot org's records spread over,"
                                    + " capped by the parallelism; 0 means all of them.")
                    .unit("parallel instances");

    public static final Option<Integer> HOT_ORGS_WARN_PERCENT =
            Option.integer(
                            "hot-orgs.warn-percent",
                            50,
                            0,
                            100,
                            "Share of one parse instance's records, over windows of 10,000 records,"
                                + " above which the job logs a warning that names an org not in"
                                + " hot-orgs.ids, at parallelism 2 or more. At parallelism p, an"
                                + " org above 100/p percent keeps one instance busier than the"
                                + " others. 0 turns the warning off.")
                    .unit("percent");

    public static final Option<Duration> DEK_MAX_AGE =
            Option.duration(
                    "dek.max-age",
                    Duration.ofMinutes(10),
                    "Longest time a data key is used after its creation.");

    public static final Option<Duration> DEK_REFRESH_AHEAD =
            Option.duration(
                    "dek.refresh-ahead",
                    Duration.ofMinutes(1),
                    "How long before dek.max-age a data key in use is replaced in the"
                            + " background.");

    public static final Option<Long> DEK_MAX_ENCRYPTIONS =
            Option.longValue(
                            "dek.max-encryptions",
                            1L << 24,
                            1,
                            1L << 32,
                            "Most records sealed under one data key.")
                    .unit("records");

    public static final Option<Long> DEK_MAX_ENTRIES =
            Option.longValue(
                            "dek.max-entries",
                            100_000,
                            1,
                            Long.MAX_VALUE,
                            "Most data keys cached per parallel instance.")
                    .unit("data keys");

    public static final Option<Duration> DEK_FAILURE_TTL =
            Option.duration(
                    "dek.failure-ttl",
                    Duration.ofSeconds(30),
                    "How long a key that KMS refused (disabled, deleted, denied) stays refused"
                            + " without another KMS call.");

    public static final Option<String> KMS_LOCAL_REGION =
            Option.string(
                            "kms.local-region",
                            null,
                            "AWS region that the job runs in; KMS calls for a key go to the key's"
                                    + " own region.")
                    .requiredOption();

    public static final Option<String> KMS_ENDPOINT =
            Option.string(
                    "kms.endpoint",
                    "",
                    "KMS endpoint override, such as a local emulator; empty uses AWS.");

    public static final Option<Integer> KMS_MAX_CONCURRENCY =
            Option.integer(
                            "kms.max-concurrency",
                            50,
                            1,
                            "Connection pool size of each KMS client (one per region and parallel"
                                    + " instance).")
                    .unit("connections");

    public static final Option<Duration> KMS_ATTEMPT_TIMEOUT =
            Option.duration(
                    "kms.attempt-timeout", Duration.ofSeconds(5), "Timeout of one KMS attempt.");

    public static final Option<Integer> KMS_RETRY_MAX_ATTEMPTS =
            Option.integer(
                            "kms.retry.max-attempts",
                            10,
                            1,
                            "Most attempts of one KMS call on throttling and unavailability.")
                    .unit("attempts");

    public static final Option<Duration> KMS_RETRY_BASE_DELAY =
            Option.duration(
                    "kms.retry.base-delay",
                    Duration.ofMillis(100),
                    "Delay before the first retry; it doubles per retry, with jitter.");

    public static final Option<Duration> KMS_RETRY_MAX_DELAY =
            Option.duration(
                    "kms.retry.max-delay",
                    Duration.ofSeconds(5),
                    "Longest delay between two attempts.");

    public static final Option<Duration> KMS_RETRY_BUDGET =
            Option.duration(
                    "kms.retry.budget",
                    Duration.ofSeconds(30),
                    "Total time one KMS call may take with its retries; after it the record"
                            + " becomes a retriable dead letter.");

    public static final Option<Boolean> KMS_PREFER_LOCAL_REPLICA =
            Option.bool(
                    "kms.prefer-local-replica",
                    true,
                    "For a multi-region key linked in the geo's other region, call its replica in"
                        + " kms.local-region, falling back to the linked region when the replica"
                        + " does not exist.");

    public static final Option<Integer> KMS_REQUEST_BUDGET =
            Option.integer(
                            "kms.request-budget-per-second",
                            0,
                            0,
                            "The job's share of the platform's KMS request quota for cryptographic"
                                + " calls, per region and split across its parallel instances. KMS"
                                + " throttles the account that makes the requests, so all jobs of"
                                + " the platform share its quota (5,500 per second per region by"
                                + " default). 0 sets no limit.")
                    .unit("requests per second");

    public static final Option<Integer> KMS_DESCRIBE_KEY_BUDGET =
            Option.integer(
                            "kms.describe-key-budget-per-second",
                            10,
                            1,
                            "The job's budget for DescribeKey and GetKeyRotationStatus calls of its"
                                + " health checks, split across its parallel instances; these calls"
                                + " have smaller quotas than the cryptographic ones.")
                    .unit("requests per second");

    public static final Option<Duration> KEY_HEALTH_CHECK_INTERVAL =
            Option.duration(
                    "key.health-check-interval",
                    Duration.ofMinutes(1),
                    "How often each parallel instance checks each key it uses with DescribeKey;"
                            + " a key found disabled, pending deletion, deleted or denied stops"
                            + " encrypting at once. 0 turns the checks off, and then dek.max-age"
                            + " alone bounds how long a revoked key keeps encrypting.");

    public static final Option<Integer> KEY_HEALTH_CHECK_CONCURRENCY =
            Option.integer(
                            "key.health-check-concurrency",
                            4,
                            1,
                            "Most health checks that one parallel instance runs at once.")
                    .unit("checks");

    public static final Option<Integer> ASYNC_CAPACITY =
            Option.integer(
                            "async.capacity",
                            1000,
                            1,
                            "Maximum records in flight in the encrypt, decrypt or re-wrap step of"
                                    + " each parallel instance.")
                    .unit("records");

    public static final Option<Duration> ASYNC_TIMEOUT =
            Option.duration(
                    "async.timeout",
                    Duration.ofSeconds(90),
                    "Longest time a record may wait for its data key in the encrypt, decrypt or"
                            + " re-wrap step; must exceed kms.retry.budget plus"
                            + " kms.attempt-timeout.");

    public static final Option<Duration> CHECKPOINT_INTERVAL =
            Option.duration(
                    "checkpoint.interval",
                    Duration.ofSeconds(10),
                    "Interval of aligned checkpoints; output becomes visible to read_committed"
                            + " consumers when a checkpoint completes.");

    public static final Option<String> DELIVERY_GUARANTEE =
            Option.oneOf(
                    "delivery.guarantee",
                    "exactly-once",
                    "Kafka sink guarantee: exactly-once uses transactions and needs"
                            + " checkpoints.",
                    "exactly-once",
                    "at-least-once");

    public static final Option<String> DECRYPT_OUTPUT_FORMAT =
            Option.oneOf(
                    "decrypt.output-format",
                    "avro-single-object",
                    "Value format of decrypted records: Avro single-object encoding (marker,"
                            + " fingerprint of the writer schema, Avro binary) or plain Avro"
                            + " binary.",
                    "avro-single-object",
                    "avro");

    public static final Option<String> DECRYPT_DERIVED_SCHEMA_DIR =
            Option.string(
                    "decrypt.derived-schema-dir",
                    "",
                    "Directory of derived schema files that decrypt and rewrap read besides the"
                            + " schemas derived from records.schema, so that records of older"
                            + " schema versions decrypt too; empty reads none.");

    public static final Option<Boolean> METRICS_PER_ORG =
            Option.bool(
                    "metrics.per-org",
                    false,
                    "Also count decryption errors per org. Off by default, because thousands of"
                            + " orgs make thousands of metrics.");

    public static final Option<String> REWRAP_ORG =
            Option.string("rewrap.org", "", "The org whose records rewrap moves to a new key.")
                    .requiredForTypes(REWRAP);

    public static final Option<String> REWRAP_FROM_KEY_ARN =
            Option.string(
                            "rewrap.from-key-arn",
                            "",
                            "The old key ARN: rewrap moves records whose envelope names it.")
                    .requiredForTypes(REWRAP);

    public static final Option<String> REWRAP_TO_KEY_ARN =
            Option.string(
                            "rewrap.to-key-arn",
                            "",
                            "The new key ARN that rewrap wraps the data keys under.")
                    .requiredForTypes(REWRAP);

    /** All keys, in documentation order. */
    public static final List<Option<?>> ALL =
            List.of(
                    JOB_TYPE,
                    JOB_NAME,
                    PARALLELISM,
                    STATE_PLATFORM_KEY_ARN,
                    GEO,
                    RECORDS_TOPIC,
                    RECORDS_FORMAT,
                    RECORDS_SCHEMA,
                    RECORDS_SCHEMA_IDS,
                    RECORDS_ORG_ID_FIELD,
                    RECORDS_GROUP_ID,
                    RECORDS_STARTING_OFFSETS,
                    RECORDS_HEADERS_ALLOWLIST,
                    RECORDS_JSON_MAX_DEPTH,
                    KEY_CHANGES_TOPIC,
                    KEY_CHANGES_PUBLIC_KEYS,
                    KEY_CHANGES_MAX_VERSION_JUMP,
                    KEY_CHANGES_CATCH_UP_TIMEOUT,
                    OUTPUT_TOPIC,
                    OUTPUT_MAX_RECORD_BYTES,
                    DEAD_LETTERS_TOPIC,
                    DEAD_LETTERS_PLATFORM_KEY_ARN,
                    DEAD_LETTERS_SEALED_RETENTION,
                    ENCRYPTION_PLATFORM_KEY_ARN,
                    ENCRYPTION_DATA_KEY_TOPIC,
                    ENCRYPTION_BINDING_FIELDS,
                    ENCRYPTION_MARKING_TAGS,
                    ENCRYPTION_DERIVED_SCHEMA_DIR,
                    LINK_WAIT,
                    LINK_MAX_PENDING_PER_ORG,
                    HOT_ORGS_IDS,
                    HOT_ORGS_SPREAD,
                    HOT_ORGS_WARN_PERCENT,
                    DEK_MAX_AGE,
                    DEK_REFRESH_AHEAD,
                    DEK_MAX_ENCRYPTIONS,
                    DEK_MAX_ENTRIES,
                    DEK_FAILURE_TTL,
                    KMS_LOCAL_REGION,
                    KMS_ENDPOINT,
                    KMS_MAX_CONCURRENCY,
                    KMS_ATTEMPT_TIMEOUT,
                    KMS_RETRY_MAX_ATTEMPTS,
                    KMS_RETRY_BASE_DELAY,
                    KMS_RETRY_MAX_DELAY,
                    KMS_RETRY_BUDGET,
                    KMS_PREFER_LOCAL_REPLICA,
                    KMS_REQUEST_BUDGET,
                    KMS_DESCRIBE_KEY_BUDGET,
                    KEY_HEALTH_CHECK_INTERVAL,
                    KEY_HEALTH_CHECK_CONCURRENCY,
                    ASYNC_CAPACITY,
                    ASYNC_TIMEOUT,
                    CHECKPOINT_INTERVAL,
                    DELIVERY_GUARANTEE,
                    DECRYPT_OUTPUT_FORMAT,
                    DECRYPT_DERIVED_SCHEMA_DIR,
                    METRICS_PER_ORG,
                    REWRAP_ORG,
                    REWRAP_FROM_KEY_ARN,
                    REWRAP_TO_KEY_ARN);
}
