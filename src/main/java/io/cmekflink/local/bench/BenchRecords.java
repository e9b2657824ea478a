package io.cmekflink.local.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Random;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;

/**
 * The benchmark's input: compact API gateway log entries in the style of Kong's log serializer,
 * about 1 KB of Avro binary each, with five fields marked {@code "sensitive": true} that together
 * hold about 750 bytes (URI with query string, request headers, consumer e-mail, request body and
 * response body).
 *
 * <p>Values mix fixed vocabulary with random tokens, so that they compress about as much as real
 * logs do and no two records are equal. Generation is deterministic for a seed. Not thread-safe.
 */
final class BenchRecords {

    /** The writer schema of the benchmark records. */
    static final Schema SCHEMA = buildSchema();

    /** Number of fields marked sensitive in {@link #SCHEMA}. */
    static final int MARKED_FIELDS = 5;

    private static final List<String> METHODS = List.of("GET", "GET", "GET", "POST", "PUT");
    private static final List<String> RESOURCES =
            List.of("orders", "customers", "invoices", "payments", "shipments", "carts");
    private static final List<String> AGENTS =
            List.of(
                    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
                    "okhttp/4.12.0",
                    "python-requests/2.32.3",
                    "Go-http-client/2.0");
    private static final List<String> NAMES =
            List.of("jose.muller", "zoe.astrom", "mika.tanaka", "amara.okafor", "li.wei");

    private final Random random;
    private long clock = 1_740_787_200_000L;

    BenchRecords(long seed) {
        this.random = new Random(seed);
    }

    private static Schema buildSchema() {
        Schema marked = SchemaBuilder.builder().stringType();
        Schema nullableMarked = SchemaBuilder.unionOf().nullType().and().stringType().endUnion();
        return SchemaBuilder.record("ApiLogEntry")
                .namespace("io.cmekflink.bench")
                .doc("A compact API gateway log entry for the cmek-flink benchmark.")
                .fields()
                .requiredString("org_id")
                .requiredString("request_id")
                .requiredLong("started_at")
                .requiredString("method")
                .requiredString("route")
                .requiredInt("status")
                .requiredInt("latency_ms")
                .requiredInt("upstream_latency_ms")
                .requiredString("service_id")
                .requiredString("route_id")
                .requiredString("upstream")
                .requiredString("user_agent")
                .requiredString("gateway_node")
                .name("uri")
                .prop("sensitive", true)
                .type(marked)
                .noDefault()
                .name("request_headers")
                .prop("sensitive", true)
                .type(marked)
                .noDefault()
                .name("consumer_email")
                .prop("sensitive", true)
                .type(nullableMarked)
                .withDefault(null)
                .name("request_body")
                .prop("sensitive", true)
                .type(nullableMarked)
                .withDefault(null)
                .name("response_body")
                .prop("sensitive", true)
                .type(nullableMarked)
                .withDefault(null)
                .endRecord();
    }

    /** Returns the next record, owned by {@code orgId}. */
    GenericRecord next(String orgId) {
        clock += 1 + random.nextInt(20);
        String resource = pick(RESOURCES);
        String id = token(8);
        GenericData.Record r = new GenericData.Record(SCHEMA);
        r.put("org_id", orgId);
        r.put("request_id", uuid());
        r.put("started_at", clock);
        r.put("method", pick(METHODS));
        r.put("route", "/v1/" + resource + "/{id}");
        r.put("status", random.nextInt(10) == 0 ? 404 : 200);
        r.put("latency_ms", 2 + random.nextInt(300));
        r.put("upstream_latency_ms", 1 + random.nextInt(250));
        r.put("service_id", uuid());
        r.put("route_id", uuid());
        r.put("upstream", resource + ".internal.svc.cluster.local:8080");
        r.put("user_agent", pick(AGENTS));

        r.put("gateway_node", "kong-" + random.nextInt(12) + ".eu-west-1.compute.internal");

        String email = pick(NAMES) + "." + token(4) + "@example.com";
        r.put(
                "uri",
                "/v1/"
                        + resource
                        + "/"
                        + id
                        + "?expand=items&session="
                        + token(24)
                        + "&email="
                        + email.replace("@", "%40")
                        + "&page="
                        + random.nextInt(50));
        r.put("request_headers", headers(email));
        r.put("consumer_email", email);
        r.put("request_body", body(id, email));
        r.put(
                "response_body",
                body(id, token(6))
                        + "{\"tracking\":\""
                        + token(20)
                        + "\",\"carrier\":\"postal\","
                        + "\"recipient\":\""
                        + email
                        + "\",\"phone\":\"+49 30 "
                        + random.nextInt(10_000_000)
                        + "\"}");
        return r;
    }

    private String headers(String email) {
        return "{\"host\":\"api.example.com\",\"accept\":\"application/json\","
                + "\"x-forwarded-for\":\""
                + address()
                + "\",\"cookie\":\"sid="
                + token(32)
                + "\",\"apikey\":\""
                + token(32)
                + "\",\"x-user\":\""
                + email
                + "\"}";
    }

    private String body(String id, String customer) {
        return "{\"id\":\""
                + id
                + "\",\"customer\":\""
                + customer
                + "\",\"items\":[{\"sku\":\""
                + token(10)
                + "\",\"qty\":"
                + (1 + random.nextInt(9))
                + ",\"price\":"
                + random.nextInt(10_000) / 100.0
                + "}],\"note\":\"deliver to "
                + address()
                + "\"}";
    }

    private String address() {
        return "10." + random.nextInt(256) + "." + random.nextInt(256) + "." + random.nextInt(256);
    }

    private String uuid() {
        return new java.util.UUID(random.nextLong(), random.nextLong()).toString();
    }

    private String token(int length) {
        char[] chars = new char[length];
        for (int i = 0; i < length; i++) {
            int v = random.nextInt(36);
            chars[i] = (char) (v < 10 ? '0' + v : 'a' + v - 10);
        }
        return new String(chars);
    }

    private <T> T pick(List<T> values) {
        return values.get(random.nextInt(values.size()));
    }

    /** Encodes a record of {@link #SCHEMA} as Avro binary. */
    static byte[] encode(GenericRecord record) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(1200);
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        try {
            new GenericDatumWriter<GenericRecord>(SCHEMA).write(record, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
