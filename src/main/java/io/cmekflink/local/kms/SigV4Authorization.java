package io.cmekflink.local.kms;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The parsed {@code Authorization} header of an AWS Signature Version 4 request, and the check of
 * its signature.
 *
 * <p>The check recomputes the signature as the SigV4 specification defines it: canonical request
 * (method, URI path, sorted query, the signed headers with trimmed values, hex SHA-256 of the
 * body), string to sign with the {@code X-Amz-Date} and credential scope, and the HMAC-SHA256
 * signing key derived from the secret. It does not check the request time against the clock, and it
 * encodes the path as it arrives, which is right for KMS because every KMS request posts to {@code
 * /}.
 */
record SigV4Authorization(
        String accessKeyId,
        String date,
        String region,
        String service,
        List<String> signedHeaders,
        String signature) {

    private static final String ALGORITHM = "AWS4-HMAC-SHA256";
    private static final Pattern HEADER =
            Pattern.compile(
                    ALGORITHM
                            + "\\s+Credential=([^/\\s]+)/(\\d{8})/([^/\\s]+)/([^/\\s]+)/aws4_request"
                            + "\\s*,\\s*SignedHeaders=([^,\\s]+)\\s*,\\s*Signature=([0-9a-f]{64})\\s*");

    /** Returns the parsed header, or empty when it is not a SigV4 {@code Authorization} value. */
    static Optional<SigV4Authorization> parse(String header) {
        Matcher matcher = HEADER.matcher(header);
        if (!matcher.matches()) {
            return Optional.empty();
        }
        List<String> signedHeaders = Arrays.asList(matcher.group(5).split(";"));
        return Optional.of(
                new SigV4Authorization(
                        matcher.group(1),
                        matcher.group(2),
                        matcher.group(3),
                        matcher.group(4),
                        List.copyOf(signedHeaders),
                        matcher.group(6)));
    }

    /**
     * Returns whether the signature matches the request signed with the secret access key.
     *
     * @param headers request headers by name; the lookup must ignore case
     */
    boolean verify(
            String secretAccessKey,
            String method,
            String rawPath,
            String rawQuery,
            HeaderLookup headers,
            byte[] body) {
        Optional<String> amzDate = headers.first("x-amz-date");
        if (amzDate.isEmpty()) {
            return false;
        }
        String canonicalRequest = canonicalRequest(method, rawPath, rawQuery, headers, body);
        String scope = date + "/" + region + "/" + service + "/aws4_request";
        String stringToSign =
                ALGORITHM
                        + "\n"
                        + amzDate.get()
                        + "\n"
                        + scope
                        + "\n"
                        + sha256Hex(canonicalRequest);
        byte[] signingKey = hmac(("AWS4" + secretAccessKey).getBytes(StandardCharsets.UTF_8), date);
        signingKey = hmac(signingKey, region);
        signingKey = hmac(signingKey, service);
        signingKey = hmac(signingKey, "aws4_request");
        byte[] expected = hmac(signingKey, stringToSign);
        return MessageDigest.isEqual(
                HexFormat.of().formatHex(expected).getBytes(StandardCharsets.US_ASCII),
                signature.getBytes(StandardCharsets.US_ASCII));
    }

    /** Case-insensitive access to the request headers. */
    interface HeaderLookup {
        List<String> all(String name);

        default Optional<String> first(String name) {
            List<String> values = all(name);
            return values == null || values.isEmpty()
                    ? Optional.empty()
                    : Optional.of(values.get(0));
        }
    }

    private String canonicalRequest(
            String method, String rawPath, String rawQuery, HeaderLookup headers, byte[] body) {
        StringBuilder request = new StringBuilder();
        request.append(method).append('\n');
        request.append(rawPath == null || rawPath.isEmpty() ? "/" : rawPath).append('\n');
        request.append(canonicalQuery(rawQuery)).append('\n');
        for (String name : signedHeaders) {
            List<String> values = headers.all(name);
            List<String> trimmed = new ArrayList<>();
            if (values != null) {
                for (String value : values) {
                    trimmed.add(value.trim().replaceAll("\\s+", " "));
                }
            }
            request.append(name.toLowerCase(Locale.ROOT))
                    .append(':')
                    .append(String.join(",", trimmed))
                    .append('\n');
        }
        request.append('\n');
        request.append(String.join(";", signedHeaders)).append('\n');
        request.append(sha256Hex(body));
        return request.toString();
    }

    private static String canonicalQuery(String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return "";
        }
        List<String> pairs = new ArrayList<>();
        for (String pair : rawQuery.split("&")) {
            pairs.add(pair.contains("=") ? pair : pair + "=");
        }
        pairs.sort(null);
        return String.join("&", pairs);
    }

    private static String sha256Hex(String value) {
        return sha256Hex(value.getBytes(StandardCharsets.UTF_8));
    }

    private static String sha256Hex(byte[] value) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK provides no SHA-256", e);
        }
    }

    private static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK provides no HmacSHA256", e);
        }
    }
}
