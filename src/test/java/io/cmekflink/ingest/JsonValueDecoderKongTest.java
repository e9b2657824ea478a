package io.cmekflink.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.util.Utf8;
import org.junit.jupiter.api.Test;

/** Hand-written entries in Kong's log format ingest unchanged. */
class JsonValueDecoderKongTest {

    private final Schema schema = KongSchemas.kongSchema();
    private final JsonValueDecoder decoder =
            new JsonValueDecoder(schema, DecoderOptions.defaults());

    @Test
    void authenticatedEntryKeepsEveryValue() throws Exception {
        GenericRecord entry = decoder.decode(KongSchemas.resource("kong-entry-authenticated.json"));

        assertThat(entry.get("org_id")).isEqualTo(new Utf8("org-7f3a9c"));
        assertThat(entry.get("client_ip")).isEqualTo(new Utf8("203.0.113.77"));
        assertThat(entry.get("upstream_uri"))
                .isEqualTo(new Utf8("/orders?debug&color=red&color&note="));
        assertThat(entry.get("upstream_status")).isEqualTo(new Utf8("201"));
        assertThat(entry.get("started_at")).isEqualTo(1741003200119L);
        assertThat(entry.get("source").toString()).isEqualTo("upstream");
        assertThat(entry.get("workspace"))
                .isEqualTo(new Utf8("0c9b8a7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d"));
        assertThat(entry.get("workspace_name")).isEqualTo(new Utf8("default"));
        assertThat(entry.get("trace_id")).isNull();
        assertThat(entry.get("correlation_id")).isNull();

        GenericRecord request = (GenericRecord) entry.get("request");
        assertThat(request.get("id")).isEqualTo(new Utf8("c41d9e0a7b2f4e6d8a1b3c5d7e9f0a2b"));
        assertThat(request.get("method")).isEqualTo(new Utf8("POST"));
        assertThat(request.get("uri"))
                .isEqualTo(new Utf8("/v2/orders?debug&color=red&color&note="));
        assertThat(request.get("url"))
                .isEqualTo(
                        new Utf8(
                                "https://shop.example.net:8443/v2/orders?debug&color=red&color&note="));
        assertThat(request.get("size")).isEqualTo(1873L);
        assertThat(request.get("body")).isNull();

        Map<?, ?> query = (Map<?, ?>) request.get("querystring");
        assertThat(query).hasSize(3);
        assertThat(query.get(new Utf8("debug"))).isEqualTo(true);
        assertThat(list(query.get(new Utf8("color")))).containsExactly(new Utf8("red"), true);
        assertThat(query.get(new Utf8("note"))).isEqualTo(new Utf8(""));

        Map<?, ?> headers = (Map<?, ?>) request.get("headers");
        assertThat(headers).hasSize(5);
        assertThat(headers.get(new Utf8("authorization"))).isEqualTo(new Utf8("REDACTED"));
        assertThat(list(headers.get(new Utf8("x-forwarded-for"))))
                .containsExactly(new Utf8("203.0.113.77"), new Utf8("198.51.100.4"));
        assertThat(headers.get(new Utf8("user-agent"))).isEqualTo(new Utf8("orders-client/4.1"));

        GenericRecord tls = (GenericRecord) request.get("tls");
        assertThat(tls.get("version")).isEqualTo(new Utf8("TLSv1.3"));
        assertThat(tls.get("cipher")).isEqualTo(new Utf8("TLS_AES_128_GCM_SHA256"));
        assertThat(tls.get("client_verify")).isEqualTo(new Utf8("NONE"));

        GenericRecord response = (GenericRecord) entry.get("response");
        assertThat(response.get("status")).isEqualTo(201);
        assertThat(response.get("size")).isEqualTo(412L);
        Map<?, ?> responseHeaders = (Map<?, ?>) response.get("headers");
        assertThat(responseHeaders).hasSize(4);
        assertThat(responseHeaders.get(new Utf8("via"))).isEqualTo(new Utf8("1.1 kong/3.9.1"));

        GenericRecord latencies = (GenericRecord) entry.get("latencies");
        assertThat(latencies.get("kong")).isEqualTo(3L);
        assertThat(latencies.get("proxy")).isEqualTo(48L);
        assertThat(latencies.get("request")).isEqualTo(54.0);
        assertThat(latencies.get("receive")).isEqualTo(2L);

        List<?> tries = (List<?>) entry.get("tries");
        assertThat(tries).hasSize(1);
        GenericRecord attempt = (GenericRecord) tries.get(0);
        assertThat(attempt.get("balancer_start")).isEqualTo(1741003200123L);
        assertThat(attempt.get("balancer_start_ns")).isEqualTo(1.7410032001231e18);
        assertThat(attempt.get("balancer_latency")).isEqualTo(1L);
        assertThat(attempt.get("balancer_latency_ns")).isEqualTo(51200L);
        assertThat(attempt.get("ip")).isEqualTo(new Utf8("10.40.3.18"));
        assertThat(attempt.get("port")).isEqualTo(8080);
        assertThat(attempt.get("state")).isNull();
        assertThat(attempt.get("code")).isNull();

        GenericRecord credential = (GenericRecord) entry.get("authenticated_entity");
        assertThat(credential.get("id"))
                .isEqualTo(new Utf8("5b0e2f61-9a4c-4d3e-8f21-6c7d8e9fa0b1"));
        assertThat(credential.get("consumer_id"))
                .isEqualTo(new Utf8("e2a1c3d4-5b6f-4a7e-9c8d-0f1e2d3c4b5a"));

        GenericRecord consumer = (GenericRecord) entry.get("consumer");
        assertThat(consumer.get("username")).isEqualTo(new Utf8("Søren-Åkesson"));
        assertThat(consumer.get("username_lower")).isEqualTo(new Utf8("søren-åkesson"));
        assertThat(consumer.get("custom_id")).isEqualTo(new Utf8("crm-000417"));
        assertThat(consumer.get("type")).isEqualTo(0);
        assertThat(consumer.get("created_at")).isEqualTo(1735689600L);
        assertThat(list(consumer.get("tags"))).containsExactly(new Utf8("tier-gold"));

        GenericRecord route = (GenericRecord) entry.get("route");
        assertThat(route.get("name")).isEqualTo(new Utf8("orders-create"));
        assertThat(list(route.get("paths"))).containsExactly(new Utf8("/v2/orders"));
        assertThat(list(route.get("tags"))).isEmpty();
        assertThat(route.get("hosts")).isNull();
        assertThat(route.get("https_redirect_status_code")).isEqualTo(426);
        assertThat(route.get("strip_path")).isEqualTo(true);
        assertThat(((GenericRecord) route.get("service")).get("id"))
                .isEqualTo(new Utf8("3f2e1d0c-9b8a-4776-a655-443322110099"));

        GenericRecord service = (GenericRecord) entry.get("service");
        assertThat(service.get("host")).isEqualTo(new Utf8("orders.internal"));
        assertThat(service.get("port")).isEqualTo(8080);
        assertThat(service.get("retries")).isEqualTo(5);
        assertThat(service.get("enabled")).isEqualTo(true);
        assertThat(service.get("tls_verify")).isNull();
    }

