package io.cmekflink.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Keeps the key table of docs/configuration.md equal to {@link JobOptions#ALL}. To update the table
 * after changing a key, run this test with {@code -Dcmekflink.writeDocs=true}.
 */
class ConfigurationDocTest {

    private static final Path DOC = Path.of("docs/configuration.md");
    private static final String BEGIN = "<!-- keys:begin -->";
    private static final String END = "<!-- keys:end -->";

    @Test
    void keyTableMatchesJobOptions() throws IOException {
        String doc = Files.readString(DOC);
        int begin = doc.indexOf(BEGIN);
        int end = doc.indexOf(END);
        assertThat(begin).as("marker " + BEGIN).isNotNegative();
        assertThat(end).as("marker " + END).isGreaterThan(begin);
        String expected = BEGIN + "\n" + table() + END;
        String actual = doc.substring(begin, end + END.length());
        if (Boolean.getBoolean("cmekflink.writeDocs")) {
            Files.writeString(DOC, doc.replace(actual, expected));
            return;
        }
        assertThat(actual).isEqualTo(expected);
    }

    @Test
    void everyNumberHasAUnit() {
        for (Option<?> option : JobOptions.ALL) {
            if (option.type().startsWith("integer") || option.type().equals("duration")) {
                assertThat(option.unit()).as("unit of " + option.key()).isNotBlank();
            }
        }
    }

    @Test
    void everyKeyHasAMeaning() {
        for (Option<?> option : JobOptions.ALL) {
            assertThat(option.description()).as("meaning of " + option.key()).endsWith(".");
        }
    }

    private static String table() {
        StringBuilder out = new StringBuilder();
        out.append("| key | type | unit | default | meaning |\n");
        out.append("|---|---|---|---|---|\n");
        for (Option<?> option : JobOptions.ALL) {
            out.append("| `")
                    .append(option.key())
                    .append("` | ")
                    .append(option.type())
                    .append(" | ")
                    .append(option.unit())
                    .append(" | ")
                    .append(defaultText(option))
                    .append(" | ")
                    .append(option.description().replace("|", "\\|"))
                    .append(" |\n");
        }
        return out.toString();
    }

    private static String defaultText(Option<?> option) {
        if (option.required()) {
            return "required";
        }
        if (!option.requiredFor().isEmpty()) {
            return "required for "
                    + String.join(", ", new java.util.TreeSet<>(option.requiredFor()));
        }
        Object value = option.defaultValue();
        if (value instanceof java.time.Duration d) {
            return "`" + Durations.format(d) + "`";
        }
        if (value == null || value.toString().isEmpty()) {
            return "empty";
        }
        if (value instanceof java.util.Collection<?> c && c.isEmpty()) {
            return "empty";
        }
        if (value instanceof java.util.Map<?, ?> m && m.isEmpty()) {
            return "empty";
        }
        return "`" + value + "`";
    }
}
