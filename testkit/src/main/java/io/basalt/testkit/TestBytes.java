package io.basalt.testkit;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Reproducible pseudo-random test data: the same seed and size give the same bytes, so a test names its
 * expected content by two numbers instead of keeping a copy.
 */
public final class TestBytes {

    private TestBytes() {}

    public static byte[] random(long seed, int size) {
        byte[] b = new byte[size];
        SplittableRandom r = new SplittableRandom(seed);
        int i = fillLongs(r, b, size);
        for (; i < size; i++) b[i] = (byte) r.nextInt();
        return b;
    }

    /** Writes {@code size} reproducible bytes to {@code file}, 1 MiB at a time (never the whole file in memory). */
    public static Path randomFile(Path file, long seed, long size) throws IOException {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] block = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long left = size; left > 0; ) {
                fillLongs(r, block, block.length);
                int n = (int) Math.min(block.length, left);
                out.write(block, 0, n);
                left -= n;
            }
        }
        return file;
    }

    /** Fills whole 8-byte groups of {@code b[0..size)} from {@code r}, little-endian; returns where it stopped. */
    private static int fillLongs(SplittableRandom r, byte[] b, int size) {
        int i = 0;
        for (; i + 8 <= size; i += 8) {
            long v = r.nextLong();
            for (int j = 0; j < 8; j++) b[i + j] = (byte) (v >>> (8 * j));
        }
        return i;
    }
}
