package io.basalt.core.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Bodies hashed in lanes, several at once, have the MD5 the JDK computes: whatever their lengths (blocks cut across
 * stripes and arrays, tails of every length, the padding's one or two blocks), and however the lanes' thread
 * interleaves them.
 */
class LaneMd5Properties {

    /** The lanes run in the tests' JVM (Vector API module, C2) and are ready within a few seconds of first use. */
    @Example
    void theLanesRunHere() throws Exception {
        assertTrue(LaneMd5.AVAILABLE, "the Vector API module and C2: see the surefire configuration");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!LaneMd5.ready() && System.nanoTime() < deadline) Thread.sleep(20);
        assertTrue(LaneMd5.ready(), "the lanes' warm-up did not end");
    }

    @Property(tries = 60)
    void concurrentBodiesHaveTheirOwnMd5(
            @ForAll @Size(min = 1, max = 9) List<@IntRange(min = 0, max = 300_000) Integer> lengths,
            @ForAll @IntRange(min = 1, max = 6) int k,
            @ForAll @IntRange(min = 1, max = 40_000) int chunk,
            @ForAll long seed)
            throws Exception {
        theLanesRunHere();
        ExecutorService writers = Executors.newFixedThreadPool(lengths.size());
        try {
            List<Future<String[]>> results = new ArrayList<>();
            for (int i = 0; i < lengths.size(); i++) {
                byte[] body = new byte[lengths.get(i)];
                new Random(seed + i).nextBytes(body);
                results.add(writers.submit(() -> new String[] {inLanes(body, k, chunk), jdk(body)}));
            }
            for (Future<String[]> r : results) {
                String[] md5 = r.get(60, TimeUnit.SECONDS);
                assertEquals(md5[1], md5[0]);
            }
        } finally {
            writers.shutdownNow();
        }
    }

    @Property(tries = 200)
    void everyTailLengthAndPaddingIsRight(@ForAll @IntRange(min = 0, max = 300) int length, @ForAll long seed)
            throws Exception {
        theLanesRunHere();
        byte[] body = new byte[length];
        new Random(seed).nextBytes(body);
        assertEquals(jdk(body), inLanes(body, 3, 7));
        assertEquals(jdk(body), inLanes(body, 1, 64));
    }

    /** The body cut into stripes of k arrays of {@code chunk} bytes, fed as the encoder does, one stripe outstanding. */
    private static String inLanes(byte[] body, int k, int chunk) throws Exception {
        LaneMd5.Body md5 = new LaneMd5.Body();
        CompletableFuture<Void> pending = CompletableFuture.completedFuture(null);
        for (int start = 0; start < body.length; start += k * chunk) {
            pending.get();
            int len = Math.min(k * chunk, body.length - start);
            byte[][] stripe = new byte[k][chunk];
            for (int i = 0; i * chunk < len; i++) {
                System.arraycopy(body, start + i * chunk, stripe[i], 0, Math.min(chunk, len - i * chunk));
            }
            pending = md5.update(stripe, chunk, len);
        }
        pending.get();
        return md5.finish();
    }

    private static String jdk(byte[] body) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(body));
    }
}
