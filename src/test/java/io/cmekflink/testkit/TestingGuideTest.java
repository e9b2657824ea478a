package io.cmekflink.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The testing guide shows the example test that this build runs, unchanged. */
class TestingGuideTest {

    private static final Path GUIDE = Path.of("docs/testing-with-cmek-flink.md");
    private static final Path EXAMPLE =
            Path.of("src/test/java/io/cmekflink/testkit/ExampleServiceIT.java");

    @Test
    void guideEmbedsExampleUnchanged() throws Exception {
        String guide = Files.readString(GUIDE);
        int start = guide.indexOf("```java\n");
        assertThat(start).as("a java block in " + GUIDE).isNotNegative();
        int codeStart = start + "```java\n".length();
        int end = guide.indexOf("```\n", codeStart);
        assertThat(end).as("the end of the java block in " + GUIDE).isPositive();

        assertThat(guide.substring(codeStart, end)).isEqualTo(Files.readString(EXAMPLE));
    }

    @Test
    void guideHasOneJavaBlock() throws Exception {
        String guide = Files.readString(GUIDE);

        assertThat(guide.split("```java\n", -1)).hasSize(2);
    }
}
