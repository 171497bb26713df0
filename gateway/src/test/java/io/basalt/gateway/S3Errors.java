package io.basalt.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.function.Executable;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** Asserts the S3 error answer an SDK call gets. */
final class S3Errors {

    private S3Errors() {}

    /** {@code call} fails with HTTP {@code status} and S3 error {@code code}; the SDK's exception for more checks. */
    static S3Exception fails(int status, String code, Executable call) {
        S3Exception e = assertThrows(S3Exception.class, call);
        assertEquals(status, e.statusCode(), code);
        assertEquals(code, e.awsErrorDetails().errorCode());
        return e;
    }
}
