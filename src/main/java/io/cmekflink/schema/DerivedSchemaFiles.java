package io.cmekflink.schema;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Stores derived schemas as files, one per exact fingerprint, so that every version a record may
 * name stays available.
 *
 * <p>File name: {@code <full name>-<exact fingerprint>.avsc}, the fingerprint as 16 lowercase hex
 * digits of its 8 stored bytes (little-endian), for example {@code
 * com.example.RequestLog-5f0c3a9d11e2b874.avsc}. Content: the derived schema's JSON text on one
 * line, exactly the characters the fingerprint covers, and a final newline. Pretty-printing a file
 * changes its fingerprint, so reading checks that the name and the content agree.
 */
public final class DerivedSchemaFiles {

    public static final String EXTENSION = ".avsc";

    private DerivedSchemaFiles() {}

    /**
     * Writes {@code schema} into {@code directory}, creating the directory when needed. Writing a
     * schema whose file already exists with the same content does nothing.
     *
     * @return the file
     * @throws IOException when writing fails, or the file exists with other content
     */
    public static Path write(Path directory, DerivedSchema schema) throws IOException {
        Files.createDirectories(directory);
        Path file = directory.resolve(schema.fileName());
        byte[] content = (schema.json() + "\n").getBytes(StandardCharsets.UTF_8);
        if (Files.exists(file)) {
            String existing = Files.readString(file, StandardCharsets.UTF_8);
            if (existing.strip().equals(schema.json())) {
                return file;
            }
            throw new IOException(
                    "derived schema file "
                            + file
                            + " exists with other content; derived schema files must not be"
                            + " edited: restore it from version control");
        }
        // A name of our own instead of createTempFile, whose owner-only permissions would carry
        // over to the final file and hide it from readers running as other users.
        Path temporary =
                directory.resolve(
                        "." + schema.fileName() + "." + ProcessHandle.current().pid() + ".tmp");
        try {
            Files.write(
                    temporary, content, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            moveIntoPlace(temporary, file);
        } finally {
            Files.deleteIfExists(temporary);
        }
        return file;
    }

    /**
     * Reads one derived schema file and checks that its name matches its content.
     *
     * @throws IOException when the file cannot be read, is no derived schema, or is misnamed
     */
    public static DerivedSchema read(Path file) throws IOException {
        String json = Files.readString(file, StandardCharsets.UTF_8).strip();
        DerivedSchema schema;
        try {
            schema = DerivedSchema.fromJson(json);
        } catch (IllegalArgumentException e) {
            throw new IOException(
                    "derived schema file " + file + " is invalid: " + e.getMessage(), e);
        }
        String name = file.getFileName().toString();
        if (!name.equals(schema.fileName())) {
            throw new IOException(
                    "derived schema file "
                            + file
                            + " should be named "
                            + schema.fileName()
                            + " for its content; the file was renamed or edited");
        }
        return schema;
    }

    /**
     * Reads every {@code *.avsc} file of {@code directory}, in file name order, into a new
     * registry.
     */
    public static DerivedSchemaRegistry loadDirectory(Path directory) throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory, "*" + EXTENSION)) {
            stream.forEach(files::add);
        }
        files.sort(null);
        DerivedSchemaRegistry registry = new DerivedSchemaRegistry();
        for (Path file : files) {
            registry.register(read(file));
        }
        return registry;
    }

    private static void moveIntoPlace(Path temporary, Path file) throws IOException {
        try {
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temporary, file);
        }
    }
}
