package io.basalt.gateway.handlers;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Bytes from one thread to another through at most {@code capacity} chunks of memory.
 * Unlike java.io's piped streams, a producer failure reaches the reader as an IOException
 * (never as a clean end of stream, which would commit a truncated copy), and a reader that
 * gives up unblocks the producer.
 */
final class BoundedPipe {

    private static final byte[] END = new byte[0];

    private final BlockingQueue<byte[]> queue;
    private final int chunkSize;
    private volatile Throwable producerFailure;
    private volatile boolean readerClosed;

    BoundedPipe(int chunkSize, int capacity) {
        this.chunkSize = chunkSize;
        this.queue = new ArrayBlockingQueue<>(capacity);
    }

    /** Why the producer stopped early, or null. */
    Throwable producerFailure() {
        return producerFailure;
    }

    /** Ends the stream with an error: the reader sees an IOException instead of end of stream. */
    void fail(Throwable cause) {
        producerFailure = cause;
        try {
            enqueue(END);
        } catch (IOException ignored) {
            // the reader is gone already
        }
    }

    private void enqueue(byte[] chunk) throws IOException {
        try {
            while (!queue.offer(chunk, 100, TimeUnit.MILLISECONDS)) {
                if (readerClosed) throw new IOException("pipe closed by its reader");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while writing to the pipe");
        }
    }

    OutputStream sink() {
        return new OutputStream() {
            private byte[] buf = new byte[chunkSize];
            private int len;
            private boolean closed;

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int n) throws IOException {
                if (readerClosed) throw new IOException("pipe closed by its reader");
                while (n > 0) {
                    int take = Math.min(n, chunkSize - len);
                    System.arraycopy(b, off, buf, len, take);
                    len += take;
                    off += take;
                    n -= take;
                    if (len == chunkSize) flushChunk();
                }
            }

            private void flushChunk() throws IOException {
                if (len == 0) return;
                byte[] chunk = len == chunkSize ? buf : java.util.Arrays.copyOf(buf, len);
                enqueue(chunk);
                buf = new byte[chunkSize];
                len = 0;
            }

            /** A clean end of stream; call only when every byte was written. */
            @Override
            public void close() throws IOException {
                if (closed) return;
                closed = true;
                flushChunk();
                enqueue(END);
            }
        };
    }

    InputStream source() {
        return new InputStream() {
            private byte[] chunk;
            private int pos;
            private boolean ended;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int n) throws IOException {
                if (n == 0) return 0;
                while (chunk == null || pos == chunk.length) {
                    if (ended) return endOfStream();
                    try {
                        chunk = queue.take();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("interrupted while reading the pipe");
                    }
                    pos = 0;
                    if (chunk == END) {
                        ended = true;
                        return endOfStream();
                    }
                }
                int take = Math.min(n, chunk.length - pos);
                System.arraycopy(chunk, pos, b, off, take);
                pos += take;
                return take;
            }

            private int endOfStream() throws IOException {
                Throwable f = producerFailure;
                if (f != null) throw new IOException("copy source read failed: " + f.getMessage(), f);
                return -1;
            }

            @Override
            public void close() {
                readerClosed = true;
                queue.clear();
            }
        };
    }
}
