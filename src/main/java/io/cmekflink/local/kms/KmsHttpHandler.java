package io.cmekflink.local.kms;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the KMS JSON 1.1 protocol: {@code POST /} with {@code X-Amz-Target:
 * TrentService.<Operation>}, a JSON body, and a JSON response or error with an {@code
 * x-amzn-RequestId} header.
 */
final class KmsHttpHandler implements HttpHandler {

    private static final Logger LOG = LoggerFactory.getLogger(KmsHttpHandler.class);
    private static final String TARGET_PREFIX = "TrentService.";
    private static final String CONTENT_TYPE = "application/x-amz-json-1.1";
    private static final String SIGNATURE_MISMATCH =
            "The request signature we calculated does not match the signature you provided."
                    + " Check your AWS Secret Access Key and signing method. Consult the service"
                    + " documentation for details.";

    /** A registered access key: its secret for signature checks and the account it belongs to. */
    record AccessKey(String secretAccessKey, String account) {}

    private record Response(int status, byte[] body, String outcome) {}

    private final KmsService service;
    private final FaultInjector faults;
    private final CallCounters counters;
    private final Function<String, AccessKey> accessKeys;
    private final BooleanSupplier verifySignatures;
    private final ScheduledExecutorService delayer;
    private final ObjectMapper mapper = new ObjectMapper();

    KmsHttpHandler(
            KmsService service,
            FaultInjector faults,
            CallCounters counters,
            Function<String, AccessKey> accessKeys,
            BooleanSupplier verifySignatures,
            ScheduledExecutorService delayer) {
        this.service = service;
        this.faults = faults;
        this.counters = counters;
        this.accessKeys = accessKeys;
        this.verifySignatures = verifySignatures;
        this.delayer = delayer;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        String requestId = UUID.randomUUID().toString();
        byte[] body = exchange.getRequestBody().readAllBytes();
        String operationName = operationName(exchange.getRequestHeaders());
        Optional<FaultInjector.OutageMode> outage = faults.outage();
        if (outage.isPresent() && outage.get() == FaultInjector.OutageMode.CLOSE_CONNECTION) {
            counters.record(operationName, CallCounters.CONNECTION_CLOSED);
            later(exchange::close);
            return;
        }
        Response response;
        if (outage.isPresent()) {
            response = serviceUnavailable();
        } else {
            response = process(exchange, body, operationName);
        }
        counters.record(operationName, response.outcome());
        later(() -> send(exchange, response, requestId));
    }

    private Response process(HttpExchange exchange, byte[] body, String operationName) {
        try {
            if (!exchange.getRequestMethod().equals("POST")) {
                throw new KmsRequestException(
                        KmsErrorType.UNKNOWN_OPERATION,
                        "The KMS emulator accepts only POST /, got "
                                + exchange.getRequestMethod()
                                + " "
                                + exchange.getRequestURI().getRawPath());
            }
            Caller caller = authenticate(exchange, body);
            KmsOperation operation =
                    KmsOperation.fromWireName(operationName)
                            .orElseThrow(() -> unknownOperation(operationName));
            Optional<KmsErrorType> injected = faults.injectedError(operation);
            if (injected.isPresent()) {
                throw new KmsRequestException(injected.get(), injectedMessage(injected.get()));
            }
            ObjectNode result = service.handle(operation, caller, parse(body));
            return new Response(200, mapper.writeValueAsBytes(result), CallCounters.SUCCESS);
        } catch (KmsRequestException e) {
            LOG.debug("{} failed with {}: {}", operationName, e.type().wireName(), e.getMessage());
            return error(e.type(), e.getMessage());
        } catch (IOException | RuntimeException e) {
            LOG.warn("{} failed with an unexpected exception", operationName, e);
            return error(KmsErrorType.KMS_INTERNAL, "The KMS emulator failed: " + e);
        }
    }

