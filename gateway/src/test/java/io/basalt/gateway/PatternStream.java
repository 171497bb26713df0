package io.basalt.gateway;

import java.io.InputStream;
import java.util.SplittableRandom;

/** A reproducible stream of pseudo-random bytes of a given length, generated on the fly. */
final class PatternStream extends InputStream {

    private final SplittableRandom random;
    private long remaining;
    private final byte[] block = new byte[1 << 16];
    private int pos = block.length;

    PatternStream(long seed, long length) {
        this.random = new SplittableRandom(seed);
        this.remaining = length;
    }

    @Override
    public int read() {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        if (remaining == 0) return -1;
        if (pos == block.length) {
            for (int i = 0; i < block.length; i += 8) {
                long v = random.nextLong();
                for (int j = 0; j < 8; j++) block[i + j] = (byte) (v >>> (8 * j));
            }
            pos = 0;
        }
        int n = (int) Math.min(Math.min(len, block.length - pos), remaining);
        System.arraycopy(block, pos, b, off, n);
        pos += n;
        remaining -= n;
        return n;
    }
}
