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
}
