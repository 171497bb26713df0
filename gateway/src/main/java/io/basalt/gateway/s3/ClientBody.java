package io.basalt.gateway.s3;

import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * The raw request body. An I/O error while reading it is the client's doing (it went away, or sent less
 * than its Content-Length), which the router answers with 400 IncompleteBody, not 500: Undertow already
 * counts such a request as complete, so the exchange alone cannot tell. An end of stream before the
 * Content-Length is such an error too: a connection cut off mid-body (a stalled client's read timeout)
 * can read as an early end, and every reader of the body would otherwise take it for the whole.
 */
public final class ClientBody extends FilterInputStream {

    /** Reading the client's body failed. */
    public static final class ReadFailed extends IOException {
        ReadFailed(Exception cause) {
            super(cause.getMessage(), cause);
        }
    }

    private final long declared; // Content-Length, -1 when absent (a chunked transfer)
    private long read;

    /** @param declared the request's Content-Length, -1 when it has none */
    public ClientBody(InputStream in, long declared) {
        super(in);
        this.declared = declared;
    }

    @Override
    public int read() throws IOException {
        try {
            int b = super.read();
            counted(b < 0 ? -1 : 1);
            return b;
        } catch (IOException | IllegalStateException e) {
            // IllegalStateException: Undertow freed the connection's buffer under us (it was closed)
            throw new ReadFailed(e);
        }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        try {
            return counted(super.read(b, off, len));
        } catch (IOException | IllegalStateException e) {
            // IllegalStateException: Undertow freed the connection's buffer under us (it was closed)
            throw new ReadFailed(e);
        }
    }

    @Override
    public long skip(long n) throws IOException {
        try {
            long skipped = super.skip(n);
            read += skipped;
            return skipped;
        } catch (IOException | IllegalStateException e) {
            // IllegalStateException: Undertow freed the connection's buffer under us (it was closed)
            throw new ReadFailed(e);
        }
    }

    /** Counts {@code n} bytes read; an end of stream short of the Content-Length fails. */
    private int counted(int n) throws IOException {
        if (n >= 0) {
            read += n;
        } else if (declared >= 0 && read < declared) {
            throw new EOFException("the body ended after " + read + " of its " + declared + " bytes");
        }
        return n;
    }
}
