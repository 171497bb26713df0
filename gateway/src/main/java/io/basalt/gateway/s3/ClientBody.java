package io.basalt.gateway.s3;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * The raw request body. An I/O error while reading it is the client's doing (it went away, or sent less
 * than its Content-Length), which the router answers with 400 IncompleteBody, not 500: Undertow already
 * counts such a request as complete, so the exchange alone cannot tell.
 */
public final class ClientBody extends FilterInputStream {

    /** Reading the client's body failed. */
    public static final class ReadFailed extends IOException {
        ReadFailed(Exception cause) {
            super(cause.getMessage(), cause);
        }
    }

    public ClientBody(InputStream in) {
        super(in);
    }

    @Override
    public int read() throws IOException {
        try {
            return super.read();
        } catch (IOException | IllegalStateException e) {
            // IllegalStateException: Undertow freed the connection's buffer under us (it was closed)
            throw new ReadFailed(e);
        }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        try {
            return super.read(b, off, len);
        } catch (IOException | IllegalStateException e) {
            // IllegalStateException: Undertow freed the connection's buffer under us (it was closed)
            throw new ReadFailed(e);
        }
    }

    @Override
    public long skip(long n) throws IOException {
        try {
            return super.skip(n);
        } catch (IOException | IllegalStateException e) {
            // IllegalStateException: Undertow freed the connection's buffer under us (it was closed)
            throw new ReadFailed(e);
        }
    }
}
