package io.cmekflink.link;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.avro.SchemaNormalization;
import org.junit.jupiter.api.Test;

class KeyChangeEventTest {

    private static final String ARN =
            "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    @Test
    void decodesWhatItEncodes() throws Exception {
        KeyChangeEvent event =
                KeyChangeEvent.linked("org-a", "k1", ARN, "eu-west-1", "primary", 3, 1_700L)
                        .withSignature(new byte[] {1, 2, 3});

        KeyChangeEvent decoded = KeyChangeEvent.fromBytes(event.toBytes());

        assertThat(decoded.orgId()).isEqualTo("org-a");
        assertThat(decoded.change()).isEqualTo(KeyChangeEvent.LINKED);
        assertThat(decoded.keyName()).isEqualTo("k1");
        assertThat(decoded.keyArn()).isEqualTo(ARN);
        assertThat(decoded.region()).isEqualTo("eu-west-1");
        assertThat(decoded.description()).isEqualTo("primary");
        assertThat(decoded.version()).isEqualTo(3);
        assertThat(decoded.changedAt()).isEqualTo(1_700L);
        assertThat(decoded.allowAccountChange()).isFalse();
        assertThat(decoded.signature()).containsExactly(1, 2, 3);
    }

    /**
     * Events are decoded before their signature is checked, so whoever can write to the key-change
     * topic controls what decoding allocates. This value is 20 bytes long and declares a 256 MiB
     * org id.
     */
    @Test
    void hugeDeclaredLengthAllocatesNothing() {
        byte[] value = declaringOrgIdOf(256 << 20);
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

        long before = threads.getCurrentThreadAllocatedBytes();
        assertThatThrownBy(() -> KeyChangeEvent.fromBytes(value))
                .isInstanceOf(InvalidKeyLinkException.class)
                .hasMessageContaining("invalid value '20 bytes': not a key-change event")
                .hasMessageContaining("declares a length beyond the end of the input");
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;

        assertThat(value).hasSize(20);
        assertThat(allocated).as("bytes allocated decoding a 20-byte value").isLessThan(1 << 20);
    }

    @Test
    void rejectsTrailingBytes() {
        byte[] event =
                KeyChangeEvent.linked("org-a", "k1", ARN, "eu-west-1", null, 1, 1L).toBytes();
        byte[] value = Arrays.copyOf(event, event.length + 2);

        assertThatThrownBy(() -> KeyChangeEvent.fromBytes(value))
                .isInstanceOf(InvalidKeyLinkException.class)
                .hasMessageContaining("left 2 trailing bytes");
    }

    @Test
    void rejectsValueWithoutHeader() {
        byte[] value = "garbage, not an event".getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> KeyChangeEvent.fromBytes(value))
                .isInstanceOf(InvalidKeyLinkException.class)
                .hasMessage(
                        "invalid value '21 bytes': not a key-change event: it does not start with"
                                + " the single-object header (C3 01 and the fingerprint) of schema"
                                + " io.cmekflink.v1.KeyChangeEvent");
    }

    @Test
    void rejectsHeaderOfAnotherSchema() {
        byte[] value =
                KeyChangeEvent.linked("org-a", "k1", ARN, "eu-west-1", null, 1, 1L).toBytes();
        value[2] ^= 0x01;

        assertThatThrownBy(() -> KeyChangeEvent.fromBytes(value))
                .isInstanceOf(InvalidKeyLinkException.class)
                .hasMessageContaining("does not start with the single-object header");
    }

    /** A single-object header of the event schema, then an org id declaring {@code length}. */
    private static byte[] declaringOrgIdOf(int length) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0xC3);
        out.write(0x01);
        long fingerprint = SchemaNormalization.parsingFingerprint64(KeyChangeEvent.SCHEMA);
        for (int i = 0; i < 8; i++) {
            out.write((int) (fingerprint >>> (8 * i)));
        }
        // Zig-zag varint of the length, then 5 bytes that stand for the start of the org id.
        long zigzag = (long) length << 1;
        while ((zigzag & ~0x7FL) != 0) {
            out.write((int) ((zigzag & 0x7F) | 0x80));
            zigzag >>>= 7;
        }
        out.write((int) zigzag);
        out.writeBytes("org-x".getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }
}
