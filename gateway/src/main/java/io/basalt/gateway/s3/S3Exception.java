package io.basalt.gateway.s3;

/**
 * A request that ends in an S3 error. Unchecked, so it can surface from inside a body
 * InputStream (a signature or digest mismatch found mid-stream) and still abort the upload.
 */
public final class S3Exception extends RuntimeException {

    private final S3Error error;

    public S3Exception(S3Error error) {
        this(error, error.message());
    }

    public S3Exception(S3Error error, String message) {
        super(message, null, false, false);
        this.error = error;
    }

    public S3Error error() {
        return error;
    }
}
