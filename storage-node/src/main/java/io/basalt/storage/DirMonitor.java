package io.basalt.storage;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A data dir's own thread for its background syscalls (probes, free-space reads), and what they
 * last found. On a hung disk it is this thread that blocks in the kernel, never a request: new
 * shards are placed by the last free space read here, and a call that has run too long marks the
 * dir suspect, which the store reads without touching the disk.
 */
final class DirMonitor implements AutoCloseable {
    private static final Logger log = LogManager.getLogger(DirMonitor.class);

    /** The call running on the thread now, and how long it may run before the dir is suspect. */
    private record Call(long startNanos, long suspectAfterNanos) {}

    private final DataDir dir;
    private final ScheduledExecutorService thread;
    private volatile Call running; // null while idle

    private record Space(Capacity capacity, long atNanos) {}

    private volatile Space space; // null until read
    private final AtomicBoolean suspect = new AtomicBoolean();

    DirMonitor(DataDir dir) {
        this.dir = dir;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "disk-probe " + dir.root());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Runs {@code work} on the dir's thread, timed so that a call stuck in the kernel is seen.
     *
     * @param suspectAfter how long it may run before the dir counts as suspect
     */
    <T> Future<T> submit(Callable<T> work, Duration suspectAfter) {
        return thread.submit(() -> timed(work, suspectAfter));
    }

    /** Reads the dir's free space now and every {@code period} after, on the dir's thread. */
    void refreshSpaceEvery(Duration period, Duration suspectAfter) {
        thread.scheduleWithFixedDelay(
                () -> {
                    if (dir.failed()) return;
                    try {
                        timed(dir::space, suspectAfter);
                    } catch (Exception e) {
                        // the figure goes stale; the periodic probe decides whether the disk is broken
                        log.warn("cannot read free space of {}: {}", dir.root(), e.toString());
                    }
                },
                0,
                period.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    private <T> T timed(Callable<T> work, Duration suspectAfter) throws Exception {
        running = new Call(System.nanoTime(), suspectAfter.toNanos());
        try {
            T result = work.call();
            if (result instanceof Capacity c) space = new Space(c, System.nanoTime());
            return result;
        } finally {
            running = null;
        }
    }

    /** The free and total bytes last read, or null before the first read. */
    Capacity lastSpace() {
        Space s = space;
        return s == null ? null : s.capacity();
    }

    /** The figures last read if read within {@code maxAge}, else null. */
    Capacity spaceWithin(Duration maxAge) {
        Space s = space;
        return s != null && System.nanoTime() - s.atNanos() <= maxAge.toNanos() ? s.capacity() : null;
    }

    /**
     * A write here was just refused for want of room: until the next read, the dir counts as having none, so new
     * shards go to the other dirs at once instead of after the next read (up to a second of refused writes).
     */
    void noRoom() {
        Capacity c = lastSpace();
        space = new Space(new Capacity(0, c == null ? 0 : c.totalBytes()), System.nanoTime());
    }

    /** The free space last read, or 0 before the first read: an unknown dir is the last choice. */
    long freeBytes() {
        Capacity c = lastSpace();
        return c == null ? 0 : c.freeBytes();
    }

    /** True once the call on the dir's thread has run longer than its own suspect bound. */
    boolean slow() {
        Call call = running;
        return call != null && System.nanoTime() - call.startNanos() > call.suspectAfterNanos();
    }

    /** True once a call on the dir's thread has run longer than {@code bound}: the disk may hang. */
    boolean overdue(Duration bound) {
        Call call = running;
        return call != null && System.nanoTime() - call.startNanos() > bound.toNanos();
    }

    boolean suspect() {
        return suspect.get();
    }

    /** @return true if this call made it suspect (false: it already was) */
    boolean markSuspect() {
        return suspect.compareAndSet(false, true);
    }

    /** @return true if it was suspect until now */
    boolean clearSuspect() {
        return suspect.compareAndSet(true, false);
    }

    /** Stops the thread; one blocked on a hung disk is left to the kernel (it is a daemon). */
    @Override
    public void close() {
        thread.shutdownNow();
    }
}
