package io.basalt.gateway.auth;

import io.basalt.core.data.BodyCheck;
import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * A body whose SHA-256 was signed: the digest is checked when the stream ends, before the
 * caller can commit anything, and a mismatch surfaces as XAmzContentSHA256Mismatch.
 */
final class Sha256CheckingInputStream extends FilterInputStream implements BodyCheck.Deferrable {

    private final MessageDigest digest = Hashing.sha256();
    private final String expectedHex;
    private boolean checked;
    private boolean deferred; // hashed and checked by the reader (deferChecks)

    Sha256CheckingInputStream(InputStream in, String expectedHex) {
        super(in);
        this.expectedHex = expectedHex.toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (deferred) return n;
        if (n > 0) digest.update(b, off, n);
        if (n < 0 && !checked) check();
        return n;
    }

    @Override
    public BodyCheck deferChecks() {
        deferred = true;
        return new BodyCheck() {
            @Override
            public void update(byte[] b, int off, int len) {
                digest.update(b, off, len);
            }

            @Override
            public void finish() {
                check();
            }
        };
    }

    private void check() {
        checked = true;
        if (!Hashing.sameSignature(expectedHex, Hashing.hex(digest.digest())))
            throw new S3Exception(S3Error.SHA256_MISMATCH);
    }

    @Override
    public long skip(long n) throws IOException {
        throw new IOException("skip not supported on a verified body");
    }
}
