package io.cmekflink.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cmekflink.schema.ByteArrayEncoder;
import io.cmekflink.schema.CanonicalDatumWriter;
import io.cmekflink.schema.DerivedSchemaFiles;
import io.cmekflink.schema.DerivedSchemaRegistry;
import io.cmekflink.schema.SingleObjectEncoding;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.Callable;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.message.BinaryMessageDecoder;
import org.junit.jupiter.api.Test;

/**
 * Checks the committed golden fixtures under {@code golden/} against the current code, so that the
 * wire format never changes by accident. {@link GoldenFixtureGenerator} wrote them; these tests
 * only read them.
 */
class GoldenFixtureTest {

    private static final GoldenFixture FIXTURE = GoldenFixture.load();
    private static final byte[] STORED = resourceBytes(GoldenFixture.RECORD);
    private static final byte[] STORED_AAD =
            HexFormat.of()
                    .parseHex(
                            new String(
                                            resourceBytes(GoldenFixture.AAD_HEX),
                                            StandardCharsets.US_ASCII)
                                    .strip());
    private static final Path DERIVED_DIRECTORY = resourcePath(GoldenFixture.DERIVED_DIRECTORY);

    private static GenericRecord expectedPlaintext() throws IOException {
        String json =
                new String(resourceBytes(GoldenFixture.PLAINTEXT_JSON), StandardCharsets.UTF_8);
        return new GenericDatumReader<GenericRecord>(
                        Sample.WRITER, Sample.WRITER, new GenericData())
                .read(null, DecoderFactory.get().jsonDecoder(Sample.WRITER, json));
    }

    private static RecordOpener opener() throws IOException {
        DerivedSchemaRegistry registry = DerivedSchemaFiles.loadDirectory(DERIVED_DIRECTORY);
        return RecordOpener.create(registry);
    }

    @Test
    void storedRecordOpensToExpectedPlaintext() throws Exception {
        RecordOpener opener = opener();

        GenericRecord opened = opener.open(opener.decode(STORED), FIXTURE.openingDek());

        assertThat(opened).isEqualTo(expectedPlaintext());
        assertThat(Sample.encode(opened)).isEqualTo(Sample.encode(expectedPlaintext()));
        assertThat(opened.getSchema()).isEqualTo(Sample.WRITER);
    }

    @Test
    void storedRecordDecodesAndEncodesByteForByte() throws Exception {
        GenericRecord derived = opener().decode(STORED);

        ByteArrayEncoder out = new ByteArrayEncoder(STORED.length);
        SingleObjectEncoding.writeHeader(out, Sample.DERIVED.layoutFingerprint());
        new CanonicalDatumWriter<Object>(derived.getSchema()).write(derived, out);

        assertThat(out.toByteArray()).isEqualTo(STORED);
    }

    @Test
    void storedEnvelopeHasFixtureInputs() throws Exception {
        Envelope envelope = RecordOpener.envelopeOf(opener().decode(STORED));

        assertThat(envelope.formatVersion()).isEqualTo(1);
        assertThat(envelope.keyArn()).isEqualTo(FIXTURE.keyArn());
        assertThat(envelope.edek()).isEqualTo(FIXTURE.edek());
        assertThat(envelope.orgId()).isEqualTo("org-golden");
        assertThat(envelope.recordId()).isEqualTo(new RecordId("requests", 3, 42));
        assertThat(HexFormat.of().formatHex(envelope.nonce()))
                .isEqualTo("0a0b0c0d0000000000000000");
        assertThat(envelope.schemaFingerprint()).isEqualTo(Sample.DERIVED.exactFingerprint());
        assertThat(SingleObjectEncoding.fingerprint(STORED))
                .isEqualTo(Sample.DERIVED.layoutFingerprint());
    }

    @Test
    void currentCodeBuildsStoredAssociatedData() throws Exception {
        RecordOpener opener = opener();

        byte[] aad = opener.associatedData(opener.decode(STORED));

        assertThat(HexFormat.of().formatHex(aad)).isEqualTo(HexFormat.of().formatHex(STORED_AAD));
    }

