package io.cmekflink.local;

/** Entry point of the local jar. */
public final class LocalMain {

    private LocalMain() {}

    public static void main(String[] args) {
        System.err.println("cmek-flink-local: no commands yet");
        System.exit(2);
    }
}
