package io.cmekflink.local.scan;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * One scan in progress: add sources, then take the {@link #result()}. Each source is scanned on its
 * own, so a value split across two sources is not found.
 *
 * <p>Not thread-safe. Create one per thread with {@link PlaintextScanner#newScan()}.
 */
public final class Scan {

    private static final int BUFFER_SIZE = 1 << 20;

    private final PlaintextScanner scanner;
    private final int maxRecordedHits;
    private final long[] hitsPerForm = new long[Form.values().length];
    private final List<Hit> hits = new ArrayList<>();
    private long hitCount;
    private long sourceCount;
    private long byteCount;

    Scan(PlaintextScanner scanner, int maxRecordedHits) {
        this.scanner = scanner;
        this.maxRecordedHits = maxRecordedHits;
    }

    /** Scans a whole byte array as one source. */
    public Scan add(String source, byte[] data) {
        return add(source, data, 0, data.length);
    }

    /** Scans {@code length} bytes of {@code data} from {@code offset} as one source. */
    public Scan add(String source, byte[] data, int offset, int length) {
        Objects.requireNonNull(source, "source");
        Objects.checkFromIndexSize(offset, length, data.length);
        PatternSearch search = scanner.search();
        search.feed(search.cursor(0), data, offset, length, listener(source));
        sourceCount++;
        byteCount += length;
        return this;
    }

    /** Scans a stream to its end as one source. The stream is not closed. */
    public Scan add(String source, InputStream in) throws IOException {
        Objects.requireNonNull(source, "source");
        PatternSearch search = scanner.search();
        AhoCorasick.MatchListener listener = listener(source);
        PatternSearch.Cursor cursor = search.cursor(0);
        byte[] buffer = new byte[BUFFER_SIZE];
        for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
            search.feed(cursor, buffer, 0, read, listener);
        }
        sourceCount++;
        byteCount += cursor.position();
        return this;
    }

    /**
     * Scans a regular file, or every regular file in a directory (in its subdirectories too when
     * {@code recursive}), each as a source named by its path, in path order. Inside a directory,
     * symbolic links are skipped, to files and directories alike.
     *
     * @throws java.nio.file.NoSuchFileException if {@code path} does not exist
     */
    public Scan add(Path path, boolean recursive) throws IOException {
        if (Files.isDirectory(path)) {
            for (Path file : regularFiles(path, recursive)) {
                addFile(file);
            }
        } else {
            addFile(path);
        }
        return this;
    }

    private static List<Path> regularFiles(Path directory, boolean recursive) throws IOException {
        try (Stream<Path> paths = recursive ? Files.walk(directory) : Files.list(directory)) {
            return paths.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
                    .sorted()
                    .toList();
        }
    }

    private void addFile(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            add(file.toString(), in);
        }
    }

    /** Returns the counts and hits so far. The scan may continue after this call. */
    public ScanResult result() {
        return new ScanResult(hitCount, hitsPerForm, hits, sourceCount, byteCount, scanner);
    }

    private AhoCorasick.MatchListener listener(String source) {
        return (pattern, endOffset) -> recordHit(source, pattern, endOffset);
    }

    private void recordHit(String source, int pattern, long endOffset) {
        hitCount++;
        Form form = scanner.form(pattern);
        hitsPerForm[form.ordinal()]++;
        if (hits.size() < maxRecordedHits) {
            int value = scanner.valueIndex(pattern);
            long offset = endOffset - scanner.search().patternLength(pattern);
            hits.add(
                    new Hit(
                            value,
                            scanner.valueDigest(value),
                            form,
                            scanner.alignment(pattern),
                            source,
                            offset));
        }
    }
}
