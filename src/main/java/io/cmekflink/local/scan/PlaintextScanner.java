package io.cmekflink.local.scan;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Searches bytes for sensitive values in every {@link Form} in which the job, a logger or a
 * serializer could have written them, to prove that none leaked: into the encrypted and dead-letter
 * topics, log files or checkpoint directories.
 *
 * <p>Each value becomes a set of needles (its distinct encodings, see {@link Form}), and one
 * Aho-Corasick automaton over bytes finds all needles of all values in a single pass, so the cost
 * grows with the input, not with the number of values. The automaton contains only the first 32
 * bytes of each needle and compares the rest on a match, so long values cost little memory. Values
 * shorter than {@link Builder#minLength minLength} bytes are skipped and counted, because short
 * byte strings occur by chance in ciphertext and binary data.
 *
 * <p>A hit is counted per occurrence of a distinct needle. Needles are deduplicated over all
 * values, so a value added twice is searched once and its hits go to its first index.
 *
 * <p>Instances are immutable and thread-safe. Neither the scanner nor its results print a value:
 * hits name it by index and a SHA-256 prefix, which is meant for synthetic test input, since a hash
 * prefix lets anyone confirm a guess of a low-entropy value.
 */
public final class PlaintextScanner {

    /** Minimum value length in bytes (UTF-8 for strings) when none is configured. */
    public static final int DEFAULT_MIN_LENGTH = 6;

    /** Number of hits a result records with their locations when none is configured. */
    public static final int DEFAULT_MAX_RECORDED_HITS = 1000;

    private static final int DIGEST_HEX_DIGITS = 12;
    private static final Form[] FORMS = Form.values();

    private final int minLength;
    private final int maxRecordedHits;
    private final int valueCount;
    private final int skippedValueCount;
    private final String[] valueDigests;
    private final int[] needleValues;
    private final byte[] needleForms;
    private final byte[] needleAlignments;
    private final PatternSearch search;

    private PlaintextScanner(Builder builder) {
        this.minLength = builder.minLength;
        this.maxRecordedHits = builder.maxRecordedHits;
        this.valueCount = builder.values.size();
        this.valueDigests = new String[valueCount];
        Values searched = new Values();
        int skipped = 0;
        for (int i = 0; i < valueCount; i++) {
            Value value = builder.values.get(i);
            if (value.raw().length < minLength) {
                skipped++;
                continue;
            }
            valueDigests[i] = digest(value.raw());
            searched.add(i, Needles.of(value.raw(), value.text()));
        }
        this.skippedValueCount = skipped;
        this.search = PatternSearch.build(searched.patterns);
        this.needleValues = searched.valueIndexes.stream().mapToInt(Integer::intValue).toArray();
        this.needleForms = searched.forms.toByteArray();
        this.needleAlignments = searched.alignments.toByteArray();
    }

    /** Returns a builder with the default minimum length and hit record limit. */
    public static Builder builder() {
        return new Builder();
    }

    /** Returns a scanner for string values with the defaults. */
    public static PlaintextScanner of(Collection<String> values) {
        return builder().addValues(values).build();
    }

    /** Starts a scan to which sources can be added one by one. */
    public Scan newScan() {
        return new Scan(this, maxRecordedHits);
    }

    /** Scans one byte array, named {@code bytes} in hits. */
    public ScanResult scan(byte[] haystack) {
        return newScan().add("bytes", haystack).result();
    }

    /** Scans a stream to its end, named {@code stream} in hits. The stream is not closed. */
    public ScanResult scan(InputStream in) throws IOException {
        return newScan().add("stream", in).result();
    }

    /** Scans a file, or the regular files of a directory; see {@link Scan#add(Path, boolean)}. */
    public ScanResult scan(Path path, boolean recursive) throws IOException {
        return newScan().add(path, recursive).result();
    }

    /**
     * Plants values in every form inside random bytes, scans them and checks that each planted
     * needle is found at the offset where it was planted, so that a clean scan afterwards means
     * something. It first checks a built-in probe value on a scanner built with the same settings.
     * The probe mixes ASCII, a quote, a backslash, a control character, é, CJK and an emoji, so
     * that all its forms differ. Then it checks the one of this scanner's own values that has the
     * most needles, in all its forms, on this scanner. No value is printed.
     *
     * @return the number of planted needles found
     * @throws IllegalStateException if a planted needle is not found where it was planted, or the
     *     probe value is found anywhere else
     */
    public int selfTest() {
        return SelfTest.run(this);
    }

    /**
     * Returns the first 12 hex digits of the SHA-256 of a value's bytes, as {@link
     * Hit#valueDigest()} shows them.
     */
    public static String digest(byte[] value) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(value);
            return HexFormat.of().formatHex(hash).substring(0, DIGEST_HEX_DIGITS);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform provides SHA-256", e);
        }
    }

    /** Returns {@link #digest(byte[])} of a string's UTF-8 bytes. */
    public static String digest(String value) {
        return digest(value.getBytes(StandardCharsets.UTF_8));
    }

    /** Returns the number of values added, skipped ones included. */
    public int valueCount() {
        return valueCount;
    }

    /** Returns the number of values searched for. */
    public int searchedValueCount() {
        return valueCount - skippedValueCount;
    }

    /** Returns the number of values skipped as shorter than {@link #minLength()}. */
    public int skippedValueCount() {
        return skippedValueCount;
    }

    /** Returns the number of distinct needles searched for. */
    public int needleCount() {
        return search.patternCount();
    }

    /** Returns the minimum value length in bytes; shorter values are skipped. */
    public int minLength() {
        return minLength;
    }

    PatternSearch search() {
        return search;
    }

    Form form(int pattern) {
        return FORMS[needleForms[pattern]];
    }

    int alignment(int pattern) {
        return needleAlignments[pattern];
    }

    int valueIndex(int pattern) {
        return needleValues[pattern];
    }

    String valueDigest(int valueIndex) {
        return valueDigests[valueIndex];
    }

    /**
     * Returns the searched value with the most distinct needles among those whose {@link Form#RAW}
     * needle is their own, or -1 when there is none. The RAW needle belongs to an earlier value
     * when the value was added twice or equals another value's encoding.
     */
    int valueWithMostNeedles() {
        boolean[] ownsRaw = new boolean[valueCount];
        int[] needles = new int[valueCount];
        for (int pattern = 0; pattern < needleCount(); pattern++) {
            needles[valueIndex(pattern)]++;
            if (form(pattern) == Form.RAW) {
                ownsRaw[valueIndex(pattern)] = true;
            }
        }
        int best = -1;
        for (int value = 0; value < valueCount; value++) {
            if (ownsRaw[value] && (best < 0 || needles[value] > needles[best])) {
                best = value;
            }
        }
        return best;
    }

    /** Returns the needles of one value, for the self test. */
    List<Needles.Needle> needlesOf(int valueIndex) {
        List<Needles.Needle> needles = new ArrayList<>();
        for (int pattern = 0; pattern < needleCount(); pattern++) {
            if (valueIndex(pattern) == valueIndex) {
                needles.add(
                        new Needles.Needle(
                                form(pattern), alignment(pattern), search.pattern(pattern)));
            }
        }
        return needles;
    }

    /**
     * The distinct needles and, for each, the value and form it was first derived from, collected
     * while the scanner is built.
     */
    private static final class Values {
        final List<byte[]> patterns = new ArrayList<>();
        final List<Integer> valueIndexes = new ArrayList<>();
        final ByteArrayOutputStream forms = new ByteArrayOutputStream();
        final ByteArrayOutputStream alignments = new ByteArrayOutputStream();
        private final Set<ByteBuffer> seen = new HashSet<>();

        void add(int valueIndex, List<Needles.Needle> needles) {
            for (Needles.Needle needle : needles) {
                if (seen.add(ByteBuffer.wrap(needle.bytes()))) {
                    patterns.add(needle.bytes());
                    valueIndexes.add(valueIndex);
                    forms.write(needle.form().ordinal());
                    alignments.write(needle.alignment());
                }
            }
        }
    }

    /** A value as added: its bytes, and its text when it is a string value. */
    private record Value(byte[] raw, String text) {}

    /** Collects values and settings. Not thread-safe. */
    public static final class Builder {
        private final List<Value> values = new ArrayList<>();
        private int minLength = DEFAULT_MIN_LENGTH;
        private int maxRecordedHits = DEFAULT_MAX_RECORDED_HITS;

        private Builder() {}

        /** Adds a string value, searched in all forms; its index is the number of values before. */
        public Builder addValue(String value) {
            Objects.requireNonNull(value, () -> "value " + values.size() + " is null");
            values.add(new Value(value.getBytes(StandardCharsets.UTF_8), value));
            return this;
        }

        /** Adds string values in iteration order. */
        public Builder addValues(Collection<String> values) {
            values.forEach(this::addValue);
            return this;
        }

        /**
         * Adds a byte value such as a plaintext DEK, searched in the raw, base64 and hex forms. The
         * array is copied.
         */
        public Builder addBytes(byte[] value) {
            Objects.requireNonNull(value, () -> "value " + values.size() + " is null");
            values.add(new Value(value.clone(), null));
            return this;
        }

        /**
         * Sets the minimum value length in bytes, 1 or more; shorter values are skipped and
         * counted. A random needle of {@code n} bytes matches a given offset of random data with
         * probability {@code 2^(-8n)}, but text such as logs matches far more often.
         */
        public Builder minLength(int minLength) {
            if (minLength < 1) {
                throw new IllegalArgumentException("minLength must be 1 or more, got " + minLength);
            }
            this.minLength = minLength;
            return this;
        }

        /**
         * Sets how many hits a result records with their locations, 0 or more. Hits beyond it are
         * still counted.
         */
        public Builder maxRecordedHits(int maxRecordedHits) {
            if (maxRecordedHits < 0) {
                throw new IllegalArgumentException(
                        "maxRecordedHits must be 0 or more, got " + maxRecordedHits);
            }
            this.maxRecordedHits = maxRecordedHits;
            return this;
        }

        /** Derives the needles of all values and builds the automaton. */
        public PlaintextScanner build() {
            return new PlaintextScanner(this);
        }
    }
}