    private Caller authenticate(HttpExchange exchange, byte[] body) {
        Headers headers = exchange.getRequestHeaders();
        String header = headers.getFirst("Authorization");
        if (header == null) {
            throw new KmsRequestException(
                    KmsErrorType.MISSING_AUTHENTICATION_TOKEN, "Missing Authentication Token");
        }
        SigV4Authorization authorization =
                SigV4Authorization.parse(header)
                        .orElseThrow(
                                () ->
                                        new KmsRequestException(
                                                KmsErrorType.INVALID_SIGNATURE,
                                                "The Authorization header is not an"
                                                        + " AWS4-HMAC-SHA256 signature."));
        AccessKey accessKey = accessKeys.apply(authorization.accessKeyId());
        if (accessKey == null) {
            throw new KmsRequestException(
                    KmsErrorType.UNRECOGNIZED_CLIENT,
                    "The security token included in the request is invalid.");
        }
        if (!authorization.service().equals("kms")) {
            throw new KmsRequestException(
                    KmsErrorType.INVALID_SIGNATURE,
                    "Credential should be scoped to correct service: 'kms'.");
        }
        if (verifySignatures.getAsBoolean()
                && !authorization.verify(
                        accessKey.secretAccessKey(),
                        exchange.getRequestMethod(),
                        exchange.getRequestURI().getRawPath(),
                        exchange.getRequestURI().getRawQuery(),
                        headers::get,
                        body)) {
            throw new KmsRequestException(KmsErrorType.INVALID_SIGNATURE, SIGNATURE_MISMATCH);
        }
        return new Caller(accessKey.account(), authorization.region());
    }

    private JsonNode parse(byte[] body) {
        if (body.length == 0) {
            return mapper.createObjectNode();
        }
        try {
            JsonNode request = mapper.readTree(body);
            if (request == null || !request.isObject()) {
                throw new KmsRequestException(
                        KmsErrorType.SERIALIZATION, "The request body must be a JSON object.");
            }
            return request;
        } catch (JsonProcessingException e) {
            throw new KmsRequestException(
                    KmsErrorType.SERIALIZATION,
                    "The request body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Response error(KmsErrorType type, String message) {
        ObjectNode error = mapper.createObjectNode();
        error.put("__type", type.wireName());
        if (message != null) {
            error.put("message", message);
        }
        return new Response(
                type.httpStatus(),
                error.toString().getBytes(StandardCharsets.UTF_8),
                type.wireName());
    }

    private Response serviceUnavailable() {
        ObjectNode error = mapper.createObjectNode();
        error.put("__type", "ServiceUnavailableException");
        error.put("message", "The KMS emulator is in an injected outage.");
        return new Response(
                503,
                error.toString().getBytes(StandardCharsets.UTF_8),
                CallCounters.SERVICE_UNAVAILABLE);
    }

    /** Runs the action after the injected latency, on the delayer instead of a server thread. */
    private void later(Runnable action) {
        Duration latency = faults.latency();
        if (latency.isZero()) {
            action.run();
            return;
        }
        try {
            delayer.schedule(action, latency.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            action.run();
        }
    }

    private static void send(HttpExchange exchange, Response response, String requestId) {
        try (exchange) {
            Headers headers = exchange.getResponseHeaders();
            headers.set("Content-Type", CONTENT_TYPE);
            headers.set("x-amzn-RequestId", requestId);
            exchange.sendResponseHeaders(response.status(), response.body().length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(response.body());
            }
        } catch (IOException e) {
            LOG.debug("Could not send the response to request {}", requestId, e);
        }
    }

    private static String operationName(Headers headers) {
        String target = headers.getFirst("X-Amz-Target");
        if (target == null) {
            return "(no X-Amz-Target)";
        }
        return target.startsWith(TARGET_PREFIX) ? target.substring(TARGET_PREFIX.length()) : target;
    }

    private static KmsRequestException unknownOperation(String operationName) {
        return new KmsRequestException(
                KmsErrorType.UNKNOWN_OPERATION,
                "The KMS emulator does not support "
                        + operationName
                        + ". Supported operations: "
                        + Arrays.stream(KmsOperation.values()).map(KmsOperation::wireName).toList()
                        + ".");
    }

    private static String injectedMessage(KmsErrorType type) {
        return switch (type) {
            case THROTTLING ->
                    "You have exceeded the rate at which you may call KMS. Reduce the frequency"
                            + " of your calls.";
            case KMS_INTERNAL ->
                    "The request was rejected because an internal exception occurred (injected"
                            + " by the KMS emulator).";
            case DEPENDENCY_TIMEOUT ->
                    "The system timed out while trying to fulfill the request (injected by the KMS"
                            + " emulator).";
            case KEY_UNAVAILABLE ->
                    "The request was rejected because the KMS key was not available (injected by"
                            + " the KMS emulator).";
            default -> type.wireName() + " injected by the KMS emulator.";
        };
    }
}
