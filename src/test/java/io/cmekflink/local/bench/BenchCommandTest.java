package io.cmekflink.local.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cmekflink.cli.UserException;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class BenchCommandTest {

    @Test
    void compressionDefaultsToLz4() {
        BenchCommand command = new BenchCommand();
        new CommandLine(command).parseArgs();

        assertThat(command.compression).isEqualTo("lz4");
    }

    @Test
    void unknownCompressionRejected() {
        BenchCommand command = new BenchCommand();
        new CommandLine(command).parseArgs("--compression", "brotli");

        assertThatThrownBy(command::call)
                .isInstanceOf(UserException.class)
                .hasMessage(
                        "--compression must be one of none, gzip, snappy, lz4, zstd, got brotli");
    }

    @Test
    void recordsDefaultPerBenchmark() {
        BenchCommand comparison = new BenchCommand();
        new CommandLine(comparison).parseArgs();
        BenchCommand scaling = new BenchCommand();
        new CommandLine(scaling).parseArgs("--scaling");
        BenchCommand skew = new BenchCommand();
        new CommandLine(skew).parseArgs("--skew");
        BenchCommand chosen = new BenchCommand();
        new CommandLine(chosen).parseArgs("--scaling", "--records", "5000");

        assertThat(comparison.records()).isEqualTo(300_000);
        assertThat(scaling.records()).isEqualTo(100_000);
        assertThat(skew.records()).isEqualTo(100_000);
        assertThat(chosen.records()).isEqualTo(5_000);
    }

    @Test
    void tooFewRecordsRejected() {
        BenchCommand command = new BenchCommand();
        new CommandLine(command).parseArgs("--records", "99");

        assertThatThrownBy(command::call)
                .isInstanceOf(UserException.class)
                .hasMessage("--records must be at least 100, got 99");
    }

    @Test
    void comparisonWarmsUpTwiceUnlessTold() {
        BenchCommand byDefault = new BenchCommand();
        new CommandLine(byDefault).parseArgs();
        BenchCommand explicit = new BenchCommand();
        new CommandLine(explicit).parseArgs("--warm-up", "4");

        assertThat(byDefault.warmUpRounds()).isEqualTo(2);
        assertThat(explicit.warmUpRounds()).isEqualTo(4);
    }

    @Test
    void noWarmUpRejected() {
        BenchCommand command = new BenchCommand();
        new CommandLine(command).parseArgs("--warm-up", "0");

        assertThatThrownBy(command::call)
                .isInstanceOf(UserException.class)
                .hasMessage("--warm-up must be at least 1, got 0");
    }

    @Test
    void warmUpRejectedForScaling() {
        BenchCommand command = new BenchCommand();
        new CommandLine(command).parseArgs("--scaling", "--warm-up", "3");

        assertThatThrownBy(command::call)
                .isInstanceOf(UserException.class)
                .hasMessage(
                        "--warm-up sets the comparison's warm-up rounds; --scaling and --skew warm"
                                + " up once per parallelism, so drop --warm-up");
    }

    @Test
    void heapTooSmallForValuesRejected() {
        long free =
                Runtime.getRuntime().maxMemory()
                        - (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory());

        assertThatThrownBy(() -> Bench.requireHeapFor(free, 1000))
                .isInstanceOf(UserException.class)
                .hasMessageStartingWith(
                        "the encrypted-bytes and reference-bytes pass-throughs keep all 1000"
                                + " encrypted values in memory twice, about ")
                .hasMessageContaining("run java with -Xmx");
        Bench.requireHeapFor(1_400_000, 1000);
    }
}
