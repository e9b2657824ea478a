package io.cmekflink.datakey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DataKeyReferenceTest {

    private static final byte[] KEY = {
        0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E,
        0x1F
    };

    @Test
    void layoutIsExact() {
        DataKeyReference reference = DataKeyReference.of(258, 0x0102030405L, KEY);

        assertThat(reference.toBytes())
                .containsExactly(
                        0x01, // version
                        0x01, 0x02, // partition 258
                        0x00, 0x01, 0x02, 0x03, 0x04, 0x05, // offset 0x0102030405
                        0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16); // first 7 bytes of the key
        assertThat(DataKeyReference.BYTES).isEqualTo(16);
    }

    @Test
    void maximumValuesUseAllBits() {
        DataKeyReference reference = DataKeyReference.of(65535, (1L << 48) - 1, new byte[7]);

        assertThat(reference.toBytes())
                .containsExactly(
                        0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0);
        assertThat(DataKeyReference.parse(reference.toBytes()).partition()).isEqualTo(65535);
        assertThat(DataKeyReference.parse(reference.toBytes()).offset()).isEqualTo((1L << 48) - 1);
    }

    @Test
    void roundTrip() {
        DataKeyReference reference = DataKeyReference.of(3, 1234, KEY);

        DataKeyReference parsed = DataKeyReference.parse(reference.toBytes());

        assertThat(parsed).isEqualTo(reference);
        assertThat(parsed.hashCode()).isEqualTo(reference.hashCode());
        assertThat(parsed.partition()).isEqualTo(3);
        assertThat(parsed.offset()).isEqualTo(1234);
        assertThat(parsed.matchesKey(KEY)).isTrue();
    }

    @Test
    void parsesWithinLargerArray() {
        byte[] reference = DataKeyReference.of(7, 99, KEY).toBytes();
        byte[] envelope = new byte[4 + 16 + 3];
        System.arraycopy(reference, 0, envelope, 4, 16);

        DataKeyReference parsed = DataKeyReference.parse(envelope, 4, 16);

        assertThat(parsed).isEqualTo(DataKeyReference.of(7, 99, KEY));
    }

    @Test
    void partitionOutOfRange() {
        assertThatThrownBy(() -> DataKeyReference.of(65536, 0, KEY))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "partition 65536 is out of range for a data-key reference: expected 0 to"
                                + " 65535");
        assertThatThrownBy(() -> DataKeyReference.of(-1, 0, KEY))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "partition -1 is out of range for a data-key reference: expected 0 to"
                                + " 65535");
    }

    @Test
    void offsetOutOfRange() {
        assertThatThrownBy(() -> DataKeyReference.of(0, 1L << 48, KEY))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "offset 281474976710656 is out of range for a data-key reference: expected"
                                + " 0 to 281474976710655 (2^48 - 1)");
        assertThatThrownBy(() -> DataKeyReference.of(0, -1, KEY))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "offset -1 is out of range for a data-key reference: expected 0 to"
                                + " 281474976710655 (2^48 - 1)");
    }

    @Test
    void shortKeyRejected() {
        assertThatThrownBy(() -> DataKeyReference.of(0, 0, new byte[6]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "entry key of 6 bytes is too short for a data-key reference: expected at"
                                + " least 7 bytes");
    }

    @Test
    void parseRejectsWrongLength() {
        byte[] tooShort = new byte[15];
        tooShort[0] = 1;

        assertThatThrownBy(() -> DataKeyReference.parse(tooShort))
                .isInstanceOfSatisfying(
                        DataKeyException.class, e -> assertThat(e.retriable()).isFalse())
                .hasMessage(
                        "data-key reference has 15 bytes, expected 16: the record was not written"
                                + " in the data-key reference layout");
        assertThatThrownBy(() -> DataKeyReference.parse(new byte[17]))
                .isInstanceOf(DataKeyException.class)
                .hasMessageStartingWith("data-key reference has 17 bytes, expected 16");
    }

    @Test
    void parseRejectsUnknownVersion() {
        byte[] bytes = DataKeyReference.of(1, 2, KEY).toBytes();
        bytes[0] = 2;

        assertThatThrownBy(() -> DataKeyReference.parse(bytes))
                .isInstanceOfSatisfying(
                        DataKeyException.class, e -> assertThat(e.retriable()).isFalse())
                .hasMessage(
                        "data-key reference has version 2, expected 1: the record was written by a"
                                + " newer or unknown writer");
    }

    @Test
    void parseRejectsRangeOutsideArray() {
        assertThatThrownBy(() -> DataKeyReference.parse(new byte[20], 8, 16))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void keyMatchUsesSevenBytes() {
        DataKeyReference reference = DataKeyReference.of(0, 0, KEY);
        byte[] sameStart = KEY.clone();
        sameStart[7] ^= 1;
        byte[] otherStart = KEY.clone();
        otherStart[6] ^= 1;

        assertThat(reference.matchesKey(sameStart)).isTrue();
        assertThat(reference.matchesKey(otherStart)).isFalse();
        assertThat(reference.matchesKey(new byte[] {0x10, 0x11})).isFalse();
        assertThat(reference.matchesKey(null)).isFalse();
    }

    @Test
    void equalityCoversCheckBytes() {
        byte[] otherKey = KEY.clone();
        otherKey[0] = 0;

        assertThat(DataKeyReference.of(1, 2, KEY))
                .isNotEqualTo(DataKeyReference.of(1, 2, otherKey));
        assertThat(DataKeyReference.of(1, 2, KEY)).isNotEqualTo(DataKeyReference.of(1, 3, KEY));
        assertThat(DataKeyReference.of(1, 2, KEY)).isNotEqualTo(DataKeyReference.of(2, 2, KEY));
    }

    @Test
    void toBytesReturnsCopy() {
        DataKeyReference reference = DataKeyReference.of(1, 2, KEY);

        reference.toBytes()[9] = 0;

        assertThat(reference.toBytes()[9]).isEqualTo((byte) 0x10);
    }

    @Test
    void toStringOmitsCheckBytes() {
        assertThat(DataKeyReference.of(3, 1234, KEY).toString())
                .isEqualTo("data-key reference partition 3 offset 1234");
    }
}
