package io.cmekflink.testing;

import java.nio.file.Path;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilder;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilderFactory;
import org.apache.logging.log4j.core.config.builder.impl.BuiltConfiguration;

/**
 * Sends everything the test JVM logs to two files while it is active: one at DEBUG and one at INFO,
 * so that a test can scan what an operator's log files would hold at either level. The console
 * keeps WARN and above. The broker's own loggers stay at INFO: the broker is test infrastructure,
 * and at DEBUG it writes tens of megabytes about its log segments.
 */
public final class LogCapture implements AutoCloseable {

    private static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level [%t] %c - %msg%n%throwable";
    private static final String[] BROKER_LOGGERS = {
        "kafka",
        "state.change.logger",
        "org.apache.kafka.server",
        "org.apache.kafka.controller",
        "org.apache.kafka.raft",
        "org.apache.kafka.storage",
        "org.apache.kafka.metadata",
        "org.apache.kafka.image",
        "org.apache.kafka.coordinator",
        "org.apache.kafka.security",
        "org.apache.kafka.network",
    };

    private final Path debugFile;
    private final Path infoFile;

    private LogCapture(Path debugFile, Path infoFile) {
        this.debugFile = debugFile;
        this.infoFile = infoFile;
    }

    /** Starts writing the JVM's log events to {@code debug.log} and {@code info.log} in dir. */
    public static LogCapture start(Path dir) {
        Path debug = dir.resolve("debug.log");
        Path info = dir.resolve("info.log");
        ConfigurationBuilder<BuiltConfiguration> b =
                ConfigurationBuilderFactory.newConfigurationBuilder();
        b.setStatusLevel(Level.WARN);
        b.setConfigurationName("log-capture");
        b.add(
                b.newAppender("console", "Console")
                        .addAttribute("target", "SYSTEM_ERR")
                        .add(b.newLayout("PatternLayout").addAttribute("pattern", PATTERN)));
        b.add(
                b.newAppender("debug", "File")
                        .addAttribute("fileName", debug.toString())
                        .add(b.newLayout("PatternLayout").addAttribute("pattern", PATTERN)));
        b.add(
                b.newAppender("info", "File")
                        .addAttribute("fileName", info.toString())
                        .add(b.newLayout("PatternLayout").addAttribute("pattern", PATTERN)));
        b.add(
                b.newRootLogger(Level.DEBUG)
                        .add(b.newAppenderRef("console").addAttribute("level", Level.WARN))
                        .add(b.newAppenderRef("debug").addAttribute("level", Level.DEBUG))
                        .add(b.newAppenderRef("info").addAttribute("level", Level.INFO)));
        for (String name : BROKER_LOGGERS) {
            b.add(b.newLogger(name, Level.INFO));
        }
        Configurator.reconfigure(b.build());
        return new LogCapture(debug, info);
    }

    public Path debugFile() {
        return debugFile;
    }

    public Path infoFile() {
        return infoFile;
    }

    /** True when the DEBUG level is on for the named logger, which proves the capture is active. */
    public static boolean debugEnabled(String logger) {
        Configuration config = LoggerContext.getContext(false).getConfiguration();
        return config.getLoggerConfig(logger).getLevel().isLessSpecificThan(Level.DEBUG);
    }

    /** Flushes and closes both files and restores the test JVM's logging configuration. */
    @Override
    public void close() {
        Configurator.reconfigure();
    }
}
