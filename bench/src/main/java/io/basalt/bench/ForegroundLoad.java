package io.basalt.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * Foreground GETs and PUTs at a fixed pace while something else happens (a heal), so latency is
 * comparable between phases: each client starts an operation every {@code clients / opsPerSecond}
 * seconds (or at once when it is late), half GETs of pre-written objects, half PUTs. Latency goes
 * to the histogram of the phase the operation started in.
 */
final class ForegroundLoad implements AutoCloseable {
    private final Target target;
    private final String prefix;
    private final long size;
    private final int objects;
    private final int clients;
    private final double opsPerSecond;
    // Every operation, for the phases' histograms and the slowest ones' times: a few per second, so a
    // few thousand at most.
    private final ConcurrentLinkedQueue<Op> done = new ConcurrentLinkedQueue<>();
    final AtomicLong errors = new AtomicLong();
    private final List<Thread> threads = new ArrayList<>();
    private volatile String phase = "baseline";
    private volatile boolean stop;

    /** One operation: when it started (System.nanoTime), how long it took, in which phase, on which key. */
    record Op(long startNanos, long micros, String phase, boolean get, String key) {}

    ForegroundLoad(Target target, String prefix, long size, int objects, int clients, double opsPerSecond) {
        this.target = target;
        this.prefix = prefix;
        this.size = size;
        this.objects = objects;
        this.clients = clients;
        this.opsPerSecond = opsPerSecond;
    }

    /**
     * Writes the objects the GETs read, and reads them once: a fresh cluster's first GETs run code
     * no request ran before, which would put its compilation into the baseline's tail.
     */
    void prepare() {
        Ops.run("heal: foreground objects", clients, objects, i -> Workloads.put(target, prefix + i, size));
        Ops.run("heal: foreground reads", clients, objects, i -> Workloads.get(target, prefix + i, null));
    }

    void start() {
        long intervalNanos = (long) (clients * 1e9 / opsPerSecond);
        for (int c = 0; c < clients; c++) {
            int client = c;
            threads.add(Thread.ofPlatform().name("foreground-" + c).start(() -> loop(client, intervalNanos)));
        }
    }

    void phase(String name) {
        phase = name;
    }

    private void loop(int client, long intervalNanos) {
        long next = System.nanoTime();
        long n = 0;
        while (!stop) {
            long wait = next - System.nanoTime();
            if (wait > 0) {
                try {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                } catch (InterruptedException e) {
                    return;
                }
            }
            next = Math.max(next + intervalNanos, System.nanoTime() - intervalNanos);
            String in = phase;
            boolean get = (n++ + client) % 2 == 0;
            String key = get
                    ? prefix + ThreadLocalRandom.current().nextInt(objects)
                    : prefix + "w-" + client + "-" + (n % 64);
            long t0 = System.nanoTime();
            try {
                if (get) {
                    Workloads.get(target, key, null);
                } else {
                    Workloads.put(target, key, size);
                }
                long us = Math.max(1, (System.nanoTime() - t0) / 1000);
                done.add(new Op(t0, us, in, get, key));
            } catch (RuntimeException e) {
                errors.incrementAndGet();
            }
        }
    }

    /** Latency of the phase's GETs (or PUTs), in µs; empty when none ran. */
    Histogram latency(String phase, boolean get) {
        Histogram h = new Histogram(3_600_000_000L, 3);
        for (Op op : done) if (op.get() == get && op.phase().equals(phase)) h.recordValue(op.micros());
        return h;
    }

    /** The {@code n} slowest operations so far, slowest first. */
    List<Op> slowest(int n) {
        return done.stream()
                .sorted(Comparator.comparingLong(Op::micros).reversed())
                .limit(n)
                .toList();
    }

    @Override
    public void close() throws InterruptedException {
        stop = true;
        for (Thread t : threads) t.join(150_000);
    }
}
