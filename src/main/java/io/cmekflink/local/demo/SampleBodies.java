package io.cmekflink.local.demo;

import java.util.ArrayList;
import java.util.List;

/**
 * JSON request and response bodies for generated entries. Apart from Kong's error bodies, every
 * body embeds random tokens in personal data (e-mail addresses, card tokens, free text with
 * non-ASCII characters), and the tokens are returned with the text.
 */
final class SampleBodies {

    /** A body and the sensitive strings it embeds. */
    record Body(String text, List<String> embedded) {}

    private static final List<String> NAMES =
            List.of("José Müller", "山田 花子", "Zoë Åström", "Ngozi Okafor", "Łukasz Wiśniewski");

    private static final List<String> NOTES =
            List.of(
                    "配達は午前中にお願いします",
                    "Livraison après 18h, sonnez deux fois",
                    "Bitte nicht knicken 📦",
                    "leave at the front desk",
                    "🎉 birthday gift, no receipt");

    private final DemoRandom random;

    SampleBodies(DemoRandom random) {
        this.random = random;
    }

    /** Returns an order-like request body of a few hundred bytes. */
    Body smallRequest() {
        List<String> embedded = new ArrayList<>();
        String email = embed(embedded, "buyer-" + random.token(10) + "@example.com");
        String card = embed(embedded, "tok_" + random.token(16));
        String note = embed(embedded, random.pick(NOTES) + " #" + random.token(8));
        String text =
                "{\"customer\":{\"name\":\""
                        + random.pick(NAMES)
                        + "\",\"email\":\""
                        + email
                        + "\"},\"payment\":{\"card_token\":\""
                        + card
                        + "\",\"last4\":\""
                        + random.between(1000, 9999)
                        + "\"},\"note\":\""
                        + note
                        + "\",\"items\":"
                        + random.between(1, 9)
                        + "}";
        return new Body(text, embedded);
    }

    /** Returns a response body of a few hundred bytes. */
    Body smallResponse(String resourceId) {
        List<String> embedded = new ArrayList<>();
        String contact = embed(embedded, "contact-" + random.token(10) + "@example.org");
        String text =
                "{\"id\":\""
                        + resourceId
                        + "\",\"status\":\"accepted\",\"contact\":\""
                        + contact
                        + "\",\"eta_days\":"
                        + random.between(1, 14)
                        + "}";
        return new Body(text, embedded);
    }

    /** Returns the JSON error body that Kong sends when it rejects a request, without tokens. */
    Body kongError(int status, String requestId) {
        String message =
                switch (status) {
                    case 401 -> "No API key found in request";
                    case 403 -> "You cannot consume this service";
                    case 429 -> "API rate limit exceeded";
                    default -> "An unexpected error occurred";
                };
        String text =
                requestId.isEmpty()
                        ? "{\"message\":\"" + message + "\"}"
                        : "{\"message\":\"" + message + "\",\"request_id\":\"" + requestId + "\"}";
        return new Body(text, List.of());
    }

    /**
     * Returns an export-like body of at least {@code minChars} characters: an array of records with
     * one e-mail address and one note token each.
     */
    Body large(int minChars) {
        List<String> embedded = new ArrayList<>();
        StringBuilder text = new StringBuilder(minChars + 256).append("{\"rows\":[");
        for (int row = 0; text.length() < minChars; row++) {
            if (row > 0) {
                text.append(',');
            }
            String email = embed(embedded, "row-" + random.token(10) + "@example.net");
            String note = embed(embedded, random.pick(NOTES) + " " + random.token(10));
            text.append("{\"n\":")
                    .append(row)
                    .append(",\"name\":\"")
                    .append(random.pick(NAMES))
                    .append("\",\"email\":\"")
                    .append(email)
                    .append("\",\"note\":\"")
                    .append(note)
                    .append("\"}");
        }
        return new Body(text.append("]}").toString(), embedded);
    }

    private static String embed(List<String> embedded, String value) {
        embedded.add(value);
        return value;
    }
}
