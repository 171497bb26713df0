package io.basalt.core.shard;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;

/**
 * Where read bytes go. A server that can write buffers as they are (a gathering socket write)
 * takes them without a copy; {@link #of(OutputStream)} copies for everything else.
 */
@FunctionalInterface
public interface BufferSink {

    /** Writes every remaining byte of {@code buffers}, in order, before returning; keeps none of them. */
    void write(ByteBuffer[] buffers) throws IOException;

    static BufferSink of(OutputStream out) {
        byte[] copy = new byte[64 << 10]; // for buffers without an accessible array
        return buffers -> {
            for (ByteBuffer b : buffers) {
                if (b.hasArray()) {
                    out.write(b.array(), b.arrayOffset() + b.position(), b.remaining());
                    continue;
                }
                for (int at = b.position(); at < b.limit(); ) {
                    int n = Math.min(copy.length, b.limit() - at);
                    b.get(at, copy, 0, n);
                    out.write(copy, 0, n);
                    at += n;
                }
            }
        };
    }
}
