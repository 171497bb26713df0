package io.basalt.gateway.auth;

import io.basalt.core.data.BodyCheck;
import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import java.security.MessageDigest;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The signature chain of a signed aws-chunked body: each chunk's signature covers its SHA-256 and
 * the previous signature. The decoder announces each chunk (size, signature) as its header is read,
 * before its data; the data comes through {@link #update}, on the decoder's thread or on the thread
 * that hashes the stripes, and each chunk is verified as its last byte arrives.
 */
final class SignedChunks implements BodyCheck {

    private record Chunk(long size, String signature) {}

    private record Trailer(String signedPart, String signature) {}

    private final SigV4.Verified auth;
    private final Queue<Chunk> announced = new ConcurrentLinkedQueue<>();
    private final MessageDigest digest = Hashing.sha256();
    private volatile Trailer trailer;
    private String previousSignature;
    private Chunk current;
    private long left;

    SignedChunks(SigV4.Verified auth) {
        this.auth = auth;
        this.previousSignature = auth.signature();
    }

    /** A chunk header was read; its data follows. */
    void announce(long size, String signature) {
        announced.add(new Chunk(size, signature));
    }

    /** The trailing headers were read, with their signature. */
    void announceTrailer(String signedPart, String signature) {
        trailer = new Trailer(signedPart, signature);
    }

    @Override
    public void update(byte[] b, int off, int len) {
        while (len > 0) {
            if (current == null) {
                current = announced.poll();
                if (current == null) throw new IllegalStateException("chunk data before its header");
                left = current.size();
            }
            int n = (int) Math.min(left, len);
            digest.update(b, off, n);
            off += n;
            len -= n;
            left -= n;
            if (left == 0) {
                verify(current);
                current = null;
            }
        }
    }

    /** Verifies the final, empty chunk and the trailer's signature. */
    @Override
    public void finish() {
        if (current != null) throw new IllegalStateException("body ended inside a chunk");
        for (Chunk c; (c = announced.poll()) != null; ) verify(c);
        Trailer t = trailer;
        if (t == null) return;
        String toSign = "AWS4-HMAC-SHA256-TRAILER\n" + auth.amzDate() + "\n" + auth.scope() + "\n" + previousSignature
                + "\n" + Hashing.sha256Hex(t.signedPart());
        String expected = Hashing.hex(Hashing.hmac(auth.signingKey(), toSign));
        if (!Hashing.sameSignature(expected, t.signature())) {
            throw new S3Exception(S3Error.SIGNATURE_DOES_NOT_MATCH, "trailer signature mismatch");
        }
    }

    private void verify(Chunk c) {
        String toSign = "AWS4-HMAC-SHA256-PAYLOAD\n" + auth.amzDate() + "\n" + auth.scope() + "\n" + previousSignature
                + "\n" + Hashing.EMPTY_SHA256 + "\n" + Hashing.hex(digest.digest());
        String expected = Hashing.hex(Hashing.hmac(auth.signingKey(), toSign));
        if (!Hashing.sameSignature(expected, c.signature())) {
            throw new S3Exception(S3Error.SIGNATURE_DOES_NOT_MATCH, "chunk signature mismatch");
        }
        previousSignature = expected;
    }
}
