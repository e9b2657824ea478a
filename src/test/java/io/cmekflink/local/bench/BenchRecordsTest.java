package io.cmekflink.local.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

class BenchRecordsTest {

    @Test
    void schemaMarksFiveFields() {
        long marked =
                BenchRecords.SCHEMA.getFields().stream().filter(BenchRecordsTest::isMarked).count();
        assertThat(marked).isEqualTo(BenchRecords.MARKED_FIELDS);
    }

    @Test
    void recordsAreAboutOneKilobyte() {
        BenchRecords records = new BenchRecords(1);
        long total = 0;
        long marked = 0;
        int n = 1000;
        for (int i = 0; i < n; i++) {
            var record = records.next(BenchSetup.orgId(i % 100));
            total += BenchRecords.encode(record).length;
            for (Schema.Field f : BenchRecords.SCHEMA.getFields()) {
                if (isMarked(f)) {
                    marked += record.get(f.name()).toString().length();
                }
            }
        }
        assertThat(total / n).isBetween(950L, 1100L);
        assertThat(marked / n).isBetween(650L, 850L);
    }

    private static boolean isMarked(Schema.Field field) {
        return Boolean.TRUE.equals(field.getObjectProp("sensitive"));
    }

    @Test
    void sameSeedSameBytes() {
        byte[] a = BenchRecords.encode(new BenchRecords(5).next("org-1"));
        byte[] b = BenchRecords.encode(new BenchRecords(5).next("org-1"));
        assertThat(a).isEqualTo(b);
    }
}
