package io.cmekflink.local.kms;

/**
 * Error types that the emulator returns, with the {@code __type} name and HTTP status of the wire
 * response.
 *
 * <p>The status codes are the ones that the AWS SDK for Java 2.59.1 registers for the KMS modeled
 * exceptions: 400 for client faults, and 500 for {@code KMSInternalException}, {@code
 * DependencyTimeoutException} and {@code KeyUnavailableException}. A live-service {@code
 * DisabledException} quoted in a public Terraform test log (2017) carries 400 as well. The SDK maps
 * errors by {@code __type}, not by status. NOTE: other KMS emulators return 409 for {@code
 * DisabledException} and {@code KMSInvalidStateException}, citing the KMS API Reference; that page
 * was not checked here.
 *
 * <p>The errors that KMS shares with other AWS services ({@code AccessDeniedException}, {@code
 * ThrottlingException}, {@code ValidationException}, {@code UnrecognizedClientException}) have no
 * modeled class, so the SDK raises them as {@code KmsException} with that error code.
 */
public enum KmsErrorType {
    ACCESS_DENIED("AccessDeniedException", 400),
    ALREADY_EXISTS("AlreadyExistsException", 400),
    DEPENDENCY_TIMEOUT("DependencyTimeoutException", 500),
    DISABLED("DisabledException", 400),
    INCORRECT_KEY("IncorrectKeyException", 400),
    INVALID_CIPHERTEXT("InvalidCiphertextException", 400),
    INVALID_KEY_USAGE("InvalidKeyUsageException", 400),
    INVALID_SIGNATURE("InvalidSignatureException", 400),
    KEY_UNAVAILABLE("KeyUnavailableException", 500),
    KMS_INTERNAL("KMSInternalException", 500),
    KMS_INVALID_STATE("KMSInvalidStateException", 400),
    MISSING_AUTHENTICATION_TOKEN("MissingAuthenticationTokenException", 400),
    NOT_FOUND("NotFoundException", 400),
    SERIALIZATION("SerializationException", 400),
    THROTTLING("ThrottlingException", 400),
    UNKNOWN_OPERATION("UnknownOperationException", 400),
    UNRECOGNIZED_CLIENT("UnrecognizedClientException", 400),
    UNSUPPORTED_OPERATION("UnsupportedOperationException", 400),
    VALIDATION("ValidationException", 400);

    private final String wireName;
    private final int httpStatus;

    KmsErrorType(String wireName, int httpStatus) {
        this.wireName = wireName;
        this.httpStatus = httpStatus;
    }

    /** The {@code __type} value of the error response body, which the SDK reads as error code. */
    public String wireName() {
        return wireName;
    }

    public int httpStatus() {
        return httpStatus;
    }
}
