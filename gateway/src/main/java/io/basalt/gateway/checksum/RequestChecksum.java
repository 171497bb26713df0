package io.basalt.gateway.checksum;

import io.basalt.gateway.auth.AwsChunkedInputStream;
import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import io.basalt.gateway.s3.S3Request;
import java.io.InputStream;
import java.util.Base64;

/**
 * The checksum a PUT or UploadPart carries, as a header ({@code x-amz-checksum-crc32: ...}) or
 * declared by {@code x-amz-trailer} and sent after an aws-chunked body. A request may carry one.
 * {@code x-amz-sdk-checksum-algorithm} alone only names what the SDK used; it is not a value.
 */
public final class RequestChecksum {

    private RequestChecksum() {}

    /** Wraps the body so its checksum is verified at the end; returns it unchanged when none was sent. */
    public static InputStream wrap(S3Request req) {
        InputStream body = req.body();
        String trailer = req.header("x-amz-trailer");
        if (trailer != null && !trailer.isBlank()) {
            ChecksumAlgorithm alg = ChecksumAlgorithm.fromHeader(trailer.trim());
            if (alg == null) throw new S3Exception(S3Error.INVALID_REQUEST, "Unsupported x-amz-trailer: " + trailer);
            if (!(body instanceof AwsChunkedInputStream chunked)) {
                throw new S3Exception(S3Error.INVALID_REQUEST, "x-amz-trailer requires an aws-chunked body");
            }
            return new ChecksumVerifyingInputStream(
                    body, alg, () -> chunked.trailers().get(alg.header()));
        }
        ChecksumVerifyingInputStream found = null;
        for (ChecksumAlgorithm alg : ChecksumAlgorithm.values()) {
            String value = req.header(alg.header());
            if (value == null) continue;
            if (found != null)
                throw new S3Exception(S3Error.INVALID_REQUEST, "Expecting a single x-amz-checksum- header.");
            validateFormat(alg, value);
            found = new ChecksumVerifyingInputStream(body, alg, () -> value);
        }
        return found != null ? found : body;
    }

    private static void validateFormat(ChecksumAlgorithm alg, String value) {
        int expectedBytes = alg.newDigest().finish().length;
        try {
            if (Base64.getDecoder().decode(value.trim()).length == expectedBytes) return;
        } catch (IllegalArgumentException bad) {
            // fall through
        }
        throw new S3Exception(S3Error.INVALID_REQUEST, "Value for " + alg.header() + " header is invalid.");
    }
}
