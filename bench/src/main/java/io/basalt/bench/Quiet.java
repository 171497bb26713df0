package io.basalt.bench;

import java.util.List;
import java.util.Map;

/**
 * Waits for a target's server processes to go idle before a repetition is measured: a store that deletes in the
 * background (Basalt's garbage collection after the previous workload's cleanup or a repetition's overwrites) would
 * otherwise bill that work, and the JIT compiling it, to the next workload's bytes.
 */
final class Quiet {
    /** Idle enough: below this share of one core over each of two consecutive samples. */
    static final double IDLE_CORES = 0.15;

    private static final long SAMPLE_MS = 500;

    private Quiet() {}

    /**
     * Returns after two consecutive {@code SAMPLE_MS} samples in which the processes of {@code pids} (but the bench
     * client's) used less than {@link #IDLE_CORES}, or after {@code limitMillis}; the seconds it waited.
     */
    static double await(Map<String, List<Long>> pids, long limitMillis) throws InterruptedException {
        if (pids.keySet().stream().allMatch("bench client"::equals)) return 0; // a remote target: nothing measured
        long start = System.nanoTime();
        long deadline = start + limitMillis * 1_000_000;
        double before = serverCpu(pids);
        long at = System.nanoTime();
        int quiet = 0;
        while (quiet < 2 && System.nanoTime() < deadline) {
            Thread.sleep(SAMPLE_MS);
            double now = serverCpu(pids);
            long t = System.nanoTime();
            double cores = (now - before) / ((t - at) / 1e9);
            quiet = cores < IDLE_CORES ? quiet + 1 : 0;
            before = now;
            at = t;
        }
        return (System.nanoTime() - start) / 1e9;
    }

    private static double serverCpu(Map<String, List<Long>> pids) {
        double sum = 0;
        for (var e : pids.entrySet()) {
            if (e.getKey().equals("bench client")) continue;
            for (long pid : e.getValue()) sum += ProcStat.cpuSeconds(pid);
        }
        return sum;
    }
}
