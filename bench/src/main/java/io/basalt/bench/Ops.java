package io.basalt.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;

/** Runs a number of operations over a number of threads and records their latency (µs). */
final class Ops {
    /** payload bytes moved by every operation so far, for CPU seconds per GB. */
    static final AtomicLong TOTAL_BYTES = new AtomicLong();

    interface Op {
        /** performs operation i, returns the payload bytes it moved. */
        long run(int i) throws Exception;
    }

    record Result(long ops, long bytes, long nanos, Histogram latencyMicros, long errors, String firstError) {
        double secs() {
            return nanos / 1e9;
        }

        double mbPerSec() {
            return bytes / 1e6 / secs();
        }

        double opsPerSec() {
            return ops / secs();
        }
    }

    static Result run(String label, int concurrency, int count, Op op) {
        Progress.phase(label, count);
        Histogram hist = new Histogram(3_600_000_000L, 3);
        AtomicInteger next = new AtomicInteger();
        AtomicLong bytes = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        AtomicReference<String> firstError = new AtomicReference<>();
        long start = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, concurrency));
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < concurrency; t++) {
                fs.add(pool.submit(() -> {
                    int i;
                    while ((i = next.getAndIncrement()) < count) {
                        long t0 = System.nanoTime();
                        try {
                            long b = op.run(i);
                            long us = (System.nanoTime() - t0) / 1000;
                            synchronized (hist) {
                                hist.recordValue(Math.max(1, us));
                            }
                            bytes.addAndGet(b);
                            TOTAL_BYTES.addAndGet(b);
                            Progress.bytes.addAndGet(b);
                        } catch (Exception e) {
                            errors.incrementAndGet();
                            firstError.compareAndSet(null, e.getClass().getSimpleName() + ": " + e.getMessage());
                        }
                        Progress.done.incrementAndGet();
                    }
                }));
            }
            for (Future<?> f : fs) f.get();
        } catch (Exception e) {
            throw new RuntimeException(e);
        } finally {
            pool.shutdownNow();
        }
        long nanos = System.nanoTime() - start;
        Progress.endPhase();
        if (errors.get() > 0)
            Progress.message("  " + errors.get() + " errors in " + label + ", first: " + firstError.get());
        return new Result(count - errors.get(), bytes.get(), nanos, hist, errors.get(), firstError.get());
    }
}
