package io.cmekflink.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cmekflink.schema.BoundedBinaryDecoder.InvalidEncodingException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.apache.avro.util.Utf8;
import org.junit.jupiter.api.Test;

class BoundedBinaryDecoderTest {

    /** Zig-zag varint of 2^30: a 1 GiB length in 5 bytes. */
    private static final int[] ONE_GIB = {0x80, 0x80, 0x80, 0x80, 0x08};

    /** Zig-zag varint of {@link Long#MIN_VALUE}. */
    private static final int[] LONG_MIN = {
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01
    };

    private static byte[] bytes(int... values) {
        byte[] bytes = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            bytes[i] = (byte) values[i];
        }
        return bytes;
    }

    private static BoundedBinaryDecoder decoder(int... values) {
        byte[] bytes = bytes(values);
        return new BoundedBinaryDecoder().reset(bytes, 0, bytes.length);
    }

    private static int[] concat(int[] first, int... second) {
        int[] all = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, all, first.length, second.length);
        return all;
    }

    private static byte[] encodeInt(int value) throws IOException {
        ByteArrayEncoder out = new ByteArrayEncoder(8);
        out.writeInt(value);
        return out.toByteArray();
    }

    private static byte[] encodeLong(long value) throws IOException {
        ByteArrayEncoder out = new ByteArrayEncoder(16);
        out.writeLong(value);
        return out.toByteArray();
    }

    @Test
    void resetPointsAtRange() throws Exception {
        byte[] bytes = bytes(0x7F, 0x7F, 0x02, 0x04, 0x7F);
        BoundedBinaryDecoder decoder = new BoundedBinaryDecoder();

        assertThat(decoder.reset(bytes, 2, 2)).isSameAs(decoder);
        assertThat(decoder.position()).isZero();
        assertThat(decoder.remaining()).isEqualTo(2);
        assertThat(decoder.readInt()).isEqualTo(1);
        assertThat(decoder.position()).isEqualTo(1);
        assertThat(decoder.remaining()).isEqualTo(1);
        assertThat(decoder.isEnd()).isFalse();
        assertThat(decoder.readInt()).isEqualTo(2);
        assertThat(decoder.position()).isEqualTo(2);
        assertThat(decoder.isEnd()).isTrue();
    }

    @Test
    void resetRejectsRangeOutsideArray() {
        BoundedBinaryDecoder decoder = new BoundedBinaryDecoder();
        byte[] bytes = new byte[4];

        assertThatThrownBy(() -> decoder.reset(bytes, 3, 2))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> decoder.reset(bytes, -1, 2))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> decoder.reset(bytes, 0, -1))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void messagesCountBytesFromRangeStart() {
        byte[] bytes = bytes(0x7F, 0x7F, 0x7F, 0x06, 'a');
        BoundedBinaryDecoder decoder = new BoundedBinaryDecoder().reset(bytes, 3, 2);

        assertThatThrownBy(decoder::readString)
                .isExactlyInstanceOf(InvalidEncodingException.class)
                .hasMessage(
                        "string at byte 0 declares a length beyond the end of the input, where only"
                                + " 1 byte remains");
    }

    @Test
    void resetAfterFailureStartsOver() throws Exception {
        BoundedBinaryDecoder decoder = decoder(0x80);
        assertThatThrownBy(decoder::readLong).isExactlyInstanceOf(InvalidEncodingException.class);
        byte[] next = bytes(0x04);

        decoder.reset(next, 0, 1);

        assertThat(decoder.position()).isZero();
        assertThat(decoder.readLong()).isEqualTo(2L);
    }

    @Test
    void clearDropsInput() {
        BoundedBinaryDecoder decoder = decoder(0x02, 0x04);

        decoder.clear();

        assertThat(decoder.position()).isZero();
        assertThat(decoder.remaining()).isZero();
        assertThat(decoder.isEnd()).isTrue();
        assertThatThrownBy(decoder::readInt)
                .isExactlyInstanceOf(InvalidEncodingException.class)
                .hasMessage(
                        "truncated input: int varint at byte 0 is incomplete because the input"
                                + " ends at byte 0");
    }

    @Test
    void booleanReadsZeroAndOne() throws Exception {
        BoundedBinaryDecoder decoder = decoder(0x00, 0x01);

        assertThat(decoder.readBoolean()).isFalse();
        assertThat(decoder.readBoolean()).isTrue();
        assertThat(decoder.isEnd()).isTrue();
    }

    @Test
    void booleanRejectsOtherBytes() {
        for (int value : new int[] {0x02, 0x80, 0xFF}) {
            BoundedBinaryDecoder decoder = decoder(0x00, value);

            assertThatThrownBy(
                            () -> {
                                decoder.readBoolean();
                                decoder.readBoolean();
                            })
                    .as("byte 0x%02X", value)
                    .isExactlyInstanceOf(InvalidEncodingException.class)
                    .hasMessage("boolean at byte 1 is neither 0 nor 1");
            assertThat(decoder.position()).as("byte 0x%02X", value).isEqualTo(1);
        }
    }

    @Test
    void booleanRejectsEmptyInput() {
        assertThatThrownBy(() -> decoder().readBoolean())
                .isExactlyInstanceOf(InvalidEncodingException.class)
                .hasMessage(
                        "truncated input: boolean at byte 0 needs 1 byte but only 0 bytes remain");
    }

    @Test
    void intReadsFullRange() throws Exception {
        for (int value : new int[] {0, -1, 1, 63, -64, 64, Integer.MAX_VALUE, Integer.MIN_VALUE}) {
            byte[] bytes = encodeInt(value);
            BoundedBinaryDecoder decoder = new BoundedBinaryDecoder().reset(bytes, 0, bytes.length);

            assertThat(decoder.readInt()).as("int %d", value).isEqualTo(value);
            assertThat(decoder.isEnd()).as("int %d", value).isTrue();
        }
        assertThat(encodeInt(Integer.MIN_VALUE)).hasSize(5);
    }

    @Test
    void longReadsFullRange() throws Exception {
        for (long value :
                new long[] {0, -1, 1, Integer.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE}) {
            byte[] bytes = encodeLong(value);
            BoundedBinaryDecoder decoder = new BoundedBinaryDecoder().reset(bytes, 0, bytes.length);

            assertThat(decoder.readLong()).as("long %d", value).isEqualTo(value);
            assertThat(decoder.isEnd()).as("long %d", value).isTrue();
        }
        assertThat(encodeLong(Long.MIN_VALUE)).hasSize(10);
    }

    @Test
    void varintWithRedundantBytesAccepted() throws Exception {
        BoundedBinaryDecoder decoder = decoder(0x80, 0x00, 0x82, 0x80, 0x00);

        assertThat(decoder.readInt()).isZero();
        assertThat(decoder.readLong()).isEqualTo(1L);
        assertThat(decoder.isEnd()).isTrue();
    }

    @Test
    void intRejectsOverflowingFifthByte() {
        // 0x10 sets bit 32; 0x8F continues past the fifth byte.
        for (int fifth : new int[] {0x10, 0x1F, 0x8F}) {
            BoundedBinaryDecoder decoder = decoder(0x02, 0xFF, 0xFF, 0xFF, 0xFF, fifth, 0x00);

            assertThatThrownBy(
                            () -> {
                                decoder.readInt();
                                decoder.readInt();
                            })
                    .as("fifth byte 0x%02X", fifth)
                    .isExactlyInstanceOf(InvalidEncodingException.class)
                    .hasMessage("int varint at byte 1 overflows 32 bits");
        }
    }

    @Test
    void longRejectsOverflowingTenthByte() {
        // 0x02 sets bit 64; 0x81 continues past the tenth byte.
        for (int tenth : new int[] {0x02, 0x7F, 0x81}) {
            int[] varint = Arrays.copyOf(LONG_MIN, LONG_MIN.length);
            varint[9] = tenth;
            BoundedBinaryDecoder decoder = decoder(concat(varint, 0x00));

            assertThatThrownBy(decoder::readLong)
                    .as("tenth byte 0x%02X", tenth)
                    .isExactlyInstanceOf(InvalidEncodingException.class)
                    .hasMessage("long varint at byte 0 overflows 64 bits");
        }
    }

    @Test
    void varintRejectsTruncation() {
        assertThatThrownBy(() -> decoder(0x80, 0x80).readLong())
                .isExactlyInstanceOf(InvalidEncodingException.class)
                .hasMessage(
                        "truncated input: long varint at byte 0 is incomplete because the input"
                                + " ends at byte 2");
        assertThatThrownBy(() -> decoder().readInt())
                .isExactlyInstanceOf(InvalidEncodingException.class)
                .hasMessage(
                        "truncated input: int varint at byte 0 is incomplete because the input"
                                + " ends at byte 0");
    }

    @Test
    void floatAndDoubleReadLittleEndian() throws Exception {
        ByteArrayEncoder out = new ByteArrayEncoder(16);
        out.writeFloat(Float.intBitsToFloat(0x7FC00123));
        out.writeDouble(Double.longBitsToDouble(0x8000000000000001L));
        byte[] bytes = out.toByteArray();
        BoundedBinaryDecoder decoder = new BoundedBinaryDecoder().reset(bytes, 0, bytes.length);

        assertThat(Float.floatToRawIntBits(decoder.readFloat())).isEqualTo(0x7FC00123);
        assertThat(Double.doubleToRawLongBits(decoder.readDouble())).isEqualTo(0x8000000000000001L);
        assertThat(decoder.isEnd()).isTrue();
    }

    @Test
    void floatAndDoubleRejectTruncation() {
        assertThatThrownBy(() -> decoder(1, 2, 3).readFloat())
                .isExactlyInstanceOf(InvalidEncodingException.class)
                .hasMessage(
                        "truncated input: float at byte 0 needs 4 bytes but only 3 bytes remain");
        assertThatThrownBy(() -> decoder(1, 2, 3, 4, 5, 6, 7).readDouble())
                .isExactlyInstanceOf(InvalidEncodingException.class)
                .hasMessage(
                        "truncated input: double at byte 0 needs 8 bytes but only 7 bytes remain");
    }

    @Test
    void stringReadsUtf8() throws Exception {
        BoundedBinaryDecoder decoder = decoder(0x04, 0xC3, 0xA9, 0x02, 'x', 0x00);

        assertThat((Object) decoder.readString(null)).isEqualTo(new Utf8("é"));
        assertThat(decoder.readString()).isEqualTo("x");
        assertThat(decoder.readString()).isEmpty();
        assertThat(decoder.isEnd()).isTrue();
    }

    @Test
    void stringReusesOldUtf8() throws Exception {
        Utf8 old = new Utf8("longer than needed");
        BoundedBinaryDecoder decoder = decoder(0x04, 'o', 'k');

        Utf8 result = decoder.readString(old);

        assertThat((Object) result).isSameAs(old);
        assertThat(result.toString()).isEqualTo("ok");
        assertThat(result.getByteLength()).isEqualTo(2);
    }

    @Test
    void stringRejectsHugeLengthWithoutAllocating() {
        BoundedBinaryDecoder decoder = decoder(ONE_GIB);

        assertThatThrownBy(() -> decoder.readString(null))
                .isExactlyInstanceOf(InvalidEncodingException.class)
                .hasMessage(
                        "string at byte 0 declares a length beyond the end of the input, where only"
                                + " 0 bytes remain");
    }

    /**
     * Bytes of another schema can put a field value where a length is expected, so the message must
     * not print what was declared. Here a long field holding a card number is read as a length.
     */
    @Test
    void lengthMessagesOmitDeclaredValues() throws Exception {
        long cardNumber = 4_111_111_111_111_111L;
        byte[] length = encodeLong(cardNumber);
        byte[] negative = encodeLong(-cardNumber);

        for (byte[] value : new byte[][] {length, negative}) {
            BoundedBinaryDecoder strings = new BoundedBinaryDecoder().reset(value, 0, value.length);
            BoundedBinaryDecoder arrays = new BoundedBinaryDecoder().reset(value, 0, value.length);
            BoundedBinaryDecoder maps = new BoundedBinaryDecoder().reset(value, 0, value.length);

            assertThatThrownBy(strings::readString)
                    .isExactlyInstanceOf(InvalidEncodingException.class)
                    .message()
                    .doesNotContain(String.valueOf(cardNumber));
            assertThatThrownBy(arrays::readArrayStart)
                    .isExactlyInstanceOf(InvalidEncodingException.class)
                    .message()
                    .doesNotContain(String.valueOf(cardNumber));
            assertThatThrownBy(maps::skipMap)
                    .isExactlyInstanceOf(InvalidEncodingException.class)
                    .message()
                    .doesNotContain(String.valueOf(cardNumber));
        }
    }

    @Test
    void stringRejectsNegativeLength() {
        assertThatThrownBy(() -> decoder(0x01).readString())
                .isExactlyInstanceOf(InvalidEncodingException.class)
                .hasMessage("negative string length at byte 0");
        assertThatThrownBy(() -> decoder(0x03).skipString())
                .isExactlyInstanceOf(InvalidEncodingException.class)
                .hasMessage("negative string length at byte 0");
    }

    @Test
    void skipStringMovesPastValue() throws Exception {
        BoundedBinaryDecoder decoder = decoder(0x06, 'a', 'b', 'c', 0x02);

        decoder.skipString();

        assertThat(decoder.position()).isEqualTo(4);
        assertThat(decoder.readInt()).isEqualTo(1);
    }

    @Test
    void skipStringRejectsLengthBeyondInput() {
        BoundedBinaryDecoder decoder = decoder(0x08, 'a', 'b', 'c');

        assertThatThrownBy(decoder::skipString)
                .isExactlyInstanceOf(InvalidEncodingException.class)
                .hasMessage(
                        "string at byte 0 declares a length beyond the end of the input, where only"
                                + " 3 bytes remain");
        assertThat(decoder.position()).isEqualTo(1);
    }

    @Test
    void bytesReadIntoNewBuffer() throws Exception {
        BoundedBinaryDecoder decoder = decoder(0x04, 0x00, 0xFF);

        ByteBuffer result = decoder.readBytes(null);

        assertThat(result.remaining()).isEqualTo(2);
        assertThat(result.get(0)).isEqualTo((byte) 0x00);
        assertThat(result.get(1)).isEqualTo((byte) 0xFF);
        assertThat(decoder.isEnd()).isTrue();
    }

    @Test
    void bytesReuseOldBufferThatFits() throws Exception {
        ByteBuffer old = ByteBuffer.allocate(4);
        BoundedBinaryDecoder decoder = decoder(0x04, 0x0A, 0x0B);

        ByteBuffer result = decoder.readBytes(old);

        assertThat((Object) result).isSameAs(old);
        assertThat(result.position()).isZero();
        assertThat(result.limit()).isEqualTo(2);
        assertThat(result.get(0)).isEqualTo((byte) 0x0A);
        assertThat(result.get(1)).isEqualTo((byte) 0x0B);
    }

    @Test
    void bytesSkipOldBufferThatDoesNotFit() throws Exception {
        ByteBuffer small = ByteBuffer.allocate(1);
        ByteBuffer readOnly = ByteBuffer.allocate(4).asReadOnlyBuffer();

        assertThat(decoder(0x04, 0x0A, 0x0B).readBytes(small)).isNotSameAs(small);
        assertThat(decoder(0x04, 0x0A, 0x0B).readBytes(readOnly)).isNotSameAs(readOnly);
    }

    @Test
    void bytesRejectLengthBeyondInput() {
        assertThatThrownBy(() -> decoder(concat(ONE_GIB, 0x00)).readBytes(null))
                .isExactlyInstanceOf(InvalidEncodingException.class)
                .hasMessage(
                        "bytes value at byte 0 declares a length beyond the end of the input, where"
                                + " only 1 byte remains");
        assertThatThrownBy(() -> decoder(0x06, 0x01).skipBytes())
                .isExactlyInstanceOf(InvalidEncodingException.class)
                .hasMessage(
                        "bytes value at byte 0 declares a length beyond the end of the input, where"
                                + " only 1 byte remains");
    }

    @Test
    void bytesRejectNegativeLength() {
        assertThatThrownBy(() -> decoder(0x05).readBytes(null))
                .isExactlyInstanceOf(InvalidEncodingException.class)
                .hasMessage("negative bytes value length at byte 0");
    }

    @Test
    void skipBytesMovesPastValue() throws Exception {
        BoundedBinaryDecoder decoder = decoder(0x04, 0x01, 0x02, 0x06);

        decoder.skipBytes();

        assertThat(decoder.readInt()).isEqualTo(3);
        assertThat(decoder.isEnd()).isTrue();
    }

    @Test
    void fixedReadsIntoTargetRange() throws Exception {
        byte[] target = {9, 9, 9, 9, 9};
        BoundedBinaryDecoder decoder = decoder(0x01, 0x02, 0x03, 0x04);

        decoder.readFixed(target, 1, 3);

        assertThat(target).containsExactly(9, 1, 2, 3, 9);
        assertThat(decoder.position()).isEqualTo(3);
        assertThat(decoder.remaining()).isEqualTo(1);
    }

    @Test
    void fixedOfSizeZeroReadsNothing() throws Exception {
        BoundedBinaryDecoder decoder = decoder();

        decoder.readFixed(new byte[0], 0, 0);
        decoder.skipFixed(0);

        assertThat(decoder.isEnd()).isTrue();
    }

    @Test
    void fixedRejectsTruncation() {
        BoundedBinaryDecoder decoder = decoder(0x01, 0x02);

        assertThatThrownBy(() -> decoder.readFixed(new byte[16], 0, 16))
                .isExactlyInstanceOf(InvalidEncodingException.class)
                .hasMessage(
                        "truncated input: fixed at byte 0 needs 16 bytes but only 2 bytes remain");
        assertThatThrownBy(() -> decoder.skipFixed(3))
                .isExactlyInstanceOf(InvalidEncodingException.class)
                .hasMessage(
                        "truncated input: fixed at byte 0 needs 3 bytes but only 2 bytes remain");
        assertThat(decoder.position()).isZero();
    }

    @Test
    void fixedRejectsTargetRangeOutsideArray() {
        BoundedBinaryDecoder decoder = decoder(0x01, 0x02, 0x03, 0x04);

        assertThatThrownBy(() -> decoder.readFixed(new byte[4], 2, 3))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> decoder.readFixed(new byte[4], 0, -1))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThat(decoder.position()).isZero();
    }

    @Test
    void skipFixedMovesPastValue() throws Exception {
        BoundedBinaryDecoder decoder = decoder(0x01, 0x02, 0x03, 0x08);

        decoder.skipFixed(3);

        assertThat(decoder.readInt()).isEqualTo(4);
    }

    @Test
    void skipFixedRejectsNegativeLength() {
        BoundedBinaryDecoder decoder = decoder(0x01, 0x02);

        assertThatThrownBy(() -> decoder.skipFixed(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("fixed length must not be negative, got -1");
        assertThat(decoder.position()).isZero();
    }

    @Test
    void enumAndUnionIndexesRead() throws Exception {
        BoundedBinaryDecoder decoder = decoder(0x00, 0x7E);

        assertThat(decoder.readEnum()).isZero();
        assertThat(decoder.readIndex()).isEqualTo(63);
    }

    @Test
    void enumAndUnionIndexesRejectNegative() {
        assertThatThrownBy(() -> decoder(0x01).readIndex())
                .isExactlyInstanceOf(InvalidEncodingException.class)
                .hasMessage("negative union branch index at byte 0");
        BoundedBinaryDecoder decoder = decoder(0x00, 0x01);

        assertThatThrownBy(
                        () -> {
                            decoder.readEnum();
                            decoder.readEnum();
                        })
                .isExactlyInstanceOf(InvalidEncodingException.class)
                .hasMessage("negative enum symbol index at byte 1");
    }

    @Test
    void arrayReadsCountedBlocks() throws Exception {
        BoundedBinaryDecoder decoder = decoder(0x04, 0x02, 0x04, 0x02, 0x06, 0x00);

        assertThat(decoder.readArrayStart()).isEqualTo(2);
        assertThat(decoder.readInt()).isEqualTo(1);
        assertThat(decoder.readInt()).isEqualTo(2);
        assertThat(decoder.arrayNext()).isEqualTo(1);
        assertThat(decoder.readInt()).isEqualTo(3);
        assertThat(decoder.arrayNext()).isZero();
        assertThat(decoder.isEnd()).isTrue();
    }

    @Test
    void arrayReadsNegativeCountAndIgnoresSize() throws Exception {
        // Count -2 with its byte size 2, items 1 and 2, then the end.
        BoundedBinaryDecoder decoder = decoder(0x03, 0x04, 0x02, 0x04, 0x00);

        assertThat(decoder.readArrayStart()).isEqualTo(2);
        assertThat(decoder.position()).isEqualTo(2);
        assertThat(decoder.readInt()).isEqualTo(1);
        assertThat(decoder.readInt()).isEqualTo(2);
        assertThat(decoder.arrayNext()).isZero();
    }

    @Test
    void arrayRejectsHugeCountWithoutAllocating() {
        assertThatThrownBy(() -> decoder(concat(ONE_GIB, 0x02)).readArrayStart())
                .isExactlyInstanceOf(InvalidEncodingException.class)
                .hasMessage(
                        "array block at byte 0 declares an item count beyond the end of the input,"
                                + " where only 1 byte remains");
    }

    @Test
    void arrayNextRejectsCountBeyondInput() throws Exception {
        BoundedBinaryDecoder decoder = decoder(0x02, 0x02, 0x06, 0x02);

        assertThat(decoder.readArrayStart()).isEqualTo(1);
        assertThat(decoder.readInt()).isEqualTo(1);
        assertThatThrownBy(decoder::arrayNext)
                .isExactlyInstanceOf(InvalidEncodingException.class)
                .hasMessage(
                        "array block at byte 2 declares an item count beyond the end of the input,"
                                + " where only 1 byte remains");
    }

    @Test
    void arrayLimitsZeroByteItems() throws Exception {
        // Two nulls take no bytes, so only the end marker remains after the count of 2.
        assertThatThrownBy(() -> decoder(0x04, 0x00).readArrayStart())
                .isExactlyInstanceOf(InvalidEncodingException.class)
                .hasMessage(
                        "array block at byte 0 declares an item count beyond the end of the input,"
                                + " where only 1 byte remains");
        BoundedBinaryDecoder oneNull = decoder(0x02, 0x00);

        assertThat(oneNull.readArrayStart()).isEqualTo(1);
        oneNull.readNull();
        assertThat(oneNull.arrayNext()).isZero();
    }

    @Test
    void arrayRejectsNegativeBlockSize() {
        assertThatThrownBy(() -> decoder(0x03, 0x03, 0x02).readArrayStart())
                .isExactlyInstanceOf(InvalidEncodingException.class)
                .hasMessage("array block at byte 0 declares a negative size");
    }

    @Test
    void arrayRejectsBlockSizeBeyondInput() {
        assertThatThrownBy(() -> decoder(0x03, 0x08, 0x02).readArrayStart())
                .isExactlyInstanceOf(InvalidEncodingException.class)
                .hasMessage(
                        "array block at byte 0 declares a size beyond the end of the input, where"
                                + " only 1 byte remains");
    }

    @Test
    void arrayRejectsLongMinCount() {
        assertThatThrownBy(() -> decoder(concat(LONG_MIN, 0x00)).readArrayStart())
                .isExactlyInstanceOf(InvalidEncodingException.class)
                .hasMessage("array block count at byte 0 is out of range");
    }

    @Test
    void mapChecksLikeArray() throws Exception {
        BoundedBinaryDecoder decoder = decoder(0x02, 0x02, 'k', 0x04, 0x05, 0x01);

        assertThat(decoder.readMapStart()).isEqualTo(1);
        assertThat(decoder.readString()).isEqualTo("k");
        assertThat(decoder.readInt()).isEqualTo(2);
        assertThatThrownBy(decoder::mapNext)
                .isExactlyInstanceOf(InvalidEncodingException.class)
                .hasMessage("map block at byte 4 declares a negative size");
        assertThatThrownBy(() -> decoder(ONE_GIB).readMapStart())
                .isExactlyInstanceOf(InvalidEncodingException.class)
                .hasMessage(
                        "map block at byte 0 declares an item count beyond the end of the input,"
                                + " where only 0 bytes remain");
    }

    @Test
    void skipArraySkipsSizedBlocks() throws Exception {
        // A sized block of 2 ints, a sized block of 1 int, a counted block of 1 int, the end.
        BoundedBinaryDecoder decoder =
                decoder(0x03, 0x04, 0x02, 0x04, 0x01, 0x02, 0x06, 0x02, 0x08, 0x00, 0x0A);

        assertThat(decoder.skipArray()).isEqualTo(1);
        assertThat(decoder.readInt()).isEqualTo(4);
        assertThat(decoder.skipArray()).isZero();
        assertThat(decoder.readInt()).isEqualTo(5);
        assertThat(decoder.isEnd()).isTrue();
    }

    @Test
    void skipArrayRejectsBadBlockSize() {
        assertThatThrownBy(() -> decoder(0x03, 0x03).skipArray())
                .isExactlyInstanceOf(InvalidEncodingException.class)
                .hasMessage("array block at byte 0 declares a negative size");
        assertThatThrownBy(() -> decoder(0x03, 0x04, 0x02, 0x04, 0x03, 0x08, 0x00).skipArray())
                .isExactlyInstanceOf(InvalidEncodingException.class)
                .hasMessage(
                        "array block at byte 4 declares a size beyond the end of the input, where"
                                + " only 1 byte remains");
    }

    @Test
    void skipArrayRejectsHugeCount() {
        // Skipping a gigabyte of nulls item by item would loop a billion times.
        assertThatThrownBy(() -> decoder(ONE_GIB).skipArray())
                .isExactlyInstanceOf(InvalidEncodingException.class)
                .hasMessage(
                        "array block at byte 0 declares an item count beyond the end of the input,"
                                + " where only 0 bytes remain");
    }

    @Test
    void skipMapSkipsSizedBlocks() throws Exception {
        BoundedBinaryDecoder decoder = decoder(0x01, 0x06, 0x02, 'k', 0x04, 0x00);

        assertThat(decoder.skipMap()).isZero();
        assertThat(decoder.isEnd()).isTrue();
        assertThatThrownBy(() -> decoder(0x01, 0x0A, 0x00).skipMap())
                .isExactlyInstanceOf(InvalidEncodingException.class)
                .hasMessage(
                        "map block at byte 0 declares a size beyond the end of the input, where"
                                + " only 1 byte remains");
    }
}