    @Test
    void anonymousEntryHasNoConsumer() throws Exception {
        GenericRecord entry = decoder.decode(KongSchemas.resource("kong-entry-anonymous.json"));

        assertThat(entry.get("consumer")).isNull();
        assertThat(entry.get("authenticated_entity")).isNull();
        assertThat(entry.get("client_ip")).isEqualTo(new Utf8("2001:db8:4:2::17"));
        assertThat(entry.get("upstream_status")).isEqualTo(new Utf8("502, 200"));
        assertThat(((Map<?, ?>) entry.get("trace_id")).get(new Utf8("w3c")))
                .isEqualTo(new Utf8("4bf92f3577b34da6a3ce929d0e0e4736"));
        assertThat(entry.get("correlation_id"))
                .isEqualTo(new Utf8("7d3f6a1e-2b4c-4e8f-9a0b-1c2d3e4f5a6b"));

        GenericRecord request = (GenericRecord) entry.get("request");
        assertThat((Map<?, ?>) request.get("querystring")).isEmpty();
        assertThat(request.get("tls")).isNull();
        Map<?, ?> headers = (Map<?, ?>) request.get("headers");
        assertThat(list(headers.get(new Utf8("accept"))))
                .containsExactly(new Utf8("text/html"), new Utf8("application/json"));

        Map<?, ?> responseHeaders =
                (Map<?, ?>) ((GenericRecord) entry.get("response")).get("headers");
        assertThat(list(responseHeaders.get(new Utf8("set-cookie"))))
                .containsExactly(new Utf8("sid=abc; Path=/"), new Utf8("theme=dark; Path=/"));

        GenericRecord latencies = (GenericRecord) entry.get("latencies");
        assertThat(latencies.get("request")).isEqualTo(8000.999999999999);

        List<?> tries = (List<?>) entry.get("tries");
        assertThat(tries).hasSize(2);
        GenericRecord failed = (GenericRecord) tries.get(0);
        assertThat(failed.get("state")).isEqualTo(new Utf8("next"));
        assertThat(failed.get("code")).isEqualTo(502);
        assertThat(failed.get("balancer_start_ns")).isEqualTo(1.741089600500012e18);
        GenericRecord succeeded = (GenericRecord) tries.get(1);
        assertThat(succeeded.get("ip")).isEqualTo(new Utf8("10.40.7.3"));
        assertThat(succeeded.get("state")).isNull();

        GenericRecord route = (GenericRecord) entry.get("route");
        assertThat(route.get("name")).isNull();
        assertThat(route.get("hosts")).isNull();
        assertThat(route.get("methods")).isNull();
        assertThat(route.get("ws_id")).isNull();
        GenericRecord service = (GenericRecord) entry.get("service");
        assertThat(service.get("connect_timeout")).isEqualTo(2000);
    }

