package io.cmekflink.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A parsed and validated job definition.
 *
 * <p>A job file is YAML. Keys may be nested ({@code kms: {local-region: eu-west-1}}) or dotted
 * ({@code kms.local-region: eu-west-1}). Keys under {@code kafka.} pass to every Kafka client of
 * the job and keys under {@code flink.} to Flink's configuration; every other key must be one of
 * {@link JobOptions#ALL}, and an unknown key or an invalid value is an error naming both. Values
 * may refer to environment variables as {@code ${NAME}} or {@code ${NAME:-default}}.
 *
 * <p>{@link #toString()} masks the values of keys that look like secrets.
 */
public final class JobConfig implements Serializable {

    private static final long serialVersionUID = 1L;

    public static final String KAFKA_PREFIX = "kafka.";
    public static final String FLINK_PREFIX = "flink.";

    private static final Pattern ENV =
            Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?}");

    /**
     * Parts of key names whose values are masked: passwords, JAAS configurations, tokens, PEM
     * private keys ({@code ssl.keystore.key}), Schema Registry's {@code basic.auth.user.info} and
     * storage account keys.
     */
    private static final List<String> SECRET_WORDS =
            List.of(
                    "password",
                    "secret",
                    "token",
                    "jaas",
                    "credential",
                    "private",
                    "keystore.key",
                    "user.info",
                    "account.key",
                    "api-key",
                    "apikey");

    /** The user info of a URL, such as {@code user:password@} in {@code http://user:password@h}. */
    private static final Pattern URL_USER_INFO = Pattern.compile("(?<=://)[^/@\\s]+@");

    private final Map<String, Object> values;
    private final Map<String, String> kafka;
    private final Map<String, String> flink;
    private final String source;

    private JobConfig(
            Map<String, Object> values,
            Map<String, String> kafka,
            Map<String, String> flink,
            String source) {
        this.values = values;
        this.kafka = kafka;
        this.flink = flink;
        this.source = source;
    }

    /** Reads and validates a job file, resolving environment variables from this process. */
    public static JobConfig load(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new ConfigException("job file " + file + " not found", e);
        } catch (IOException e) {
            throw new ConfigException("cannot read job file " + file + ": " + e.getMessage(), e);
        }
        return parse(text, file.toString(), System::getenv);
    }

    /**
     * Parses and validates a job definition.
     *
     * @param source the file name, for messages
     * @param env looks up environment variables
     */
    public static JobConfig parse(String yaml, String source, UnaryOperator<String> env) {
        JsonNode root;
        try {
            ObjectMapper mapper = new ObjectMapper(new YAMLFactory());
            mapper.enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
            root = mapper.readTree(yaml);
        } catch (IOException e) {
            throw new ConfigException(source + " is not valid YAML: " + e.getMessage(), e);
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            throw new ConfigException(source + " is empty");
        }
        if (!root.isObject()) {
            throw new ConfigException(source + " must be a YAML map of keys to values");
        }
        Map<String, Object> raw = new LinkedHashMap<>();
        Map<String, String> kafka = new TreeMap<>();
        Map<String, String> flink = new TreeMap<>();
        flatten(root, "", raw, kafka, flink, env, source);
        Map<String, Object> values = new LinkedHashMap<>();
        String jobType =
                raw.containsKey(JobOptions.JOB_TYPE.key())
                        ? JobOptions.JOB_TYPE.parse(raw.get(JobOptions.JOB_TYPE.key()))
                        : JobOptions.JOB_TYPE.defaultValue();
        for (Option<?> option : JobOptions.ALL) {
            Object value =
                    raw.containsKey(option.key()) ? option.parse(raw.get(option.key())) : null;
            boolean missing =
                    value == null
                            || "".equals(value)
                            || (value instanceof java.util.Collection<?> c && c.isEmpty());
            if (missing && option.requiredFor(jobType)) {
                throw new ConfigException(
                        source
                                + ": missing required key "
                                + option.key()
                                + (option.required() ? "" : " for job.type " + jobType)
                                + " ("
                                + option.description()
                                + ")");
            }
            values.put(option.key(), value == null ? option.defaultValue() : value);
        }
        if (!raw.containsKey(JobOptions.JOB_NAME.key())) {
            // Each job type gets its own default name, because the name prefixes the Kafka
            // transactional ids: two jobs of one name would fence each other's transactions.
            values.put(JobOptions.JOB_NAME.key(), "cmek-flink-" + jobType);
        }
        JobConfig config = new JobConfig(values, kafka, flink, source);
        config.validate();
        return config;
    }

    private static void flatten(
            JsonNode node,
            String prefix,
            Map<String, Object> raw,
            Map<String, String> kafka,
            Map<String, String> flink,
            UnaryOperator<String> env,
            String source) {
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            String key = prefix.isEmpty() ? field.getKey() : prefix + "." + field.getKey();
            JsonNode value = field.getValue();
            if (key.startsWith(KAFKA_PREFIX) || key.startsWith(FLINK_PREFIX)) {
                passThrough(key, value, key.startsWith(KAFKA_PREFIX) ? kafka : flink, env, source);
            } else if (isOption(key)) {
                if (raw.containsKey(key)) {
                    throw new ConfigException(source + ": key " + key + " is set twice");
                }
                raw.put(key, toPlain(value, env, source, key));
            } else if (value.isObject() && isOptionPrefix(key)) {
                flatten(value, key, raw, kafka, flink, env, source);
            } else if (key.equals("kafka") || key.equals("flink")) {
                if (!value.isObject()) {
                    throw new ConfigException(source + ": " + key + " must be a map of settings");
                }
                flatten(value, key, raw, kafka, flink, env, source);
            } else {
                throw new ConfigException(
                        source
                                + ": unknown key "
                                + key
                                + "; Flink settings go under flink., Kafka settings under kafka.,"
                                + " and the other keys are listed in docs/configuration.md");
            }
        }
    }

    private static void passThrough(
            String key,
            JsonNode value,
            Map<String, String> target,
            UnaryOperator<String> env,
            String source) {
        if (value.isObject()) {
            value.fields()
                    .forEachRemaining(
                            f ->
                                    passThrough(
                                            key + "." + f.getKey(),
                                            f.getValue(),
                                            target,
                                            env,
                                            source));
            return;
        }
        if (value.isNull()) {
            // asText() would pass the string "null" to Kafka or Flink.
            throw new ConfigException(
                    source + ": " + key + " has no value; remove the key or give it a value");
        }
        if (value.isArray()) {
            List<String> items = new ArrayList<>();
            value.forEach(item -> items.add(substitute(item.asText(), env, source, key)));
            target.put(stripPrefix(key), String.join(",", items));
            return;
        }
        target.put(stripPrefix(key), substitute(value.asText(), env, source, key));
    }

    private static String stripPrefix(String key) {
        return key.substring(key.indexOf('.') + 1);
    }

    private static Object toPlain(
            JsonNode value, UnaryOperator<String> env, String source, String key) {
        if (value.isArray()) {
            List<Object> items = new ArrayList<>();
            value.forEach(item -> items.add(toPlain(item, env, source, key)));
            return items;
        }
        if (value.isObject()) {
            Map<String, Object> entries = new LinkedHashMap<>();
            value.fields()
                    .forEachRemaining(
                            f -> entries.put(f.getKey(), toPlain(f.getValue(), env, source, key)));
            return entries;
        }
        if (value.isNull()) {
            return null;
        }
        return substitute(value.asText(), env, source, key);
    }

    private static String substitute(
            String text, UnaryOperator<String> env, String source, String key) {
        Matcher m = ENV.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = env.apply(m.group(1));
            if (value == null) {
                value = m.group(3);
            }
            if (value == null) {
                throw new ConfigException(
                        source
                                + ": "
                                + key
                                + " refers to environment variable "
                                + m.group(1)
                                + ", which is not set; set it or write ${"
                                + m.group(1)
                                + ":-default}");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static boolean isOption(String key) {
        return JobOptions.ALL.stream().anyMatch(o -> o.key().equals(key));
    }

    private static boolean isOptionPrefix(String key) {
        return JobOptions.ALL.stream().anyMatch(o -> o.key().startsWith(key + "."));
    }

    private void validate() {
        String format = get(JobOptions.RECORDS_FORMAT);
        if (format.equals("confluent-avro")) {
            if (get(JobOptions.RECORDS_SCHEMA_IDS).isEmpty()) {
                throw new ConfigException(
                        source
                                + ": records.format confluent-avro needs records.schema-ids, a map"
                                + " of schema id to schema file");
            }
            for (String id : get(JobOptions.RECORDS_SCHEMA_IDS).keySet()) {
                try {
                    Integer.parseInt(id);
                } catch (NumberFormatException e) {
                    throw ConfigException.invalid(
                            "records.schema-ids", id, "schema ids are integers");
                }
            }
        } else if (get(JobOptions.RECORDS_SCHEMA).isEmpty()) {
            throw new ConfigException(
                    source + ": records.format " + format + " needs records.schema, a schema file");
        }
        String region = get(JobOptions.KMS_LOCAL_REGION);
        if (!region.matches("[a-z]{2}(-[a-z]+)+-[0-9]+")) {
            throw ConfigException.invalid(
                    "kms.local-region", region, "not an AWS region name such as eu-west-1");
        }
        for (Option<String> arn :
                List.of(
                        JobOptions.ENCRYPTION_PLATFORM_KEY_ARN,
                        JobOptions.DEAD_LETTERS_PLATFORM_KEY_ARN,
                        JobOptions.STATE_PLATFORM_KEY_ARN)) {
            String value = get(arn);
            if (!value.isEmpty()
                    && !value.matches(
                            "arn:aws(-cn|-us-gov)?:kms:[a-z0-9-]+:[0-9]{12}:key/[a-z0-9-]+")) {
                throw ConfigException.invalid(
                        arn.key(),
                        value,
                        "expected a key ARN arn:aws:kms:<region>:<account>:key/<id>");
            }
        }
        String endpoint = get(JobOptions.KMS_ENDPOINT);
        if (!endpoint.isEmpty()) {
            checkEndpoint(endpoint);
        }
        if (!format.equals("confluent-avro") && !get(JobOptions.RECORDS_SCHEMA_IDS).isEmpty()) {
            throw ConfigException.invalid(
                    "records.schema-ids",
                    get(JobOptions.RECORDS_SCHEMA_IDS).keySet(),
                    "schema ids are only read with records.format confluent-avro, not " + format);
        }
        if (!kafka.containsKey("bootstrap.servers")) {
            throw new ConfigException(
                    source + ": missing required key kafka.bootstrap.servers (host:port,...)");
        }
        Duration retryWorstCase =
                get(JobOptions.KMS_RETRY_BUDGET).plus(get(JobOptions.KMS_ATTEMPT_TIMEOUT));
        if (get(JobOptions.ASYNC_TIMEOUT).compareTo(retryWorstCase) <= 0) {
            throw ConfigException.invalid(
                    "async.timeout",
                    Durations.format(get(JobOptions.ASYNC_TIMEOUT)),
                    "must exceed kms.retry.budget plus kms.attempt-timeout ("
                            + Durations.format(retryWorstCase)
                            + "), so that a record whose KMS calls fail becomes a dead letter"
                            + " instead of timing out");
        }
        if (get(JobOptions.DEK_REFRESH_AHEAD).compareTo(get(JobOptions.DEK_MAX_AGE)) >= 0) {
            throw ConfigException.invalid(
                    "dek.refresh-ahead",
                    Durations.format(get(JobOptions.DEK_REFRESH_AHEAD)),
                    "must be below dek.max-age ("
                            + Durations.format(get(JobOptions.DEK_MAX_AGE))
                            + ")");
        }
        if (get(JobOptions.KMS_RETRY_MAX_DELAY).compareTo(get(JobOptions.KMS_RETRY_BASE_DELAY))
                < 0) {
            throw ConfigException.invalid(
                    "kms.retry.max-delay",
                    Durations.format(get(JobOptions.KMS_RETRY_MAX_DELAY)),
                    "must be at least kms.retry.base-delay");
        }
        String unaligned = flink.get("execution.checkpointing.unaligned.enabled");
        if (unaligned == null) {
            unaligned = flink.get("execution.checkpointing.unaligned");
        }
        if ("true".equalsIgnoreCase(unaligned)) {
            throw ConfigException.invalid(
                    "flink.execution.checkpointing.unaligned.enabled",
                    unaligned,
                    "unaligned checkpoints would store in-flight records, with their sensitive"
                            + " fields in plaintext, in checkpoints; remove the setting");
        }
        if (get(JobOptions.DELIVERY_GUARANTEE).equals("exactly-once")
                && get(JobOptions.CHECKPOINT_INTERVAL).isZero()) {
            throw ConfigException.invalid(
                    "checkpoint.interval", "0s", "exactly-once delivery needs checkpoints");
        }
    }

    private static void checkEndpoint(String endpoint) {
        java.net.URI uri;
        try {
            uri = new java.net.URI(endpoint);
        } catch (java.net.URISyntaxException e) {
            throw ConfigException.invalid(
                    "kms.endpoint", endpoint, "not a URL; write e.g. http://127.0.0.1:4566");
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
                || uri.getHost() == null) {
            throw ConfigException.invalid(
                    "kms.endpoint",
                    endpoint,
                    "expected an http or https URL with a host, e.g. http://127.0.0.1:4566");
        }
    }

    /** The value of a key, or its default. */
    @SuppressWarnings("unchecked")
    public <T> T get(Option<T> option) {
        if (!values.containsKey(option.key())) {
            throw new IllegalArgumentException(option.key() + " is not a job option");
        }
        return (T) values.get(option.key());
    }

    /** Returns a copy with one key changed, validated again. */
    public <T> JobConfig with(Option<T> option, T value) {
        Map<String, Object> copy = new LinkedHashMap<>(values);
        copy.put(option.key(), value);
        JobConfig config = new JobConfig(copy, kafka, flink, source);
        config.validate();
        return config;
    }

    /** Returns a copy with one Kafka setting changed. */
    public JobConfig withKafka(String key, String value) {
        Map<String, String> copy = new TreeMap<>(kafka);
        copy.put(key, value);
        return new JobConfig(values, copy, flink, source);
    }

    /** The Kafka settings, without the {@code kafka.} prefix. */
    public Map<String, String> kafka() {
        return Map.copyOf(kafka);
    }

    /** The Kafka settings as client properties. */
    public Properties kafkaProperties() {
        Properties props = new Properties();
        props.putAll(kafka);
        return props;
    }

    public String bootstrapServers() {
        return kafka.get("bootstrap.servers");
    }

    /** The Flink settings, without the {@code flink.} prefix. */
    public Map<String, String> flink() {
        return Map.copyOf(flink);
    }

    /** The file this definition came from. */
    public String source() {
        return source;
    }

    @Override
    public String toString() {
        StringBuilder out = new StringBuilder("JobConfig[" + source);
        values.forEach((k, v) -> out.append(", ").append(k).append('=').append(mask(k, v)));
        kafka.forEach((k, v) -> out.append(", kafka.").append(k).append('=').append(mask(k, v)));
        flink.forEach((k, v) -> out.append(", flink.").append(k).append('=').append(mask(k, v)));
        return out.append(']').toString();
    }

    private static Object mask(String key, Object value) {
        String lower = key.toLowerCase(Locale.ROOT);
        for (String word : SECRET_WORDS) {
            if (lower.contains(word)) {
                return "***";
            }
        }
        if (value instanceof String text) {
            return URL_USER_INFO.matcher(text).replaceAll("***@");
        }
        return value;
    }
}
