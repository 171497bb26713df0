package io.basalt.coordinator;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Runs segment heals a few at a time. One segment's rebuild waits on round trips (a stripe read
 * from k nodes, a chunk written to the new node, fsync, an etcd transaction) far more than on
 * any disk or core, so several in flight keep disks and codec busy; the bound keeps the memory
 * (a stripe per heal) and the load on the nodes small, and {@link HealRate} still paces the bytes.
 */
final class HealWorkers implements AutoCloseable {

    private static final Logger log = LogManager.getLogger(HealWorkers.class);

    private final ExecutorService pool;

    HealWorkers(String name) {
        this.pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /** Heals submitted to one batch run at most {@code parallelism} at a time. */
    Batch batch(int parallelism) {
        return new Batch(Math.max(1, parallelism));
    }

    /** One pass's heals; submit from one thread, then {@link #await}. */
    final class Batch {
        private final int parallelism;
        private final Semaphore slots;
        private final AtomicBoolean allDone = new AtomicBoolean(true);
        private final long startNanos = System.nanoTime();

        private Batch(int parallelism) {
            this.parallelism = parallelism;
            this.slots = new Semaphore(parallelism);
        }

        /** Blocks while {@code parallelism} heals are in flight. @param heal true when nothing is left to do */
        void submit(BooleanSupplier heal) {
            slots.acquireUninterruptibly();
            try {
                pool.execute(() -> {
                    try {
                        if (!heal.getAsBoolean()) allDone.set(false);
                    } catch (RuntimeException | Error e) {
                        // an Error too (a direct-memory OutOfMemoryError): the heal failed, and the pass must
                        // not report the cluster whole, so the next one retries it
                        allDone.set(false);
                        log.warn("heal task failed: {}", e.toString());
                    } finally {
                        slots.release();
                    }
                });
            } catch (RuntimeException e) { // rejected: the pool is shut down
                slots.release();
                allDone.set(false);
            }
        }

        int parallelism() {
            return parallelism;
        }

        long elapsedMillis() {
            return (System.nanoTime() - startNanos) / 1_000_000;
        }

        /** Waits for every submitted heal. @return true when each reported nothing left to do */
        boolean await() {
            slots.acquireUninterruptibly(parallelism);
            slots.release(parallelism);
            return allDone.get();
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
