package io.basalt.core.throttle;

import java.util.function.LongSupplier;

/**
 * Paces a stream of work to a byte rate: callers {@link #acquire} the bytes they just moved
 * (or are about to) and sleep as long as the rate says. Background work (scrub, heal) uses it
 * so it never starves client traffic of disk or network. The rate may change at any time.
 */
public final class ByteRateLimiter {

    /** Up to this much unused time is credited, so short pauses do not cause bursts later. */
    private static final long MAX_CREDIT_NANOS = 200_000_000L;

    private final LongSupplier nanoClock;
    private volatile long bytesPerSecond;
    private long nextFreeNanos;

    /** @param bytesPerSecond 0 or less: unlimited */
    public ByteRateLimiter(long bytesPerSecond) {
        this(bytesPerSecond, System::nanoTime);
    }

    ByteRateLimiter(long bytesPerSecond, LongSupplier nanoClock) {
        this.bytesPerSecond = bytesPerSecond;
        this.nanoClock = nanoClock;
        this.nextFreeNanos = nanoClock.getAsLong();
    }

    public static long mbPerSecond(double mb) {
        return (long) (mb * (1 << 20));
    }

    public long bytesPerSecond() {
        return bytesPerSecond;
    }

    public void setBytesPerSecond(long bytesPerSecond) {
        this.bytesPerSecond = bytesPerSecond;
    }

    /** Blocks until {@code bytes} fit the rate. */
    public void acquire(long bytes) throws InterruptedException {
        long wait = reserve(bytes);
        if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
    }

    /** Books {@code bytes} and returns how many nanoseconds the caller must wait before going on. */
    synchronized long reserve(long bytes) {
        long rate = bytesPerSecond;
        long now = nanoClock.getAsLong();
        if (rate <= 0 || bytes <= 0) {
            nextFreeNanos = now;
            return 0;
        }
        long cost = (long) (bytes * 1e9 / rate);
        nextFreeNanos = Math.max(nextFreeNanos, now - MAX_CREDIT_NANOS) + cost;
        return Math.max(0, nextFreeNanos - now);
    }
}