    @Test
    void storedAssociatedDataFollowsDocumentedLayout() {
        ParsedAad aad = ParsedAad.parse(STORED_AAD);

        assertThat(aad.version()).isEqualTo(1);
        assertThat(aad.orgId()).isEqualTo("org-golden");
        assertThat(aad.recordFullName()).isEqualTo("io.cmekflink.sample.RequestLog");
        assertThat(aad.recordId()).isEqualTo(new RecordId("requests", 3, 42));
        assertThat(HexFormat.of().formatHex(aad.schemaFingerprint())).isEqualTo("5dbf894b8697cd5a");
        assertThat(aad.paths())
                .containsExactly(
                        "client_ip",
                        "user.email",
                        "request.headers",
                        "request.body",
                        "tries[0].ip",
                        "tries[1].ip",
                        "routes[\"backup\"].secret",
                        "routes[\"primary\"].secret",
                        "amount",
                        "payload<io.cmekflink.sample.Card>.number");
        assertThat(aad.marked())
                .extracting(ParsedAad.MarkedEntry::length)
                .containsExactly(12, 18, 61, 11, 13, 13, 15, 15, 4, 17);
        assertThat(aad.bindings())
                .extracting(ParsedAad.BindingEntry::path)
                .containsExactly("request_id", "received_at");
        assertThat(aad.bindings().get(0).value())
                .isEqualTo(Sample.encode(Schema.create(Schema.Type.STRING), "req-0001"));
    }

    @Test
    void resealingExpectedPlaintextGivesStoredBytes() throws Exception {
        GenericRecord plaintext = expectedPlaintext();

        byte[] resealed = onNewThread(() -> GoldenFixtureGenerator.seal(FIXTURE, plaintext));

        assertThat(resealed).isEqualTo(STORED);
    }

    @Test
    void plainJceOpensStoredRecord() throws Exception {
        Schema derivedSchema =
                new Schema.Parser()
                        .parse(
                                Files.readString(
                                        DERIVED_DIRECTORY.resolve(Sample.DERIVED.fileName())));
        BinaryMessageDecoder<GenericRecord> decoder =
                new BinaryMessageDecoder<>(new GenericData(), derivedSchema);
        GenericRecord derived = decoder.decode(STORED);
        GenericRecord envelope = (GenericRecord) derived.get("cmek_envelope");
        ParsedAad aad = ParsedAad.parse(STORED_AAD);

        ByteArrayOutputStream ciphertext = new ByteArrayOutputStream();
        for (String path : aad.paths()) {
            ByteBuffer slice = (ByteBuffer) ValuePaths.find(derived, path).value();
            ciphertext.write(
                    slice.array(), slice.arrayOffset() + slice.position(), slice.remaining());
        }
        ciphertext.write(((GenericFixed) envelope.get("tag")).bytes());
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(
                Cipher.DECRYPT_MODE,
                new SecretKeySpec(FIXTURE.dataKey(), "AES"),
                new GCMParameterSpec(128, ((GenericFixed) envelope.get("nonce")).bytes()));
        cipher.updateAAD(STORED_AAD);
        byte[] plaintext = cipher.doFinal(ciphertext.toByteArray());

        GenericRecord expected = expectedPlaintext();
        int offset = 0;
        for (ParsedAad.MarkedEntry entry : aad.marked()) {
            ValuePaths.Found found = ValuePaths.find(derived, entry.path());
            Schema original = originalSchema(found);
            Object value =
                    new GenericDatumReader<>(original, original, new GenericData())
                            .read(
                                    null,
                                    DecoderFactory.get()
                                            .binaryDecoder(
                                                    plaintext, offset, entry.length(), null));
            assertThat(value)
                    .as(entry.path())
                    .isEqualTo(ValuePaths.find(expected, entry.path()).value());
            offset += entry.length();
        }
        assertThat(offset).isEqualTo(plaintext.length);
    }

    private static Schema originalSchema(ValuePaths.Found found) throws IOException {
        Object json =
                found.record()
                        .getSchema()
                        .getField(found.fieldName())
                        .getObjectProp("cmek.original_schema");
        return new Schema.Parser().parse(new ObjectMapper().writeValueAsString(json));
    }

    /**
     * Runs {@code task} on a thread of its own. The JCE refuses a second encryption with the same
     * key and nonce on one {@code Cipher}, and {@code Dek} keeps one {@code Cipher} per thread.
     */
    private static <T> T onNewThread(Callable<T> task) throws Exception {
        FutureTask<T> future = new FutureTask<>(task);
        new Thread(future, "golden-reseal").start();
        return future.get(30, TimeUnit.SECONDS);
    }

    private static byte[] resourceBytes(String name) {
        String path = "/" + GoldenFixture.DIRECTORY + "/" + name;
        try (InputStream in = GoldenFixtureTest.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException(
                        path + " is missing; GoldenFixtureGenerator recreates it");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path resourcePath(String name) {
        try {
            return Path.of(
                    GoldenFixtureTest.class
                            .getResource("/" + GoldenFixture.DIRECTORY + "/" + name)
                            .toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
