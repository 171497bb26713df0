package io.basalt.gateway.auth;

import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Decodes an {@code aws-chunked} body: {@code hex-size[;chunk-signature=sig]\r\n data \r\n ...},
 * a final zero-size chunk, then optional trailing headers. With a signed stream every chunk's
 * signature continues the chain from the request's seed signature and is verified as the
 * chunk ends; with trailers, their signature too. The data is passed on as it arrives: the
 * caller commits nothing until the stream has ended cleanly.
 */
public final class AwsChunkedInputStream extends InputStream {

    private static final int MAX_LINE = 4096;

    private final InputStream in;
    private final SigV4.Verified auth; // null: unsigned chunks
    private final boolean trailer;
    private final MessageDigest chunkDigest = Hashing.sha256();
    private final Map<String, String> trailers = new LinkedHashMap<>();
    private String previousSignature;
    private String chunkSignature;
    private long remaining;
    private boolean inChunk;
    private boolean eof;
    private boolean readingTrailers;

    public AwsChunkedInputStream(InputStream in, SigV4.Verified auth, boolean trailer) {
        this.in = in;
        this.auth = auth;
        this.trailer = trailer;
        this.previousSignature = auth == null ? null : auth.signature();
    }

    /** Trailing headers (e.g. x-amz-checksum-crc32c), available once the stream has ended. */
    public Map<String, String> trailers() {
        return trailers;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) return 0;
        while (!eof && remaining == 0) nextChunk();
        if (eof) return -1;
        int n = in.read(b, off, (int) Math.min(len, remaining));
        if (n < 0) throw new S3Exception(S3Error.INCOMPLETE_BODY);
        if (auth != null) chunkDigest.update(b, off, n);
        remaining -= n;
        return n;
    }

    private void nextChunk() throws IOException {
        if (inChunk) {
            expectCrlf();
            verifyChunk();
            inChunk = false;
        }
        String header = readLine();
        int semi = header.indexOf(';');
        String hexSize = (semi < 0 ? header : header.substring(0, semi)).trim();
        long size;
        try {
            size = Long.parseLong(hexSize, 16);
        } catch (NumberFormatException e) {
            throw malformed("bad chunk size '" + hexSize + "'");
        }
        if (size < 0) throw malformed("negative chunk size");
        chunkSignature = null;
        if (semi >= 0) {
            String ext = header.substring(semi + 1).trim();
            if (ext.startsWith("chunk-signature=")) chunkSignature = ext.substring("chunk-signature=".length());
        }
        if (auth != null && chunkSignature == null)
            throw new S3Exception(S3Error.SIGNATURE_DOES_NOT_MATCH, "chunk without signature");
        if (size == 0) {
            verifyChunk(); // the final, empty chunk is signed too
            if (trailer) readTrailers();
            else expectCrlf();
            eof = true;
            return;
        }
        remaining = size;
        inChunk = true;
    }

    private void verifyChunk() {
        if (auth == null) return;
        String toSign = "AWS4-HMAC-SHA256-PAYLOAD\n" + auth.amzDate() + "\n" + auth.scope() + "\n" + previousSignature
                + "\n" + Hashing.EMPTY_SHA256 + "\n" + Hashing.hex(chunkDigest.digest());
        String expected = Hashing.hex(Hashing.hmac(auth.signingKey(), toSign));
        if (!Hashing.sameSignature(expected, chunkSignature)) {
            throw new S3Exception(S3Error.SIGNATURE_DOES_NOT_MATCH, "chunk signature mismatch");
        }
        previousSignature = expected;
    }

    private void readTrailers() throws IOException {
        StringBuilder signedPart = new StringBuilder();
        String trailerSignature = null;
        readingTrailers = true;
        while (true) {
            String line = readLine();
            if (line.isEmpty()) break;
            int colon = line.indexOf(':');
            if (colon <= 0) throw malformed("bad trailer line");
            String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).trim();
            if (name.equals("x-amz-trailer-signature")) {
                trailerSignature = value;
            } else {
                trailers.put(name, value);
                signedPart.append(name).append(':').append(value).append('\n');
            }
        }
        if (auth != null) {
            if (trailerSignature == null)
                throw new S3Exception(S3Error.SIGNATURE_DOES_NOT_MATCH, "missing trailer signature");
            String toSign = "AWS4-HMAC-SHA256-TRAILER\n" + auth.amzDate() + "\n" + auth.scope() + "\n"
                    + previousSignature + "\n" + Hashing.sha256Hex(signedPart.toString());
            String expected = Hashing.hex(Hashing.hmac(auth.signingKey(), toSign));
            if (!Hashing.sameSignature(expected, trailerSignature)) {
                throw new S3Exception(S3Error.SIGNATURE_DOES_NOT_MATCH, "trailer signature mismatch");
            }
        }
    }

    private void expectCrlf() throws IOException {
        if (!readLine().isEmpty()) throw malformed("chunk not followed by CRLF");
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(96);
        while (true) {
            int c = in.read();
            if (c < 0) {
                if (line.size() == 0 && readingTrailers) break; // tolerate a missing final CRLF
                throw new S3Exception(S3Error.INCOMPLETE_BODY);
            }
            if (c == '\n') break;
            if (line.size() >= MAX_LINE) throw malformed("line too long");
            line.write(c);
        }
        String s = line.toString(StandardCharsets.US_ASCII);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    private static S3Exception malformed(String why) {
        return new S3Exception(S3Error.INCOMPLETE_BODY, "malformed aws-chunked body: " + why);
    }
}
