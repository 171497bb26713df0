package io.basalt.core.erasure;

import java.util.Arrays;
import java.util.Random;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Gets the codec's loops compiled before the first object needs them. The Vector API is fast only once C2 has
 * compiled the loops that use it; before that every vector is an object, and a 4+2 stripe of 1 MiB took 16 ms to
 * decode instead of 0.07 (a fresh JVM against a warm one). A gateway decodes only when a data shard is missing or
 * slow, too seldom for the JIT to get there by itself, so its degraded and hedged reads stayed that slow; the first
 * PUTs after a start paid the same to encode. A thousand passes over 4 KiB stripes, about 0.4 s of one core once,
 * on a thread of their own.
 */
public final class CodecWarmup {
    private static final Logger log = LogManager.getLogger(CodecWarmup.class);

    static final int PASSES = 1000;
    private static final int CHUNK = 4096;

    private CodecWarmup() {}

    /** Starts the passes on a daemon thread of the lowest priority and returns it. */
    public static Thread inBackground() {
        Thread t = Thread.ofPlatform().daemon().name("codec-warmup").unstarted(() -> {
            long t0 = System.nanoTime();
            if (run(PASSES)) log.debug("codec warmed up in {} ms", (System.nanoTime() - t0) / 1_000_000);
            else log.error("codec warm-up: a decoded shard differs from the one encoded");
        });
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
        return t;
    }

    /**
     * Encodes a 4+2 stripe and rebuilds one data shard from the others, {@code passes} times, each rebuilt shard
     * checked against the original; false if one differs.
     */
    static boolean run(int passes) {
        int k = 4, m = 2;
        ReedSolomon rs = ReedSolomon.create(k, m);
        byte[][] shards = new byte[k + m][CHUNK];
        Random random = new Random(42);
        for (int i = 0; i < k; i++) random.nextBytes(shards[i]);
        byte[][] original = new byte[k][];
        for (int i = 0; i < k; i++) original[i] = shards[i].clone();
        boolean[] present = new boolean[k + m];
        Arrays.fill(present, true);
        for (int p = 0; p < passes; p++) {
            rs.encode(shards, 0, CHUNK);
            int lost = p % k;
            Arrays.fill(shards[lost], (byte) 0);
            present[lost] = false;
            rs.reconstructData(shards, present, 0, CHUNK);
            present[lost] = true;
            if (!Arrays.equals(shards[lost], original[lost])) return false;
        }
        return true;
    }
}
