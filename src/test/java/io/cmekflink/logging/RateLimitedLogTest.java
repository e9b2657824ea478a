package io.cmekflink.logging;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class RateLimitedLogTest {

    private static final String LOGGER = "io.cmekflink.logging.RateLimitedLogTest.target";
    private static final long SECOND = 1_000_000_000L;

    private final List<String> lines = new ArrayList<>();
    private final AtomicLong now = new AtomicLong(100 * SECOND);
    private AbstractAppender appender;

    @BeforeEach
    void attach() {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        Configuration config = context.getConfiguration();
        appender =
                new AbstractAppender("lines", null, null, true, Property.EMPTY_ARRAY) {
                    @Override
                    public void append(LogEvent event) {
                        lines.add(event.getMessage().getFormattedMessage());
                    }
                };
        appender.start();
        LoggerConfig logger = new LoggerConfig(LOGGER, Level.WARN, false);
        logger.addAppender(appender, Level.WARN, null);
        config.addLogger(LOGGER, logger);
        context.updateLoggers();
    }

    @AfterEach
    void detach() {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        context.getConfiguration().removeLogger(LOGGER);
        context.updateLoggers();
        appender.stop();
    }

    @Test
    void repeatsWithinIntervalAreCounted() {
        RateLimitedLog log = new RateLimitedLog(LoggerFactory.getLogger(LOGGER), 10_000, now::get);
        for (int i = 0; i < 5; i++) {
            log.warn("retry", "call {} failed", i);
        }
        log.warn("other", "other {}", 1);
        now.addAndGet(10 * SECOND);
        log.warn("retry", "call {} failed", 5);

        assertThat(lines)
                .containsExactly(
                        "call 0 failed", "other 1", "call 5 failed (4 similar lines left out)");
    }

    @Test
    void lineJustBeforeIntervalIsLeftOut() {
        RateLimitedLog log = new RateLimitedLog(LoggerFactory.getLogger(LOGGER), 10_000, now::get);
        log.warn("retry", "first");
        now.addAndGet(10 * SECOND - 1);
        log.warn("retry", "second");
        now.addAndGet(1);
        log.warn("retry", "third");

        assertThat(lines).containsExactly("first", "third (1 similar lines left out)");
    }
}
