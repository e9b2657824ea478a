/**
 * A JUnit 5 extension for other teams' integration tests: it runs the encrypt job on a Flink mini
 * cluster against an in-JVM Kafka broker and the KMS emulator, links keys for the orgs a test
 * names, and reads back what the job wrote, decrypted. Usage is in {@code
 * docs/testing-with-cmek-flink.md}.
 *
 * <p>The package ships in its own jar, {@code io.cmekflink:cmek-flink:<version>:testkit}, and needs
 * the main jar and JUnit 5 on the test classpath. Nothing outside this package uses it.
 */
package io.cmekflink.testkit;
