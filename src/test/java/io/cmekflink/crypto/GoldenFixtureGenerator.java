package io.cmekflink.crypto;

import io.cmekflink.dek.Dek;
import io.cmekflink.schema.CanonicalDatumWriter;
import io.cmekflink.schema.DerivedSchemaFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.io.JsonEncoder;

/**
 * Recreates the golden fixtures under {@code src/test/resources/golden}: the sample record
 * (plaintext, Avro JSON), its encrypted form (single-object bytes), the associated data (hex), the
 * inputs (properties) and the derived schema file.
 *
 * <p>Run it only for a deliberate format change, and then as a new fixture version, because the
 * committed files are what proves that old records still decrypt:
 *
 * <pre>
 * mvn -q test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -cp target/test-classes:target/classes:$(cat target/cp.txt) \
 *     io.cmekflink.crypto.GoldenFixtureGenerator src/test/resources/golden
 * </pre>
 */
public final class GoldenFixtureGenerator {

    private GoldenFixtureGenerator() {}

    public static void main(String[] args) throws Exception {
        Path directory = Path.of(args.length > 0 ? args[0] : "src/test/resources/golden");
        GoldenFixture fixture = GoldenFixture.defaults();
        GenericRecord plaintext = Sample.record(fixture.orgId(), "req-0001");

        byte[] sealed = seal(fixture, plaintext);
        byte[] aad =
                RecordOpener.create(Sample.DERIVED)
                        .associatedData(RecordOpener.create(Sample.DERIVED).decode(sealed));

        Files.createDirectories(directory);
        Path derived =
                DerivedSchemaFiles.write(
                        directory.resolve(GoldenFixture.DERIVED_DIRECTORY), Sample.DERIVED);
        Files.writeString(directory.resolve(GoldenFixture.PROPERTIES), fixture.toProperties());
        Files.write(directory.resolve(GoldenFixture.RECORD), sealed);
        Files.writeString(
                directory.resolve(GoldenFixture.AAD_HEX), HexFormat.of().formatHex(aad) + "\n");
        Files.writeString(
                directory.resolve(GoldenFixture.PLAINTEXT_JSON),
                toJson(plaintext),
                StandardCharsets.UTF_8);
        System.out.println(
                "wrote "
                        + GoldenFixture.RECORD
                        + " ("
                        + sealed.length
                        + " bytes) and "
                        + derived.getFileName());
    }

    static byte[] seal(GoldenFixture fixture, GenericRecord plaintext) throws Exception {
        Dek dek = fixture.sealingDek();
        return RecordSealer.create(Sample.DERIVED)
                .sealToBytes(plaintext, fixture.orgId(), fixture.recordId(), dek);
    }

    /** Encodes the record in Avro's JSON encoding, map entries sorted by key. */
    static String toJson(GenericRecord record) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        JsonEncoder encoder = EncoderFactory.get().jsonEncoder(record.getSchema(), out, true);
        new CanonicalDatumWriter<GenericRecord>(record.getSchema()).write(record, encoder);
        encoder.flush();
        return out.toString(StandardCharsets.UTF_8) + "\n";
    }
}
