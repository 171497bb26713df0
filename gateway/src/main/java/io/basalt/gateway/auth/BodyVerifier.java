package io.basalt.gateway.auth;

import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import java.io.InputStream;

/** Wraps a request body according to how its payload was signed (x-amz-content-sha256). */
public final class BodyVerifier {

    private BodyVerifier() {}

    public static InputStream wrap(InputStream raw, SigV4.Verified auth) {
        String mode = auth.payloadHash();
        return switch (mode) {
            case "UNSIGNED-PAYLOAD" -> raw;
            case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" -> new AwsChunkedInputStream(raw, auth, false);
            case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" -> new AwsChunkedInputStream(raw, auth, true);
            case "STREAMING-UNSIGNED-PAYLOAD-TRAILER" -> new AwsChunkedInputStream(raw, null, true);
            default -> {
                if (mode.length() == 64 && mode.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
                    yield new Sha256CheckingInputStream(raw, mode);
                }
                throw new S3Exception(S3Error.INVALID_ARGUMENT, "Unsupported x-amz-content-sha256: " + mode);
            }
        };
    }
}