    @Test
    void entryAnsweredByKongHasNoTries() throws Exception {
        GenericRecord entry = decoder.decode(KongSchemas.resource("kong-entry-kong-answered.json"));

        assertThat(entry.get("tries")).isNull();
        assertThat(entry.get("service")).isNull();
        assertThat(entry.get("consumer")).isNull();
        assertThat(entry.get("upstream_uri")).isEqualTo(new Utf8(""));
        assertThat(entry.get("upstream_status")).isEqualTo(new Utf8(""));
        assertThat(entry.get("source").toString()).isEqualTo("kong");
        assertThat(entry.get("workspace_name")).isNull();
        GenericRecord request = (GenericRecord) entry.get("request");
        assertThat(request.get("id")).isEqualTo(new Utf8(""));
        assertThat(((Map<?, ?>) request.get("headers")).get(new Utf8("apikey")))
                .isEqualTo(new Utf8(""));
        GenericRecord latencies = (GenericRecord) entry.get("latencies");
        assertThat(latencies.get("proxy")).isEqualTo(-1L);
        assertThat(latencies.get("request")).isEqualTo(1.0);
        assertThat(((GenericRecord) entry.get("response")).get("status")).isEqualTo(401);
    }

    @Test
    void jsonAndAvroBinaryGiveEqualRecords() throws Exception {
        AvroBinaryValueDecoder binary =
                new AvroBinaryValueDecoder(schema, DecoderOptions.defaults());
        for (String name :
                List.of(
                        "kong-entry-authenticated.json",
                        "kong-entry-anonymous.json",
                        "kong-entry-kong-answered.json")) {
            GenericRecord fromJson = decoder.decode(KongSchemas.resource(name));
            byte[] avro = encode(fromJson);

            GenericRecord fromAvro = binary.decode(avro);

            // Bytes may differ: Avro writes map entries in HashMap order, which depends on
            // capacity.
            assertThat(fromAvro).as(name).isEqualTo(fromJson);
        }
    }

    @Test
    void integerUpstreamStatusTakesIntBranch() throws Exception {
        String json =
                new String(KongSchemas.resource("kong-entry-kong-answered.json"))
                        .replace("\"upstream_status\": \"\"", "\"upstream_status\": 200");

        GenericRecord entry = decoder.decode(json.getBytes());

        assertThat(entry.get("upstream_status")).isEqualTo(200);
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object value) {
        return (List<Object>) value;
    }

    static byte[] encode(GenericRecord record) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(record.getSchema(), GenericData.get())
                .write(record, encoder);
        encoder.flush();
        return out.toByteArray();
    }
}
