package io.cmekflink.config;

/** An invalid job definition: names the key, the value and the rule it breaks. */
public final class ConfigException extends RuntimeException {

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }

    static ConfigException invalid(String key, Object value, String rule) {
        return new ConfigException("invalid value '" + value + "' for " + key + ": " + rule);
    }
}
