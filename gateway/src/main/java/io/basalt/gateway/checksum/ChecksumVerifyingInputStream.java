package io.basalt.gateway.checksum;

import io.basalt.core.data.BodyCheck;
import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Base64;
import java.util.function.Supplier;

/**
 * Computes a checksum over a request body and, when the body ends, compares it with the
 * value the client sent (a header, or a trailer only known at the end). A mismatch surfaces
 * as BadDigest before the caller can commit anything.
 */
public final class ChecksumVerifyingInputStream extends FilterInputStream implements BodyCheck.Deferrable {

    private final ChecksumAlgorithm algorithm;
    private final ChecksumAlgorithm.Digest digest;
    private final Supplier<String> expected;
    private String actual;
    private boolean deferred; // computed and checked by the reader (deferChecks)

    public ChecksumVerifyingInputStream(InputStream in, ChecksumAlgorithm algorithm, Supplier<String> expected) {
        super(in);
        this.algorithm = algorithm;
        this.digest = algorithm.newDigest();
        this.expected = expected;
    }

    /** The base64 checksum of the whole body; only once the stream has ended. */
    public String value() {
        return actual;
    }

    public ChecksumAlgorithm algorithm() {
        return algorithm;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (deferred) return n;
        if (n > 0) digest.update(b, off, n);
        if (n < 0 && actual == null) check();
        return n;
    }

    /** Hands over this checksum and those of the stream it wraps. */
    @Override
    public BodyCheck deferChecks() {
        deferred = true;
        BodyCheck inner = BodyCheck.deferFrom(in);
        return new BodyCheck() {
            @Override
            public void update(byte[] b, int off, int len) {
                inner.update(b, off, len);
                digest.update(b, off, len);
            }

            @Override
            public void finish() throws IOException {
                inner.finish();
                check();
            }
        };
    }

    private void check() {
        actual = Base64.getEncoder().encodeToString(digest.finish());
        String want = expected.get();
        if (want == null) {
            throw new S3Exception(
                    S3Error.INVALID_REQUEST, "The " + algorithm.header() + " trailer was declared but not sent.");
        }
        if (!want.trim().equals(actual)) {
            throw new S3Exception(
                    S3Error.BAD_DIGEST,
                    "The " + algorithm.name() + " you specified did not match the calculated checksum.");
        }
    }

    @Override
    public long skip(long n) throws IOException {
        throw new IOException("skip not supported on a verified body");
    }
}
