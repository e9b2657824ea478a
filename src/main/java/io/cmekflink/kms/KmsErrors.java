package io.cmekflink.kms;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;

/** Maps exceptions of the AWS SDK's KMS client to {@link KmsErrorKind}. */
public final class KmsErrors {

    private KmsErrors() {}

    /** Removes the wrappers that futures add around the exception that a call raised. */
    public static Throwable unwrap(Throwable t) {
        Throwable current = t;
        while ((current instanceof CompletionException || current instanceof ExecutionException)
                && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }

    /** Classifies a failed call by the error code KMS returned, or by the client-side failure. */
    public static KmsErrorKind classify(Throwable failure) {
        Throwable t = unwrap(failure);
        if (t instanceof KmsCallException e) {
            return e.kind();
        }
        if (t instanceof AwsServiceException e) {
            return classifyService(e);
        }
        if (t instanceof SdkClientException || t instanceof TimeoutException) {
            // No answer from KMS: connection refused or reset, timeouts, a full connection pool.
            return KmsErrorKind.UNAVAILABLE;
        }
        if (t instanceof java.io.IOException) {
            return KmsErrorKind.UNAVAILABLE;
        }
        return KmsErrorKind.INTERNAL;
    }

    private static KmsErrorKind classifyService(AwsServiceException e) {
        String code = errorCode(e);
        if (e.isThrottlingException()) {
            return KmsErrorKind.THROTTLED;
        }
        switch (code == null ? "" : code) {
            case "DisabledException":
                return KmsErrorKind.DISABLED;
            case "KMSInvalidStateException":
                return invalidState(e.getMessage());
            case "NotFoundException":
                return KmsErrorKind.NOT_FOUND;
            case "AccessDeniedException":
            case "UnrecognizedClientException":
            case "InvalidSignatureException":
            case "IncompleteSignature":
            case "ExpiredTokenException":
            case "MissingAuthenticationTokenException":
                return KmsErrorKind.ACCESS_DENIED;
            case "InvalidKeyUsageException":
                return KmsErrorKind.INVALID_KEY_USAGE;
            case "InvalidCiphertextException":
                return KmsErrorKind.INVALID_CIPHERTEXT;
            case "IncorrectKeyException":
                return KmsErrorKind.KEY_MISMATCH;
            case "ThrottlingException":
            case "TooManyRequestsException":
                return KmsErrorKind.THROTTLED;
            case "KMSInternalException":
            case "KeyUnavailableException":
            case "DependencyTimeoutException":
            case "ServiceUnavailableException":
            case "InternalFailure":
                return KmsErrorKind.UNAVAILABLE;
            default:
                return e.statusCode() >= 500 ? KmsErrorKind.UNAVAILABLE : KmsErrorKind.INTERNAL;
        }
    }

    /**
     * KMS answers {@code KMSInvalidStateException} for a key pending deletion, and also for keys
     * pending import or in an unavailable custom key store; only the message tells them apart.
     */
    private static KmsErrorKind invalidState(String message) {
        if (message != null && message.toLowerCase(java.util.Locale.ROOT).contains("pending")) {
            return KmsErrorKind.PENDING_DELETION;
        }
        return KmsErrorKind.DISABLED;
    }

    /** The {@code __type} of a KMS error response, or {@code null}. */
    public static String errorCode(Throwable failure) {
        Throwable t = unwrap(failure);
        if (t instanceof KmsCallException e) {
            return e.awsErrorCode();
        }
        if (t instanceof AwsServiceException e && e.awsErrorDetails() != null) {
            return e.awsErrorDetails().errorCode();
        }
        return null;
    }

    /** The request id of a KMS error response, or {@code null}. */
    public static String requestId(Throwable failure) {
        Throwable t = unwrap(failure);
        if (t instanceof KmsCallException e) {
            return e.requestId();
        }
        if (t instanceof AwsServiceException e) {
            return e.requestId();
        }
        return null;
    }

    /** A short description of a failure for messages and logs, without the stack trace. */
    public static String describe(Throwable failure) {
        Throwable t = unwrap(failure);
        String message = t.getMessage();
        return t.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }
}
