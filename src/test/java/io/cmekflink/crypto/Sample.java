package io.cmekflink.crypto;

import io.cmekflink.dek.Dek;
import io.cmekflink.schema.ByteArrayEncoder;
import io.cmekflink.schema.CanonicalDatumWriter;
import io.cmekflink.schema.DerivationOptions;
import io.cmekflink.schema.DerivedSchema;
import io.cmekflink.schema.MalformedRecordException;
import io.cmekflink.schema.MarkingRules;
import io.cmekflink.schema.StrictRecordDecoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;

/** The sample request-log schema of the golden fixtures, records of it and test DEKs. */
final class Sample {

    static final Schema WRITER = new Schema.Parser().parse(resource("/golden/request-log.avsc"));
    static final DerivationOptions OPTIONS =
            DerivationOptions.of(MarkingRules.withConfluentTags(List.of("PII")))
                    .withBindingFields(List.of("request_id", "received_at"));
    static final DerivedSchema DERIVED = DerivedSchema.derive(WRITER, OPTIONS);
    static final String KEY_ARN =
            "arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    static final byte[] EDEK = "not-a-real-edek:test".getBytes(StandardCharsets.US_ASCII);

    private static final SecureRandom RANDOM = new SecureRandom();

    private Sample() {}

    static String resource(String name) {
        try (InputStream in = Sample.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("test resource " + name + " is missing");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Creates a DEK with a random key, which can seal and open. */
    static Dek randomDek() {
        byte[] key = new byte[Dek.KEY_BYTES];
        RANDOM.nextBytes(key);
        return Dek.takeOwnershipForEncryption(key, EDEK, KEY_ARN, 1L << 32, RANDOM.nextInt());
    }

    static Schema schemaOf(String fieldName) {
        return WRITER.getField(fieldName).schema();
    }

    /** Builds a sample record with made-up values, normalised as decoding would produce it. */
    static GenericRecord record(String orgId, String requestId) {
        GenericData.Record record = new GenericData.Record(WRITER);
        record.put("org_id", orgId);
        record.put("request_id", requestId);
        record.put("received_at", 1_733_300_000_000L);
        record.put("client_ip", "203.0.113.7");

        Schema userSchema = schemaOf("user").getTypes().get(1);
        GenericData.Record user = new GenericData.Record(userSchema);
        user.put("id", "u-1");
        user.put("email", "jane@example.com");
        record.put("user", user);

        Schema requestSchema = schemaOf("request");
        GenericData.Record request = new GenericData.Record(requestSchema);
        request.put(
                "method",
                new GenericData.EnumSymbol(requestSchema.getField("method").schema(), "POST"));
        request.put("path", "/v1/orders");
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("authorization", "Bearer made-up-token");
        headers.put("accept", "application/json");
        request.put("headers", headers);
        request.put("body", ByteBuffer.wrap("{\"qty\":2}".getBytes(StandardCharsets.UTF_8)));
        record.put("request", request);

        Schema trySchema = schemaOf("tries").getElementType();
        GenericData.Array<GenericRecord> tries = new GenericData.Array<>(2, schemaOf("tries"));
        tries.add(tryOf(trySchema, "198.51.100.1", 12));
        tries.add(tryOf(trySchema, "198.51.100.2", 30));
        record.put("tries", tries);

        Schema routeSchema = schemaOf("routes").getValueType();
        Map<String, GenericRecord> routes = new LinkedHashMap<>();
        routes.put("primary", routeOf(routeSchema, "route-secret-1", 9));
        routes.put("backup", routeOf(routeSchema, "route-secret-2", 1));
        record.put("routes", routes);

        record.put("amount", ByteBuffer.wrap(new byte[] {0x01, (byte) 0xE2, 0x40}));
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("team", "payments");
        labels.put("env", "test");
        record.put("labels", labels);

        Schema cardSchema = schemaOf("payload").getTypes().get(2);
        GenericData.Record card = new GenericData.Record(cardSchema);
        card.put("number", "4111111111111111");
        card.put("brand", "visa");
        record.put("payload", card);
        return normalise(record);
    }

    private static GenericRecord tryOf(Schema schema, String ip, int latency) {
        GenericData.Record record = new GenericData.Record(schema);
        record.put("ip", ip);
        record.put("latency_ms", latency);
        return record;
    }

    private static GenericRecord routeOf(Schema schema, String secret, int weight) {
        GenericData.Record record = new GenericData.Record(schema);
        record.put("secret", secret);
        record.put("weight", weight);
        return record;
    }

    /** Encodes and decodes {@code record}, so that strings are Utf8 and maps are hash maps. */
    static GenericRecord normalise(GenericRecord record) {
        try {
            return new StrictRecordDecoder(record.getSchema()).decode(encode(record));
        } catch (MalformedRecordException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Encodes {@code value} under {@code schema} in Avro binary, map entries sorted. */
    static byte[] encode(Schema schema, Object value) {
        ByteArrayEncoder out = new ByteArrayEncoder(256);
        try {
            new CanonicalDatumWriter<Object>(schema).write(value, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static byte[] encode(GenericRecord record) {
        return encode(record.getSchema(), record);
    }
}
