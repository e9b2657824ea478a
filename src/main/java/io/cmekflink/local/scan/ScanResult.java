package io.cmekflink.local.scan;

import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The outcome of a plaintext scan: exact hit counts, and the first hits with their locations. It
 * never contains a sensitive value, so it may be printed and stored.
 *
 * <p>A hit is one occurrence of one needle (a value in one form) at one offset of one source. A
 * value that contains another searched value also hits for that value, so there can be more hits
 * than occurrences of values.
 */
public final class ScanResult {

    private final long hitCount;
    private final Map<Form, Long> hitsPerForm;
    private final List<Hit> hits;
    private final long sourceCount;
    private final long byteCount;
    private final PlaintextScanner scanner;

    ScanResult(
            long hitCount,
            long[] hitsPerForm,
            List<Hit> hits,
            long sourceCount,
            long byteCount,
            PlaintextScanner scanner) {
        this.hitCount = hitCount;
        Map<Form, Long> perForm = new EnumMap<>(Form.class);
        for (Form form : Form.values()) {
            perForm.put(form, hitsPerForm[form.ordinal()]);
        }
        this.hitsPerForm = Collections.unmodifiableMap(perForm);
        this.hits = List.copyOf(hits);
        this.sourceCount = sourceCount;
        this.byteCount = byteCount;
        this.scanner = scanner;
    }

    /** Returns the total number of hits, which is 0 when no searched value was found. */
    public long hitCount() {
        return hitCount;
    }

    /** Returns whether no searched value was found. */
    public boolean isClean() {
        return hitCount == 0;
    }

    /** Returns the hit count of every form, 0 included. */
    public Map<Form, Long> hitsPerForm() {
        return hitsPerForm;
    }

    /** Returns the hit count of one form. */
    public long hits(Form form) {
        return hitsPerForm.get(form);
    }

    /**
     * Returns the recorded hits in the order found: all of them, unless there were more than the
     * scanner's {@link PlaintextScanner.Builder#maxRecordedHits maximum}.
     */
    public List<Hit> hits() {
        return hits;
    }

    /** Returns the number of hits counted but not recorded in {@link #hits()}. */
    public long unrecordedHitCount() {
        return hitCount - hits.size();
    }

    /** Returns the number of sources (files, record keys, values and headers) scanned. */
    public long sourceCount() {
        return sourceCount;
    }

    /** Returns the number of bytes scanned over all sources. */
    public long byteCount() {
        return byteCount;
    }

    /** Returns the scanner that produced this result, for its value and needle counts. */
    public PlaintextScanner scanner() {
        return scanner;
    }

    /**
     * Returns a multi-line report: the totals, the hits per form, then one line per recorded hit
     * with its form, source, offset and value digest. It contains no sensitive value.
     */
    public String report() {
        StringBuilder out = new StringBuilder();
        out.append("plaintext scan: ")
                .append(hitCount)
                .append(hitCount == 1 ? " hit in " : " hits in ")
                .append(sourceCount)
                .append(" sources, ")
                .append(byteCount)
                .append(" bytes\n");
        out.append("  searched ")
                .append(scanner.searchedValueCount())
                .append(" values as ")
                .append(scanner.needleCount())
                .append(" needles; skipped ")
                .append(scanner.skippedValueCount())
                .append(" values shorter than ")
                .append(scanner.minLength())
                .append(" bytes\n");
        out.append("  hits per form:");
        hitsPerForm.forEach(
                (form, count) -> out.append(' ').append(form).append('=').append(count));
        out.append('\n');
        for (Hit hit : hits) {
            out.append("  hit: ").append(hit).append('\n');
        }
        if (unrecordedHitCount() > 0) {
            out.append("  ").append(unrecordedHitCount()).append(" more hits not recorded\n");
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return "ScanResult[hits=" + hitCount + ", sources=" + sourceCount + "]";
    }
}
