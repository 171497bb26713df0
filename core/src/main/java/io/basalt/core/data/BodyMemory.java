package io.basalt.core.data;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many bytes of request bodies a gateway holds in memory at once. A write holds about two
 * stripes (the one being filled from the client and the one its shard streams still send, k+m
 * chunks each); without a bound, every worker thread writing a large object at the same moment
 * would need more heap than a small gateway has. A write reserves its share before reading its
 * body and waits while the budget is spent; one that waits too long is refused with
 * {@link Exhausted} (S3's SlowDown, which clients retry after a pause). Writes answered already that still wait
 * for a slow node's shards hold what they sent it in a second budget ({@link #tryLinger}).
 */
public final class BodyMemory {

    /** The budget stayed spent for longer than a write may wait. */
    public static final class Exhausted extends RuntimeException {
        Exhausted(String message) {
            super(message, null, false, false);
        }
    }

    /** Bytes reserved by one write; closing it gives them back (closing it again does nothing). */
    public interface Reservation extends AutoCloseable {
        /** Gives back all but {@code bytes} (rounded up to a KiB): the write holds less from now on. */
        void shrinkTo(long bytes);

        @Override
        void close();
    }

    private static final int UNIT = 1024; // permits are KiB: a Semaphore counts in ints

    private final Semaphore permits;
    /** Units kept by writes past their answer ({@link #tryLinger}): a budget of its own, half the size. */
    private final Semaphore lingering;

    private final int capacityUnits;
    private final long waitMs;

    /** @param capacityBytes bytes held at once at most; @param waitMs how long a write may wait for its share */
    public BodyMemory(long capacityBytes, long waitMs) {
        if (capacityBytes < UNIT) throw new IllegalArgumentException("a body memory budget below 1 KiB");
        this.capacityUnits = (int) Math.min(Integer.MAX_VALUE, capacityBytes / UNIT);
        this.permits = new Semaphore(capacityUnits, true); // fair: a large write is not starved by small ones
        this.lingering = new Semaphore(capacityUnits / 2);
        this.waitMs = waitMs;
    }

    /** No bound: what tools and tests that run no gateway use. */
    public static BodyMemory unlimited() {
        return new BodyMemory((long) Integer.MAX_VALUE * UNIT, 0);
    }

    /**
     * What a write of {@code declaredSize} bytes (-1: unknown) in {@code layout}'s shape holds at
     * most: two stripes of k+m chunks, a stripe being a block or the whole body if smaller.
     */
    static long shareOf(long declaredSize, int blockSize, int k, int m) {
        long stripe = declaredSize >= 0 ? Math.min(declaredSize, blockSize) : blockSize;
        return 2 * Math.ceilDiv(Math.max(stripe, 1), k) * (k + m);
    }

    /** Reserves {@code bytes} (at most the whole budget), waiting up to the configured time. */
    public Reservation reserve(long bytes) {
        int units = units(bytes);
        boolean got;
        try {
            got = permits.tryAcquire(units, waitMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Exhausted("interrupted while waiting for body memory");
        }
        if (!got) {
            throw new Exhausted("the gateway's request-body memory (" + capacityUnits / 1024
                    + " MiB) stayed in use for " + waitMs + " ms");
        }
        return reservation(permits, units);
    }

    /**
     * Reserves {@code bytes} for a write answered already that waits for a node found slow (its chunks queued to
     * that node), from a budget of its own half the size of this one, without waiting: such waits then never make a
     * write whose client waits wait for memory. Returns what to close when the wait ends, or null when that budget
     * has no room now (the write then gives the slow node the grace alone).
     */
    public Reservation tryLinger(long bytes) {
        int units = units(bytes);
        return lingering.tryAcquire(units) ? reservation(lingering, units) : null;
    }

    private int units(long bytes) {
        return (int) Math.min(capacityUnits, Math.max(1, Math.ceilDiv(bytes, UNIT)));
    }

    /** A reservation of {@code units} taken from {@code from}, given back there. */
    private static Reservation reservation(Semaphore from, int units) {
        AtomicInteger held = new AtomicInteger(units);
        return new Reservation() {
            @Override
            public void shrinkTo(long bytes) {
                int keep = (int) Math.min(units, Math.ceilDiv(Math.max(bytes, 0), UNIT));
                int before = held.getAndAccumulate(keep, Math::min);
                if (before > keep) from.release(before - keep);
            }

            @Override
            public void close() {
                int before = held.getAndSet(0); // once, whoever closes it
                if (before > 0) from.release(before);
            }
        };
    }

    /** Bytes reserved now by writes answered already ({@link #tryLinger}). */
    public long lingeringBytes() {
        return (long) (capacityUnits / 2 - lingering.availablePermits()) * UNIT;
    }

    /** Bytes reserved now. */
    public long usedBytes() {
        return (long) (capacityUnits - permits.availablePermits()) * UNIT;
    }

    public long capacityBytes() {
        return (long) capacityUnits * UNIT;
    }
}
