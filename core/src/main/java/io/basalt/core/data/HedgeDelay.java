package io.basalt.core.data;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * How long a read of a copied segment waits for its first copy to answer before it asks a
 * second: the 95th percentile of recent first-answer latencies, so about one read in twenty
 * costs a second request (the "hedged request" of The Tail at Scale), within [1 ms, 50 ms].
 * Below 1 ms a hedge would double the work of reads that are merely ordinary; past 50 ms the
 * cluster as a whole is slow and a second request adds to its load more than it saves.
 */
final class HedgeDelay {

    static final long MIN_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    static final long MAX_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    /** Until enough reads were timed. */
    static final long INITIAL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private static final int WINDOW = 128;
    private static final int RECOMPUTE_EVERY = 16;

    private final long[] samples = new long[WINDOW];
    private int count, next, sinceUpdate;
    private volatile long current = INITIAL_NANOS;

    long nanos() {
        return current;
    }

    /** A copy answered {@code nanos} after it was asked. */
    synchronized void record(long nanos) {
        samples[next] = nanos;
        next = (next + 1) % WINDOW;
        count = Math.min(count + 1, WINDOW);
        if (++sinceUpdate < RECOMPUTE_EVERY) return;
        sinceUpdate = 0;
        long[] sorted = Arrays.copyOf(samples, count);
        Arrays.sort(sorted);
        long p95 = sorted[(int) Math.min(count - 1, Math.ceil(count * 0.95) - 1)];
        current = Math.clamp(p95, MIN_NANOS, MAX_NANOS);
    }
}
