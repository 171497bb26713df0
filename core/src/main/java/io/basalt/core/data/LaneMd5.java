package io.basalt.core.data;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The MD5s (ETags) of the bodies a gateway writes at once, computed together: one thread takes each body's
 * next stripe into a free lane of {@link Md5Lanes} and runs the lanes block by block. Four full lanes cost MD5
 * 0.4 of the CPU the JDK's MD5 does (1.2–1.6 CPU-s per GB of PUT here, the largest single cost of a PUT); lanes
 * are only as full as the bodies' stripes overlap, which under four concurrent PUTs made it three quarters. A
 * body's bytes go through one lane in order, a stripe at a time; a body waits for a lane only while four others
 * hold them, each for one stripe.
 *
 * <p>Used only where the Vector API is compiled (the codec's condition, {@link
 * io.basalt.core.erasure.ReedSolomon#kernelName}) and once the lanes' code has been compiled by C2 ({@link
 * #ready}); until then, and where the module is absent, bodies are hashed with {@link java.security.MessageDigest}
 * as before.
 */
public final class LaneMd5 {

    private static final Logger log = LogManager.getLogger(LaneMd5.class);

    private static final VarHandle LE_INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LE_LONG =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /** System property: "off" hashes every body with MessageDigest (for comparison). */
    static final String PROPERTY = "basalt.md5.lanes";

    /** Whether bodies may be hashed in lanes here: the Vector API is present and compiled, and not turned off. */
    static final boolean AVAILABLE = !"off".equalsIgnoreCase(System.getProperty(PROPERTY, "on"))
            && "vector".equals(io.basalt.core.erasure.ReedSolomon.kernelName());

    /**
     * Blocks compressed before the lanes take bodies: enough for C2 to compile the loop. About 6 s of one core at a
     * gateway's start here, nearly all of it before C2 (the Vector API's vectors are objects until then).
     */
    private static final int WARM_UP_BLOCKS = 40_000;

    private static final LinkedBlockingQueue<Job> QUEUE = new LinkedBlockingQueue<>();
    private static volatile boolean ready;

    static {
        if (AVAILABLE) {
            Thread.ofPlatform().daemon().name("md5-lanes").start(LaneMd5::run);
        }
    }

    private LaneMd5() {}

    /**
     * Starts the lanes' thread, and so its warm-up, now (a gateway's start) rather than with the first body
     * written. Nothing where the lanes are not available.
     */
    public static void start() {
        // the class's initialisation starts the thread: nothing more to do
    }

    /** Whether a new body should be hashed in lanes: available, and the lanes' code compiled. */
    static boolean ready() {
        return ready;
    }

    /** One body's MD5, fed its stripes in order by one thread, one stripe outstanding at a time. */
    static final class Body {
        // the state between stripes, while the body holds no lane
        private int a = 0x67452301, b = 0xefcdab89, c = 0x98badcfe, d = 0x10325476;
        private final byte[] tail = new byte[64]; // bytes past the last whole block
        private int tailLength;
        private long length;

        /**
         * Hashes the body bytes of a stripe, {@code data[i][0..min(chunk, len - i * chunk))} in order, on the lanes'
         * thread; the arrays must stay as they are until the returned future completes.
         */
        CompletableFuture<Void> update(byte[][] data, int chunk, int len) {
            length += len;
            return submit(data, chunk, len);
        }

        /** Pads the body (RFC 1321), hashes the last block(s) and returns the MD5 in hex. Once, after the last update. */
        String finish() throws InterruptedException, java.util.concurrent.ExecutionException {
            int padded = tailLength < 56 ? 64 - tailLength : 128 - tailLength;
            byte[] pad = new byte[padded];
            pad[0] = (byte) 0x80;
            LE_LONG.set(pad, padded - 8, length << 3);
            submit(new byte[][] {pad}, padded, padded).get();
            byte[] md5 = new byte[16];
            LE_INT.set(md5, 0, a);
            LE_INT.set(md5, 4, b);
            LE_INT.set(md5, 8, c);
            LE_INT.set(md5, 12, d);
            return HexFormat.of().formatHex(md5);
        }

        private CompletableFuture<Void> submit(byte[][] data, int chunk, int len) {
            Job job = new Job(this, data, chunk, len);
            QUEUE.add(job);
            return job.done;
        }
    }

    /**
     * A body's next bytes, {@code data[i][0..min(chunk, len - i * chunk))} in order (a stripe's data shards, or the
     * padding as one array), and where the lanes' thread is in them.
     */
    private static final class Job {
        final Body body;
        final byte[][] data;
        final int chunk, len, parts;
        final CompletableFuture<Void> done = new CompletableFuture<>();
        int part, pos;

        Job(Body body, byte[][] data, int chunk, int len) {
            this.body = body;
            this.data = data;
            this.chunk = chunk;
            this.len = len;
            this.parts = Math.ceilDiv(len, chunk);
        }

        private int length(int p) {
            return Math.min(chunk, len - p * chunk);
        }

        /**
         * Puts the job's next 64 bytes into lane {@code lane} of {@code words}: straight from the body's arrays, or
         * through its tail where a block spans two arrays or follows the last stripe's leftover. False when fewer
         * than 64 bytes are left: those wait in the tail for the body's next stripe.
         */
        boolean stage(int[] words, int lane) {
            while (part < parts && pos == length(part)) {
                part++;
                pos = 0;
            }
            if (body.tailLength == 0 && part < parts && length(part) - pos >= 64) {
                load(data[part], pos, words, lane);
                pos += 64;
                return true;
            }
            while (body.tailLength < 64 && part < parts) {
                int take = Math.min(64 - body.tailLength, length(part) - pos);
                System.arraycopy(data[part], pos, body.tail, body.tailLength, take);
                body.tailLength += take;
                pos += take;
                if (pos == length(part)) {
                    part++;
                    pos = 0;
                }
            }
            if (body.tailLength < 64) return false;
            load(body.tail, 0, words, lane);
            body.tailLength = 0;
            return true;
        }

        private static void load(byte[] src, int off, int[] words, int lane) {
            for (int w = 0; w < 16; w++) words[w * Md5Lanes.LANES + lane] = (int) LE_INT.get(src, off + 4 * w);
        }
    }

    /** The lanes' thread: warms the lanes up, then runs bodies' stripes in them for as long as the process lives. */
    private static void run() {
        int lanes = Md5Lanes.LANES;
        int[] a = new int[lanes], b = new int[lanes], c = new int[lanes], d = new int[lanes];
        int[] words = new int[16 * lanes];
        long t0 = System.nanoTime();
        for (int i = 0; i < WARM_UP_BLOCKS; i++) Md5Lanes.compress(a, b, c, d, words);
        ready = true;
        log.info(
                "MD5 of concurrent bodies in {} vector lanes, ready after {} ms",
                Md5Lanes.LANES,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        Job[] in = new Job[lanes];
        while (true) {
            try {
                boolean idle = isEmpty(in); // then wait for a body; else take only those already waiting
                for (int j = 0; j < lanes; j++) {
                    if (in[j] == null) {
                        in[j] = idle ? QUEUE.take() : QUEUE.poll();
                        idle = false;
                        if (in[j] != null) {
                            Body body = in[j].body;
                            a[j] = body.a;
                            b[j] = body.b;
                            c[j] = body.c;
                            d[j] = body.d;
                        }
                    }
                }
                boolean any = false;
                for (int j = 0; j < lanes; j++) {
                    Job job = in[j];
                    if (job == null) continue;
                    if (job.stage(words, j)) {
                        any = true;
                    } else {
                        job.body.a = a[j];
                        job.body.b = b[j];
                        job.body.c = c[j];
                        job.body.d = d[j];
                        in[j] = null;
                        job.done.complete(null);
                    }
                }
                if (any) Md5Lanes.compress(a, b, c, d, words);
            } catch (InterruptedException e) {
                // nobody stops this thread: bodies that chose the lanes wait for it, so it goes on
                log.warn("MD5 lanes interrupted; going on");
            } catch (RuntimeException | Error e) {
                // a defect here must fail the writes that wait on it, not leave them waiting
                log.error("MD5 lanes failed", e);
                for (int j = 0; j < lanes; j++) {
                    if (in[j] != null) in[j].done.completeExceptionally(e);
                    in[j] = null;
                }
            }
        }
    }

    private static boolean isEmpty(Job[] in) {
        for (Job j : in) if (j != null) return false;
        return true;
    }
}
