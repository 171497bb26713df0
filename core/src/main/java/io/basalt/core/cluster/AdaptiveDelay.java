package io.basalt.core.cluster;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * A wait derived from recent latencies instead of a fixed number: a multiple of a percentile of
 * the last 128 samples, clamped, so it follows the cluster as load and disks change.
 */
public final class AdaptiveDelay {

    private static final int WINDOW = 128;
    private static final int RECOMPUTE_EVERY = 16;

    private final double percentile;
    private final double factor;
    private final long minNanos, maxNanos;
    private final long[] samples = new long[WINDOW];
    private int count, next, sinceUpdate;
    private volatile long current;

    private AdaptiveDelay(double percentile, double factor, long minMs, long maxMs, long initialMs) {
        this.percentile = percentile;
        this.factor = factor;
        this.minNanos = TimeUnit.MILLISECONDS.toNanos(minMs);
        this.maxNanos = TimeUnit.MILLISECONDS.toNanos(maxMs);
        this.current = TimeUnit.MILLISECONDS.toNanos(initialMs);
    }

    /**
     * How long a read of a copied segment waits for its first copy to answer before it asks a
     * second: the 95th percentile of recent first-answer latencies, so about one read in twenty
     * costs a second request (the "hedged request" of The Tail at Scale), within [1 ms, 50 ms].
     * Below 1 ms a hedge would double the work of reads that are merely ordinary; past 50 ms the
     * cluster as a whole is slow and a second request adds to its load more than it saves.
     */
    public static AdaptiveDelay hedge() {
        return new AdaptiveDelay(0.95, 1, 1, 50, 5);
    }

    /**
     * How long a write that already has its quorum of durable shards waits for the rest: three
     * times the 99th percentile of how far recent shards trailed their write's quorum, within
     * [20 ms, 1 s]. A shard later than that is dropped and healed, so a paused or saturated node
     * costs a write tens of milliseconds instead of the stall timeout, while a healthy cluster's
     * ordinary fsync jitter almost never loses a shard (each one lost is a heal).
     */
    public static AdaptiveDelay ackGrace() {
        return new AdaptiveDelay(0.99, 3, 20, 1_000, 100);
    }

    /**
     * How long a write waits for a shard stream that takes no more data (its node's flow-control
     * window is full) before it goes on without that shard, when the write has shards to spare
     * beyond its quorum: three times the 99th percentile of recent waits for room, within [50 ms,
     * 3 s]. Waits for room are ordinary when the disks are the bottleneck (every stream waits);
     * a paused node's stream waits far longer than its peers'. Waits that reach it are recorded
     * as it, so when more than 1% do it grows toward the stall timeout instead of dropping shards.
     */
    public static AdaptiveDelay stallGrace() {
        return new AdaptiveDelay(0.99, 3, 50, 3_000, 1_000);
    }

    /**
     * How long a request waits for one etcd call (a record's read or transaction) before it is
     * answered 503: ten times the 99th percentile of recent calls, within [2 s, 10 s], 10 s until
     * measured. A stuck etcd then costs a client seconds less before it retries, while etcd's
     * ordinary fsync stalls (hundreds of ms on a shared disk) stay far inside the deadline.
     */
    public static AdaptiveDelay etcdCall() {
        return new AdaptiveDelay(0.99, 10, 2_000, 10_000, 10_000);
    }

    /**
     * How long a point read of etcd waits for the member it was sent to before it is sent to another as well:
     * three times the 99th percentile of recent first answers, within [25 ms, 1 s]. A frozen member then costs a
     * read tens of milliseconds, and an ordinary slow answer (a member catching up) rarely a second read.
     */
    public static AdaptiveDelay etcdReadHedge() {
        return new AdaptiveDelay(0.99, 3, 25, 1_000, 250);
    }

    /**
     * The same for a range read of etcd (a page of a listing): three times the 99th percentile of recent first
     * answers, within [100 ms, 2 s]. Pages differ in size, so the floor is higher than a point read's; a page to a
     * frozen member then costs a listing a fraction of a second instead of the range read's whole deadline.
     */
    public static AdaptiveDelay etcdScanHedge() {
        return new AdaptiveDelay(0.99, 3, 100, 2_000, 500);
    }

    /**
     * A data shard's next message waited for longer than this is read from parity instead
     * (the data path's StripeHedge): 1.5 times the 99th percentile of recent waits, within [10 ms, 1 s].
     * Waits that reach it are recorded as it, so it settles where about 1% of waits hedge.
     */
    public static AdaptiveDelay stripeHedge() {
        return new AdaptiveDelay(0.99, 1.5, 10, 1_000, 100);
    }

    public long nanos() {
        return current;
    }

    /** One latency of the kind this delay follows. */
    public synchronized void record(long nanos) {
        samples[next] = nanos;
        next = (next + 1) % WINDOW;
        count = Math.min(count + 1, WINDOW);
        if (++sinceUpdate < RECOMPUTE_EVERY) return;
        sinceUpdate = 0;
        long[] sorted = Arrays.copyOf(samples, count);
        Arrays.sort(sorted);
        long p = sorted[(int) Math.min(count - 1, Math.ceil(count * percentile) - 1)];
        current = Math.clamp((long) Math.min(p * factor, Long.MAX_VALUE), minNanos, maxNanos);
    }
}
