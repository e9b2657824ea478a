package io.cmekflink.cli;

/** Entry point of the job jar. */
public final class Main {

    private Main() {}

    public static void main(String[] args) {
        System.err.println("cmek-flink: no commands yet");
        System.exit(2);
    }
}
