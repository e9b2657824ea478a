package io.cmekflink.local.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.concurrent.CompletionException;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import software.amazon.awssdk.awscore.exception.AwsServiceException;

/** Assertions on the SDK exceptions that emulator errors surface as. */
final class KmsAssertions {

    static final String REQUEST_ID_PATTERN =
            "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

    private KmsAssertions() {}

    /**
     * Asserts that the call fails with exactly this SDK exception class, error code, HTTP status
     * and a request id, and returns the exception. A {@link CompletionException} from an async
     * client's {@code join()} is unwrapped.
     */
    static <T extends AwsServiceException> T assertKmsError(
            Class<T> type, String errorCode, int httpStatus, ThrowingCallable call) {
        Throwable thrown = catchThrowable(call);
        if (thrown instanceof CompletionException) {
            thrown = thrown.getCause();
        }
        assertThat(thrown).isExactlyInstanceOf(type);
        T exception = type.cast(thrown);
        assertThat(exception.awsErrorDetails().errorCode()).isEqualTo(errorCode);
        assertThat(exception.statusCode()).isEqualTo(httpStatus);
        assertThat(exception.requestId()).matches(REQUEST_ID_PATTERN);
        return exception;
    }
}
