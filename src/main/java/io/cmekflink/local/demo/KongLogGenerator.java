package io.cmekflink.local.demo;

import io.cmekflink.local.demo.KongCatalog.ConsumerDef;
import io.cmekflink.local.demo.KongCatalog.RouteDef;
import io.cmekflink.local.demo.KongCatalog.ServiceDef;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.util.Utf8;

/**
 * Generates realistic Kong Gateway request log entries for a list of orgs, deterministically for a
 * seed: the same seed, org list and schema give the same entries, byte for byte.
 *
 * <p>Entries follow the shapes of {@code kong.log.serialize()} as file-log and http-log write them
 * (see docs/kong-log-entry.md): proxied requests, retried ones with two tries, slow ones of 8 to 12
 * seconds, and requests that Kong rejected itself (401, 403, 429) without tries. They include
 * absent and explicit-null fields, empty strings, non-ASCII text (Japanese, emoji, accented names),
 * repeated headers, bare query flags, Kong's {@code REDACTED} authorization header, and in about
 * one entry of 40 a body of 20 to 60 KB (461 of 20,000 entries for seed 1).
 *
 * <p>The personal data that an entry puts into marked fields (addresses, e-mail addresses, keys,
 * cookies, usernames, URLs, bodies) carries random tokens or random addresses, and {@link
 * GeneratedKongEntry#sensitiveValues()} lists those values. So a scan of encrypted output for them
 * finds a leak and never a coincidence. Marked fields also contain common values, such as {@code
 * application/json}, which are not listed. Not thread-safe.
 */
public final class KongLogGenerator {

    /**
     * Maximum length of a sensitive value reported whole. A longer value is reported by its tokens.
     */
    static final int MAX_REPORTED_LENGTH = 512;

    /** Minimum length of a string reported as sensitive. */
    static final int MIN_REPORTED_LENGTH = 6;

    /** 2025-03-01T00:00:00Z, the start of the generated clock. */
    private static final long FIRST_STARTED_AT = 1_740_787_200_000L;

    private static final List<String> USER_AGENTS =
            List.of(
                    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
                    "okhttp/4.12.0",
                    "curl/8.5.0",
                    "python-requests/2.32.3",
                    "Go-http-client/2.0");

    private static final List<String> SEARCH_TEXTS =
            List.of("東京 ラーメン", "café crème", "naïve façade", "🍣 寿司", "Größe XL");

    private static final List<String> EMAIL_NAMES = List.of("josé.müller", "zoë.åström", "mika");

    private static final String KONG_VERSION = "3.9.1";

    private enum Outcome {
        PROXIED,
        RETRIED,
        SLOW,
        REJECTED
    }

    private final KongEntrySchemas schemas;
    private final DemoRandom random;
    private final SampleBodies bodies;
    private final List<KongCatalog> catalogs = new ArrayList<>();
    private final KongJsonWriter writer = new KongJsonWriter();
    private long clock = FIRST_STARTED_AT;

    /**
     * Creates a generator.
     *
     * @param schema the Kong log entry schema (schemas/kong-log-entry.avsc)
     * @param orgIds orgs that own the entries; each entry picks one at random
     * @param seed seed of all random choices
     * @throws IllegalArgumentException when the org list is empty or the schema lacks a field
     */
    public KongLogGenerator(Schema schema, List<String> orgIds, long seed) {
        Objects.requireNonNull(schema, "schema");
        if (orgIds.isEmpty()) {
            throw new IllegalArgumentException("orgIds must name at least one org");
        }
        this.schemas = new KongEntrySchemas(schema);
        this.random = new DemoRandom(seed);
        this.bodies = new SampleBodies(random);
        for (String orgId : orgIds) {
            catalogs.add(new KongCatalog(orgId, random, FIRST_STARTED_AT));
        }
    }

