package io.cmekflink.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PathBuilderTest {

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void buildsFieldsIndexesKeysAndBranches() {
        PathBuilder path = new PathBuilder();
        path.appendField(utf8("routes"));
        path.appendMapKey(utf8("k\"e\\y"), 5);
        path.appendField(utf8("tries"));
        path.appendIndex(12);
        path.appendBranch(utf8("com.example.Card"));
        path.appendField(utf8("number"));

        assertThat(path.toString())
                .isEqualTo("routes[\"k\\\"e\\\\y\"].tries[12]<com.example.Card>.number");
        assertThat(path.toRedactedString())
                .isEqualTo("routes[*].tries[12]<com.example.Card>.number");
    }

    @Test
    void truncateRemovesLaterSegments() {
        PathBuilder path = new PathBuilder();
        path.appendField(utf8("request"));
        int mark = path.length();
        path.appendField(utf8("headers"));
        path.truncate(mark);
        path.appendIndex(0);

        assertThat(path.toString()).isEqualTo("request[0]");
    }

    @Test
    void redactsKeysContainingBrackets() {
        PathBuilder path = new PathBuilder();
        path.appendField(utf8("m"));
        path.appendMapKey(utf8("a[\"b\"]c"), 7);
        path.appendIndex(3);

        assertThat(path.toRedactedString()).isEqualTo("m[*][3]");
    }

    @Test
    void growsForLongKeys() {
        PathBuilder path = new PathBuilder();
        path.appendField(utf8("m"));
        path.appendMapKey(utf8("\"".repeat(100)), 100);

        assertThat(path.length()).isEqualTo(1 + 2 + 200 + 2);
    }
}
