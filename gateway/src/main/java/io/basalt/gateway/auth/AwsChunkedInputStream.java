package io.basalt.gateway.auth;

import io.basalt.core.data.BodyCheck;
import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Decodes an {@code aws-chunked} body: {@code hex-size[;chunk-signature=sig]\r\n data \r\n ...},
 * a final zero-size chunk, then optional trailing headers. With a signed stream every chunk's
 * signature continues the chain from the request's seed signature and is verified as the
 * chunk ends; with trailers, their signature too. The data is passed on as it arrives: the
 * caller commits nothing until the stream has ended cleanly. A reader that hashes elsewhere
 * (the encoder's hashing thread) takes the signature checks over with {@link #deferChecks}.
 */
public final class AwsChunkedInputStream extends InputStream implements BodyCheck.Deferrable {

    private static final int MAX_LINE = 4096;
    /** Clients send one or two trailers (a checksum, its signature); a stream of them only eats memory. */
    static final int MAX_TRAILERS = 16;

    private final InputStream in;
    private final boolean trailer;
    private final SignedChunks signed; // null: unsigned chunks
    private final Map<String, String> trailers = new LinkedHashMap<>();
    private boolean deferred; // the chunk signatures are checked by the reader (deferChecks)
    private boolean started;
    private String chunkSignature;
    private long remaining;
    private boolean inChunk;
    private boolean eof;
    private boolean readingTrailers;

    public AwsChunkedInputStream(InputStream in, SigV4.Verified auth, boolean trailer) {
        this.in = in;
        this.trailer = trailer;
        this.signed = auth == null ? null : new SignedChunks(auth);
    }

    @Override
    public BodyCheck deferChecks() {
        if (started) throw new IllegalStateException("checks are deferred before the first read");
        deferred = true;
        return signed == null ? BodyCheck.NONE : signed;
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
        started = true;
        while (!eof && remaining == 0) nextChunk();
        if (eof) return -1;
        int n = in.read(b, off, (int) Math.min(len, remaining));
        if (n < 0) throw new S3Exception(S3Error.INCOMPLETE_BODY);
        if (signed != null && !deferred) signed.update(b, off, n); // verifies the chunk as it ends
        remaining -= n;
        return n;
    }

    private void nextChunk() throws IOException {
        if (inChunk) {
            expectCrlf();
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
        if (signed != null && chunkSignature == null)
            throw new S3Exception(S3Error.SIGNATURE_DOES_NOT_MATCH, "chunk without signature");
        if (signed != null) signed.announce(size, chunkSignature); // the final, empty chunk is signed too
        if (size == 0) {
            if (trailer) readTrailers();
            else expectCrlf();
            eof = true;
            if (signed != null && !deferred) signed.finish();
            return;
        }
        remaining = size;
        inChunk = true;
    }

    private void readTrailers() throws IOException {
        StringBuilder signedPart = new StringBuilder();
        String trailerSignature = null;
        readingTrailers = true;
        for (int lines = 0; ; lines++) {
            String line = readLine();
            if (line.isEmpty()) break;
            if (lines == MAX_TRAILERS) throw malformed("more than " + MAX_TRAILERS + " trailer lines");
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
        if (signed != null) {
            if (trailerSignature == null)
                throw new S3Exception(S3Error.SIGNATURE_DOES_NOT_MATCH, "missing trailer signature");
            signed.announceTrailer(signedPart.toString(), trailerSignature);
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
