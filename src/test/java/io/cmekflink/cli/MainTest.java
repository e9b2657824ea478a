package io.cmekflink.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {

    @TempDir Path tmp;

    @Test
    void failedRunRaisesInsteadOfExiting() {
        // An exit would end this test JVM; the run command must raise instead, because Flink
        // calls main inside the JobManager when a jar is submitted through its REST API.
        String missing = tmp.resolve("missing-job.yaml").toString();
        Throwable thrown = catchThrowable(() -> Main.main(new String[] {"run", missing}));

        assertThat(thrown).isInstanceOf(IllegalStateException.class);
        assertThat(thrown.getMessage()).startsWith("cmek-flink run failed with exit code 2: ");
        assertThat(thrown.getMessage()).contains(missing);
    }
}
