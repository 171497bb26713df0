package io.basalt.core.shard;

import java.nio.ByteBuffer;
import java.util.List;

/** A run of bytes of one shard: views of the arrays they arrived in (or were decoded into), not copies. */
public final class ShardBytes {

    private final ByteBuffer[] parts;
    private final int length;

    ShardBytes(ByteBuffer[] parts, int length) {
        this.parts = parts;
        this.length = length;
    }

    /** Bytes [0, length) of {@code array}, not copied. */
    public static ShardBytes of(byte[] array, int length) {
        return new ShardBytes(
                new ByteBuffer[] {ByteBuffer.wrap(array, 0, length).slice()}, length);
    }

    public int length() {
        return length;
    }

    /** Adds views of bytes [from, from+len) to {@code out}. */
    public void slice(int from, int len, List<ByteBuffer> out) {
        if (from < 0 || len < 0 || from + len > length) {
            throw new IndexOutOfBoundsException("[" + from + ", " + (from + len) + ") of " + length + " bytes");
        }
        int start = 0;
        for (ByteBuffer p : parts) {
            if (len == 0) return;
            int size = p.remaining();
            if (from < start + size) {
                int at = from - start;
                int n = Math.min(len, size - at);
                out.add(p.slice(p.position() + at, n));
                from += n;
                len -= n;
            }
            start += size;
        }
    }

    /** Copies all bytes to {@code dst} from {@code off}. */
    public void copyTo(byte[] dst, int off) {
        for (ByteBuffer p : parts) {
            int n = p.remaining();
            p.get(p.position(), dst, off, n);
            off += n;
        }
    }
}