    /** Returns the next {@code count} entries. */
    public List<GeneratedKongEntry> next(int count) {
        List<GeneratedKongEntry> entries = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            entries.add(next());
        }
        return entries;
    }

    /** Returns the next entry. */
    public GeneratedKongEntry next() {
        Draft draft = new Draft(random.pick(catalogs));
        GenericData.Record entry = draft.build();
        Set<String> explicitNulls =
                random.chance(0.2) ? schemas.entityRecordNames() : Collections.emptySet();
        byte[] json = writer.write(entry, explicitNulls);
        return new GeneratedKongEntry(
                draft.catalog.orgId, json, entry, Collections.unmodifiableSet(draft.sensitive));
    }

    /** The state of one entry while it is built. */
    private final class Draft {
        final KongCatalog catalog;
        final Set<String> sensitive = new LinkedHashSet<>();
        final RouteDef route;
        final ServiceDef service;
        final Outcome outcome;
        final ConsumerDef consumer;
        final boolean https;
        final String method;
        final String requestId;
        final String clientIp;
        final long startedAt;

        Draft(KongCatalog catalog) {
            this.catalog = catalog;
            this.route = random.pick(catalog.routes);
            this.service = route.service();
            this.outcome = pickOutcome();
            this.consumer =
                    outcome != Outcome.REJECTED && random.chance(0.65)
                            ? random.pick(catalog.consumers)
                            : null;
            this.https = route.protocols().size() == 1 || random.chance(0.6);
            this.method = pickMethod();
            this.requestId = random.chance(0.9) ? random.hex(32) : "";
            this.clientIp = random.chance(0.8) ? random.privateIpv4() : random.documentationIpv6();
            this.startedAt = clock;
            clock += random.between(1, 250);
        }

        private Outcome pickOutcome() {
            int roll = random.nextInt(100);
            if (roll < 72) {
                return Outcome.PROXIED;
            }
            if (roll < 80) {
                return Outcome.RETRIED;
            }
            return roll < 86 ? Outcome.SLOW : Outcome.REJECTED;
        }

        private String pickMethod() {
            if (route.methods() != null) {
                return random.pick(route.methods());
            }
            return random.pick(List.of("GET", "GET", "GET", "POST", "PATCH", "DELETE"));
        }

        /** Adds a value of a marked field to the report and returns it. */
        String secret(String value) {
            if (value.length() >= MIN_REPORTED_LENGTH) {
                sensitive.add(value);
            }
            return value;
        }

        /**
         * Reports a body with tokens: a long one by the tokens it embeds, a short one whole. A body
         * without tokens (a Kong error message) is not reported.
         */
        String secret(SampleBodies.Body body) {
            if (body.embedded().isEmpty()) {
                return body.text();
            }
            if (body.text().length() <= MAX_REPORTED_LENGTH) {
                secret(body.text());
            } else {
                body.embedded().forEach(this::secret);
            }
            return body.text();
        }

        GenericData.Record build() {
            GenericData.Record entry = new GenericData.Record(schemas.entry);
            String resourceId = route.resourcePrefix() + random.token(10);
            String path = route.path() + "/" + resourceId;
            Query query = query();
            String uri = secret(query.appendTo(path));
            int port = https ? 8443 : 8000;
            String scheme = https ? "https" : "http";
            entry.put("org_id", utf8(catalog.orgId));
            entry.put(
                    "request",
                    request(uri, scheme + "://" + catalog.apiHost + ":" + port + uri, port, query));
            entry.put("response", response(resourceId));
            entry.put("route", routeRecord());
            entry.put(
                    "service",
                    outcome == Outcome.REJECTED && random.chance(0.5) ? null : serviceRecord());
            if (consumer != null) {
                entry.put("consumer", consumerRecord());
                entry.put("authenticated_entity", credentialRecord());
            }
            GenericData.Record latencies = latencies();
            entry.put("latencies", latencies);
            entry.put("tries", tries((Long) latencies.get("kong")));
            entry.put("client_ip", utf8(secret(clientIp)));
            entry.put("upstream_uri", utf8(upstreamUri(path, query)));
            entry.put("upstream_status", upstreamStatus(entry));
            entry.put("started_at", startedAt);
            entry.put(
                    "source",
                    new GenericData.EnumSymbol(
                            schemas.responseSource,
                            outcome == Outcome.REJECTED ? "kong" : "upstream"));
            entry.put("workspace", utf8(catalog.workspaceId));
            entry.put("workspace_name", random.chance(0.9) ? utf8(catalog.workspaceName) : null);
            if (random.chance(0.3)) {
                entry.put("trace_id", Map.of(utf8("w3c"), utf8(random.hex(32))));
            }
            if (random.chance(0.2)) {
                entry.put("correlation_id", utf8(random.uuid()));
            }
            return entry;
        }

        private Query query() {
            Query query = new Query();
            if (random.chance(0.5)) {
                query.add("email", secret("user-" + random.token(10) + "@example.com"));
            }
            if (random.chance(0.3)) {
                query.add("q", secret(random.pick(SEARCH_TEXTS) + " " + random.token(8)));
            }
            if (random.chance(0.25)) {
                query.flag(random.pick(List.of("debug", "pretty", "dry_run")));
            }
            if (random.chance(0.15)) {
                query.addRepeated(
                        "tag", List.of(utf8(secret("t-" + random.token(8))), Boolean.TRUE));
            }
            if (random.chance(0.1)) {
                query.addRepeated(
                        "id",
                        List.of(
                                utf8(secret("a_" + random.token(10))),
                                utf8(secret("b_" + random.token(10)))));
            }
            if (random.chance(0.2)) {
                query.add("cursor", "");
            }
            if (random.chance(0.3)) {
                query.add("page", Integer.toString(random.between(1, 9)));
            }
            return query;
        }

        private GenericData.Record request(String uri, String url, int port, Query query) {
            GenericData.Record request = new GenericData.Record(schemas.request);
            request.put("method", utf8(method));
            request.put("uri", utf8(uri));
            request.put("url", utf8(secret(url)));
            request.put("querystring", query.values);
            SampleBodies.Body body = requestBody();
            request.put("headers", requestHeaders(port, body));
            if (https) {
                GenericData.Record tls = new GenericData.Record(schemas.tls);
                tls.put("version", utf8(random.chance(0.8) ? "TLSv1.3" : "TLSv1.2"));
                tls.put(
                        "cipher",
                        utf8(
                                random.chance(0.8)
                                        ? "TLS_AES_256_GCM_SHA384"
                                        : "ECDHE-RSA-AES128-GCM-SHA256"));
                tls.put("client_verify", utf8("NONE"));
                request.put("tls", tls);
            }
            request.put("id", utf8(requestId));
            request.put("body", body == null ? null : utf8(secret(body)));
            int bodyBytes = body == null ? 0 : body.text().getBytes(StandardCharsets.UTF_8).length;
            request.put("size", (long) (uri.length() + random.between(180, 900) + bodyBytes));
            return request;
        }

        private SampleBodies.Body requestBody() {
            boolean hasBody =
                    method.equals("POST") || method.equals("PUT") || method.equals("PATCH");
            if (!hasBody || random.chance(0.2)) {
                return null;
            }
            return random.chance(0.04)
                    ? bodies.large(random.between(20_000, 60_000))
                    : bodies.smallRequest();
        }

        private Map<Utf8, Object> requestHeaders(int port, SampleBodies.Body body) {
            Map<Utf8, Object> headers = new LinkedHashMap<>();
            headers.put(utf8("host"), utf8(catalog.apiHost + ":" + port));
            headers.put(utf8("user-agent"), utf8(random.pick(USER_AGENTS)));
            if (random.chance(0.2)) {
                headers.put(utf8("accept"), List.of(utf8("application/json"), utf8("text/plain")));
            } else {
                headers.put(utf8("accept"), utf8("application/json"));
            }
            authorizationHeaders(headers);
            if (random.chance(0.6)) {
                String proxy = random.privateIpv4();
                if (random.chance(0.5)) {
                    headers.put(
                            utf8("x-forwarded-for"),
                            List.of(utf8(secret(clientIp)), utf8(secret(proxy))));
                } else {
                    headers.put(utf8("x-forwarded-for"), utf8(secret(clientIp + ", " + proxy)));
                }
            }
            if (random.chance(0.15)) {
                headers.put(
                        utf8("cookie"),
                        List.of(
                                utf8(secret("session=" + random.token(24))),
                                utf8(secret("prefs=" + random.token(12)))));
            } else if (random.chance(0.4)) {
                headers.put(
                        utf8("cookie"), utf8(secret("session=" + random.token(24) + "; lang=ja")));
            }
            if (random.chance(0.25)) {
                String email = random.pick(EMAIL_NAMES) + "-" + random.token(8) + "@example.com";
                headers.put(utf8("x-user-email"), utf8(secret(email)));
            }
            if (random.chance(0.1)) {
                headers.put(utf8("x-request-trace"), utf8(""));
            }
            if (body != null) {
                headers.put(utf8("content-type"), utf8("application/json"));
                headers.put(
                        utf8("content-length"),
                        utf8(
                                Integer.toString(
                                        body.text().getBytes(StandardCharsets.UTF_8).length)));
            }
            return headers;
        }

        /** Kong replaces authorization headers with REDACTED, but a key-auth key stays readable. */
        private void authorizationHeaders(Map<Utf8, Object> headers) {
            if (outcome == Outcome.REJECTED) {
                if (random.chance(0.5)) {
                    headers.put(utf8("apikey"), utf8(""));
                }
                return;
            }
            if (consumer == null) {
                return;
            }
            if (random.chance(0.5)) {
                headers.put(utf8("apikey"), utf8(secret(random.token(32))));
            } else {
                headers.put(utf8("authorization"), utf8("REDACTED"));
            }
        }

        private GenericData.Record response(String resourceId) {
            GenericData.Record response = new GenericData.Record(schemas.response);
            int status = status();
            response.put("status", status);
            SampleBodies.Body body = responseBody(resourceId, status);
            Map<Utf8, Object> headers = new LinkedHashMap<>();
            headers.put(utf8("content-type"), utf8("application/json; charset=utf-8"));
            int bodyBytes = body == null ? 0 : body.text().getBytes(StandardCharsets.UTF_8).length;
            headers.put(utf8("content-length"), utf8(Integer.toString(bodyBytes)));
            headers.put(utf8("via"), utf8("1.1 kong/" + KONG_VERSION));
            if (!requestId.isEmpty()) {
                headers.put(utf8("x-kong-request-id"), utf8(requestId));
            }
            if (outcome == Outcome.REJECTED) {
                if (status == 401) {
                    headers.put(utf8("www-authenticate"), utf8("Key"));
                }
            } else if (random.chance(0.2)) {
                headers.put(
                        utf8("set-cookie"),
                        List.of(
                                utf8(
                                        secret(
                                                "sid="
                                                        + random.token(24)
                                                        + "; Path=/; HttpOnly; Secure")),
                                utf8(secret("csrf=" + random.token(16) + "; Path=/"))));
            } else if (random.chance(0.1)) {
                headers.put(
                        utf8("set-cookie"),
                        utf8(secret("sid=" + random.token(24) + "; Path=/; HttpOnly")));
            }
            response.put("headers", headers);
            response.put("body", body == null ? null : utf8(secret(body)));
            response.put("size", (long) (bodyBytes + random.between(150, 400)));
            return response;
        }

        private int status() {
            return switch (outcome) {
                case REJECTED -> random.pick(List.of(401, 401, 403, 429));
                case RETRIED, SLOW -> 200;
                case PROXIED ->
                        method.equals("POST") ? 201 : random.pick(List.of(200, 200, 200, 204, 404));
            };
        }

        private SampleBodies.Body responseBody(String resourceId, int status) {
            if (outcome == Outcome.REJECTED) {
                return bodies.kongError(status, requestId);
            }
            if (status == 204 || random.chance(0.5)) {
                return null;
            }
            return random.chance(0.03)
                    ? bodies.large(random.between(20_000, 60_000))
                    : bodies.smallResponse(resourceId);
        }

        private GenericData.Record latencies() {
            GenericData.Record latencies = new GenericData.Record(schemas.latencies);
            long kong = random.between(0, 8);
            long proxy =
                    switch (outcome) {
                        case PROXIED -> random.between(5, 400);
                        case RETRIED -> random.between(30, 900);
                        case SLOW -> random.between(7_990, 12_000);
                        case REJECTED -> -1;
                    };
            Long receive = random.chance(0.9) ? (long) random.between(0, 3) : null;
            long totalMillis =
                    kong
                            + Math.max(proxy, 0)
                            + (receive == null ? 0 : receive)
                            + random.between(0, 3);
            latencies.put("kong", kong);
            latencies.put("proxy", proxy);
            latencies.put("request", requestLatency(totalMillis));
            latencies.put("receive", receive);
            return latencies;
        }

        /**
         * Kong computes the request latency as nginx's $request_time ("8.001", seconds with three
         * decimals) times 1000. The product can be 8000.999999999999, which 14 digits print as
         * 8001.
         */
        private double requestLatency(long millis) {
            String requestTime = String.format("%d.%03d", millis / 1000, millis % 1000);
            return asWritten(Double.parseDouble(requestTime) * 1000);
        }

        /** Returns the double that reading Kong's 14-digit JSON text of a value gives back. */
        private double asWritten(double value) {
            return Double.parseDouble(KongJsonWriter.cjsonNumber(value));
        }

        private List<GenericData.Record> tries(long kongLatency) {
            if (outcome == Outcome.REJECTED) {
                return null;
            }
            List<GenericData.Record> tries = new ArrayList<>();
            long balancerStart = startedAt + kongLatency;
            if (outcome == Outcome.RETRIED) {
                GenericData.Record failed = attempt(balancerStart);
                boolean timedOut = random.chance(0.3);
                failed.put("state", utf8(timedOut ? "failed" : "next"));
                failed.put("code", timedOut ? 504 : 502);
                tries.add(failed);
                balancerStart += random.between(5, 60);
            }
            tries.add(attempt(balancerStart));
            return tries;
        }

        private GenericData.Record attempt(long balancerStart) {
            GenericData.Record attempt = new GenericData.Record(schemas.attempt);
            attempt.put("balancer_start", balancerStart);
            attempt.put("balancer_start_ns", kongNanos(balancerStart));
            attempt.put("balancer_latency", (long) random.between(0, 2));
            attempt.put("balancer_latency_ns", 256L * random.between(40, 400));
            attempt.put("ip", utf8(secret(random.privateIpv4())));
            attempt.put("port", service.port());
            return attempt;
        }

        /**
         * Kong takes the try's start from a double of nanoseconds and writes it with 14 digits, as
         * a float such as 1.7410032001231e+18.
         */
        private double kongNanos(long millis) {
            double nanos = (double) (millis * 1_000_000L + random.nextLong(1_000_000));
            return asWritten(nanos);
        }

        private String upstreamUri(String path, Query query) {
            if (outcome == Outcome.REJECTED) {
                return "";
            }
            String stripped = path.substring(route.path().length());
            String base = service.path().equals("/") ? stripped : service.path() + stripped;
            return secret(query.appendTo(base));
        }

        private Object upstreamStatus(GenericData.Record entry) {
            int status = (Integer) ((GenericRecord) entry.get("response")).get("status");
            return switch (outcome) {
                case REJECTED -> utf8("");
                case RETRIED ->
                        utf8(
                                ((List<?>) entry.get("tries")).size() == 2
                                        ? (random.chance(0.3) ? "504, " : "502, ") + status
                                        : Integer.toString(status));
                default -> random.chance(0.05) ? (Object) status : utf8(Integer.toString(status));
            };
        }

        private GenericData.Record routeRecord() {
            GenericData.Record record = new GenericData.Record(schemas.route);
            record.put("id", utf8(route.id()));
            record.put("name", utf8(route.name()));
            record.put("created_at", route.createdAt());
            record.put("updated_at", route.createdAt());
            record.put("protocols", utf8List(route.protocols()));
            record.put("methods", route.methods() == null ? null : utf8List(route.methods()));
            record.put("paths", utf8List(List.of(route.path())));
            record.put("https_redirect_status_code", 426);
            record.put("regex_priority", 0);
            record.put("strip_path", true);
            record.put("preserve_host", false);
            record.put("request_buffering", true);
            record.put("response_buffering", true);
            record.put("path_handling", utf8("v0"));
            record.put("tags", new ArrayList<>());
            GenericData.Record serviceRef = new GenericData.Record(schemas.entityRef);
            serviceRef.put("id", utf8(service.id()));
            record.put("service", serviceRef);
            record.put("ws_id", utf8(catalog.workspaceId));
            return record;
        }

        private GenericData.Record serviceRecord() {
            GenericData.Record record = new GenericData.Record(schemas.service);
            record.put("id", utf8(service.id()));
            record.put("name", utf8(service.name()));
            record.put("created_at", service.createdAt());
            record.put("updated_at", service.createdAt());
            record.put("retries", service.retries());
            record.put("protocol", utf8(service.protocol()));
            record.put("host", utf8(service.host()));
            record.put("port", service.port());
            record.put("path", utf8(service.path()));
            record.put("connect_timeout", service.timeout());
            record.put("write_timeout", service.timeout());
            record.put("read_timeout", service.timeout());
            record.put("enabled", true);
            if (service.protocol().equals("https")) {
                record.put("tls_verify", true);
            }
            record.put("ws_id", utf8(catalog.workspaceId));
            return record;
        }

        private GenericData.Record consumerRecord() {
            GenericData.Record record = new GenericData.Record(schemas.consumer);
            record.put("id", utf8(consumer.id()));
            record.put("username", utf8(secret(consumer.username())));
            if (consumer.customId() != null) {
                record.put("custom_id", utf8(secret(consumer.customId())));
            }
            if (consumer.usernameLower() != null) {
                record.put("username_lower", utf8(secret(consumer.usernameLower())));
                record.put("type", 0);
            }
            record.put("created_at", consumer.createdAt());
            record.put("updated_at", consumer.createdAt());
            record.put("tags", consumer.tags() == null ? null : utf8List(consumer.tags()));
            record.put("ws_id", utf8(catalog.workspaceId));
            return record;
        }

        private GenericData.Record credentialRecord() {
            GenericData.Record record = new GenericData.Record(schemas.authenticatedEntity);
            record.put("id", utf8(consumer.credentialId()));
            record.put("consumer_id", utf8(consumer.id()));
            return record;
        }
    }

    /**
     * Query arguments in order, as Kong's {@code kong.request.get_query()} returns them, and the
     * raw query string that the client sent.
     */
    private static final class Query {
        final Map<Utf8, Object> values = new LinkedHashMap<>();
        final StringBuilder raw = new StringBuilder();

        void add(String key, String value) {
            values.put(utf8(key), utf8(value));
            append(key, value);
        }

        void flag(String key) {
            values.put(utf8(key), Boolean.TRUE);
            append(key, null);
        }

        /** Adds a repeated argument, where a {@code true} item is the bare key. */
        void addRepeated(String key, List<Object> items) {
            values.put(utf8(key), items);
            for (Object item : items) {
                append(key, item instanceof Utf8 text ? text.toString() : null);
            }
        }

        private void append(String key, String value) {
            if (raw.length() > 0) {
                raw.append('&');
            }
            raw.append(key);
            if (value != null) {
                raw.append('=').append(URLEncoder.encode(value, StandardCharsets.UTF_8));
            }
        }

        String appendTo(String path) {
            return raw.length() == 0 ? path : path + "?" + raw;
        }
    }

    private static Utf8 utf8(String value) {
        return new Utf8(value);
    }

    private static List<Utf8> utf8List(List<String> values) {
        List<Utf8> list = new ArrayList<>(values.size());
        values.forEach(value -> list.add(utf8(value)));
        return list;
    }
}
