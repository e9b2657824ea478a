package io.cmekflink.config;

import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One key of a job definition: its name, type, default and meaning.
 *
 * @param <T> the parsed type
 */
public final class Option<T> implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Parses the raw YAML value (a string, list or map) of a key. */
    @FunctionalInterface
    interface Parser<T> extends Serializable {
        T parse(String key, Object raw);
    }

    private final String key;
    private final String type;
    private final T defaultValue;
    private final boolean required;
    private final Set<String> requiredFor;
    private final String description;
    private final Parser<T> parser;
    private final String unit;

    private Option(
            String key,
            String type,
            T defaultValue,
            boolean required,
            Set<String> requiredFor,
            String description,
            Parser<T> parser) {
        this(key, type, defaultValue, required, requiredFor, description, parser, null);
    }

    private Option(
            String key,
            String type,
            T defaultValue,
            boolean required,
            Set<String> requiredFor,
            String description,
            Parser<T> parser,
            String unit) {
        this.unit = unit;
        this.key = key;
        this.type = type;
        this.defaultValue = defaultValue;
        this.required = required;
        this.requiredFor = Set.copyOf(requiredFor);
        this.description = description;
        this.parser = parser;
    }

    public String key() {
        return key;
    }

    /** The type as documented: string, integer, duration, list, map or one of a set. */
    public String type() {
        return type;
    }

    public T defaultValue() {
        return defaultValue;
    }

    /** True when every job definition must set this key. */
    public boolean required() {
        return required;
    }

    /** The job types ({@code job.type}) that must set this key; empty when {@link #required()}. */
    public Set<String> requiredFor() {
        return requiredFor;
    }

    /** True when a job of {@code jobType} must set this key. */
    boolean requiredFor(String jobType) {
        return required || requiredFor.contains(jobType);
    }

    public String description() {
        return description;
    }

    /**
     * Returns the unit of a number, such as {@code bytes} or {@code requests per second}: {@code
     * time} for a duration, whose value carries its own unit; empty for other types.
     */
    public String unit() {
        if (unit != null) {
            return unit;
        }
        return type.equals("duration") ? "time" : "";
    }

    /** This key with the unit of its value, as documented. */
    Option<T> unit(String unitName) {
        return new Option<>(
                key, type, defaultValue, required, requiredFor, description, parser, unitName);
    }

    T parse(Object raw) {
        return parser.parse(key, raw);
    }

    Option<T> requiredOption() {
        return new Option<>(key, type, null, true, Set.of(), description, parser, unit);
    }

    /** This key, required only for the given job types and empty by default otherwise. */
    Option<T> requiredForTypes(String... jobTypes) {
        return new Option<>(
                key, type, defaultValue, false, Set.of(jobTypes), description, parser, unit);
    }

    static Option<String> string(String key, String defaultValue, String description) {
        return new Option<>(
                key,
                "string",
                defaultValue,
                false,
                Set.of(),
                description,
                (k, raw) -> scalar(k, raw));
    }

    static Option<Integer> integer(String key, int defaultValue, int min, String description) {
        return integer(key, defaultValue, min, Integer.MAX_VALUE, description);
    }

    static Option<Integer> integer(
            String key, int defaultValue, int min, int max, String description) {
        return new Option<>(
                key,
                max == Integer.MAX_VALUE
                        ? "integer >= " + min
                        : "integer in [" + min + ", " + max + "]",
                defaultValue,
                false,
                Set.of(),
                description,
                (k, raw) -> {
                    long value = parseLong(k, raw);
                    if (value < min || value > max) {
                        throw ConfigException.invalid(
                                k, raw, "must be between " + min + " and " + max);
                    }
                    return (int) value;
                });
    }

    static Option<Long> longValue(
            String key, long defaultValue, long min, long max, String description) {
        return new Option<>(
                key,
                "integer in [" + min + ", " + max + "]",
                defaultValue,
                false,
                Set.of(),
                description,
                (k, raw) -> {
                    long value = parseLong(k, raw);
                    if (value < min || value > max) {
                        throw ConfigException.invalid(
                                k, raw, "must be between " + min + " and " + max);
                    }
                    return value;
                });
    }

    static Option<Duration> duration(String key, Duration defaultValue, String description) {
        return new Option<>(
                key,
                "duration",
                defaultValue,
                false,
                Set.of(),
                description,
                (k, raw) -> {
                    try {
                        Duration d = Durations.parse(scalar(k, raw));
                        if (d.isNegative()) {
                            throw ConfigException.invalid(k, raw, "must not be negative");
                        }
                        return d;
                    } catch (IllegalArgumentException e) {
                        throw ConfigException.invalid(k, raw, e.getMessage());
                    }
                });
    }

    static Option<Boolean> bool(String key, boolean defaultValue, String description) {
        return new Option<>(
                key,
                "boolean",
                defaultValue,
                false,
                Set.of(),
                description,
                (k, raw) -> {
                    String s = scalar(k, raw).toLowerCase(Locale.ROOT);
                    if (!s.equals("true") && !s.equals("false")) {
                        throw ConfigException.invalid(k, raw, "expected true or false");
                    }
                    return Boolean.parseBoolean(s);
                });
    }

    static Option<String> oneOf(
            String key, String defaultValue, String description, String... choices) {
        List<String> allowed = Arrays.asList(choices);
        return new Option<>(
                key,
                "one of " + String.join(", ", choices),
                defaultValue,
                false,
                Set.of(),
                description,
                (k, raw) -> {
                    String s = scalar(k, raw);
                    if (!allowed.contains(s)) {
                        throw ConfigException.invalid(k, raw, "expected one of " + allowed);
                    }
                    return s;
                });
    }

    static Option<List<String>> list(String key, String description) {
        return new Option<>(
                key,
                "list of strings",
                List.of(),
                false,
                Set.of(),
                description,
                (k, raw) -> {
                    if (!(raw instanceof List<?> items)) {
                        throw ConfigException.invalid(k, raw, "expected a list, e.g. [a, b]");
                    }
                    List<String> out = new ArrayList<>();
                    for (Object item : items) {
                        out.add(scalar(k, item));
                    }
                    return List.copyOf(out);
                });
    }

    static Option<Map<String, String>> map(String key, String description) {
        return new Option<>(
                key,
                "map of string to string",
                Map.of(),
                false,
                Set.of(),
                description,
                (k, raw) -> {
                    if (!(raw instanceof Map<?, ?> entries)) {
                        throw ConfigException.invalid(
                                k, raw, "expected a map, e.g. {1: schemas/a.avsc}");
                    }
                    Map<String, String> out = new LinkedHashMap<>();
                    entries.forEach((name, value) -> out.put(name.toString(), scalar(k, value)));
                    return out;
                });
    }

    private static long parseLong(String key, Object raw) {
        try {
            return Long.parseLong(scalar(key, raw).replace("_", ""));
        } catch (NumberFormatException e) {
            throw ConfigException.invalid(key, raw, "expected an integer");
        }
    }

    static String scalar(String key, Object raw) {
        if (raw instanceof Map || raw instanceof List) {
            throw ConfigException.invalid(key, raw, "expected a single value");
        }
        return Objects.toString(raw, "");
    }

    @Override
    public String toString() {
        return key;
    }
}
