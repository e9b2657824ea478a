package io.cmekflink.crypto;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Associated data parsed by the layout that the {@link AssociatedData} Javadoc documents, written
 * apart from the production code so that tests check the documented layout, not the code's own view
 * of it.
 */
record ParsedAad(
        int version,
        String orgId,
        String recordFullName,
        RecordId recordId,
        byte[] schemaFingerprint,
        List<MarkedEntry> marked,
        List<BindingEntry> bindings) {

    record MarkedEntry(String path, int length) {}

    record BindingEntry(String path, byte[] value) {}

    List<String> paths() {
        return marked.stream().map(MarkedEntry::path).toList();
    }

    static ParsedAad parse(byte[] aad) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(aad))) {
            int version = in.readInt();
            String orgId = readString(in);
            String fullName = readString(in);
            String topic = readString(in);
            int partition = in.readInt();
            long offset = in.readLong();
            byte[] fingerprint = in.readNBytes(8);
            int n = in.readInt();
            List<MarkedEntry> marked = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                marked.add(new MarkedEntry(readString(in), in.readInt()));
            }
            int m = in.readInt();
            List<BindingEntry> bindings = new ArrayList<>();
            for (int i = 0; i < m; i++) {
                String path = readString(in);
                bindings.add(new BindingEntry(path, in.readNBytes(in.readInt())));
            }
            if (in.available() != 0) {
                throw new IllegalArgumentException(
                        in.available() + " bytes after the last binding");
            }
            return new ParsedAad(
                    version,
                    orgId,
                    fullName,
                    new RecordId(topic, partition, offset),
                    fingerprint,
                    marked,
                    bindings);
        } catch (IOException e) {
            throw new IllegalArgumentException("associated data is truncated", e);
        }
    }

    private static String readString(DataInputStream in) throws IOException {
        int length = in.readInt();
        return new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }
}
