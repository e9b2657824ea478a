package io.cmekflink.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;

/**
 * The test kit, which needs JUnit, ships only in the {@code testkit} jar: the main jar and the
 * shaded job and local jars hold none of it.
 */
class KitJarContentsIT {

    private static final String PACKAGE = "io/cmekflink/testkit/";

    private static List<String> classes(Path jar) throws Exception {
        assertThat(Files.exists(jar)).as(jar + " is built before integration tests").isTrue();
        try (JarFile file = new JarFile(jar.toFile())) {
            return file.stream()
                    .map(ZipEntry::getName)
                    .filter(name -> name.endsWith(".class"))
                    .toList();
        }
    }

    /** The jar of the main classes or, with a classifier, of that classifier, of any version. */
    private static Path versionedJar(String classifier) throws Exception {
        String suffix = classifier.isEmpty() ? ".jar" : "-" + classifier + ".jar";
        try (Stream<Path> files = Files.list(Path.of("target"))) {
            List<Path> jars =
                    files.filter(
                                    p -> {
                                        String name = p.getFileName().toString();
                                        boolean otherClassifier =
                                                classifier.isEmpty()
                                                        && name.matches(".*-(testkit|local)\\.jar");
                                        return name.matches("cmek-flink-\\d.*")
                                                && name.endsWith(suffix)
                                                && !otherClassifier;
                                    })
                            .toList();
            assertThat(jars).as("jars ending in " + suffix + " in target").hasSize(1);
            return jars.get(0);
        }
    }

    @Test
    void testkitJarHoldsOnlyTestkit() throws Exception {
        List<String> classes = classes(versionedJar("testkit"));

        assertThat(classes).contains(PACKAGE + "CmekFlinkExtension.class");
        assertThat(classes).allMatch(name -> name.startsWith(PACKAGE), "in " + PACKAGE);
    }

    @Test
    void otherJarsHoldNoTestkit() throws Exception {
        for (Path jar :
                List.of(
                        versionedJar(""),
                        Path.of("target/cmek-flink.jar"),
                        Path.of("target/cmek-flink-local.jar"))) {
            assertThat(classes(jar)).as(jar.toString()).noneMatch(name -> name.startsWith(PACKAGE));
        }
    }
}
