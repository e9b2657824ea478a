package io.cmekflink.local.kms;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Raw HTTP requests that no SDK sends: the protocol errors of the JSON 1.1 front end. */
class KmsEmulatorWireTest {

    private static final String UNSIGNED_AUTHORIZATION =
            "AWS4-HMAC-SHA256 Credential="
                    + KmsEmulator.DEFAULT_ACCESS_KEY_ID
                    + "/20260101/us-west-2/kms/aws4_request, SignedHeaders=host;x-amz-date,"
                    + " Signature="
                    + "0".repeat(64);

    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper mapper = new ObjectMapper();
    private KmsEmulator emulator;

    @BeforeEach
    void start() {
        emulator = KmsEmulator.start();
    }

    @AfterEach
    void stop() {
        emulator.close();
    }

    @Test
    void missingAuthorizationRejected() throws Exception {
        HttpResponse<String> response = post("TrentService.CreateKey", null, "{}");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(type(response)).isEqualTo("MissingAuthenticationTokenException");
        assertThat(response.headers().firstValue("x-amzn-RequestId"))
                .hasValueSatisfying(id -> assertThat(id).matches(KmsAssertions.REQUEST_ID_PATTERN));
    }

    @Test
    void badSignatureRejected() throws Exception {
        HttpResponse<String> response =
                post("TrentService.CreateKey", UNSIGNED_AUTHORIZATION, "{}");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(type(response)).isEqualTo("InvalidSignatureException");
    }

    @Test
    void unknownOperationRejected() throws Exception {
        emulator.setSignatureVerification(false);

        HttpResponse<String> response =
                post("TrentService.CreateAlias", UNSIGNED_AUTHORIZATION, "{}");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(type(response)).isEqualTo("UnknownOperationException");
        assertThat(message(response)).contains("CreateAlias").contains("GenerateDataKey");
    }

    @Test
    void malformedJsonRejected() throws Exception {
        emulator.setSignatureVerification(false);

        HttpResponse<String> response =
                post("TrentService.CreateKey", UNSIGNED_AUTHORIZATION, "{\"Description\":");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(type(response)).isEqualTo("SerializationException");
    }

    @Test
    void wrongMemberTypeRejected() throws Exception {
        emulator.setSignatureVerification(false);

        HttpResponse<String> response =
                post("TrentService.CreateKey", UNSIGNED_AUTHORIZATION, "{\"Description\":7}");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(type(response)).isEqualTo("SerializationException");
    }

    @Test
    void getRequestRejected() throws Exception {
        HttpRequest request =
                HttpRequest.newBuilder(URI.create(emulator.endpoint() + "/")).GET().build();

        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(type(response)).isEqualTo("UnknownOperationException");
    }

    @Test
    void successResponseHeaders() throws Exception {
        emulator.setSignatureVerification(false);

        HttpResponse<String> response =
                post("TrentService.CreateKey", UNSIGNED_AUTHORIZATION, "{}");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type"))
                .hasValue("application/x-amz-json-1.1");
        assertThat(
                        mapper.readTree(response.body())
                                .path("KeyMetadata")
                                .path("AWSAccountId")
                                .asText())
                .isEqualTo(KmsEmulator.DEFAULT_ACCOUNT);
    }

    private HttpResponse<String> post(String target, String authorization, String body)
            throws IOException, InterruptedException {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(emulator.endpoint())
                        .header("X-Amz-Target", target)
                        .header("Content-Type", "application/x-amz-json-1.1")
                        .header("X-Amz-Date", "20260101T000000Z")
                        .POST(HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private String type(HttpResponse<String> response) throws IOException {
        JsonNode error = mapper.readTree(response.body());
        return error.path("__type").asText();
    }

    private String message(HttpResponse<String> response) throws IOException {
        return mapper.readTree(response.body()).path("message").asText();
    }
}
