package io.basalt.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * CPU time of a target's processes over one workload: user and system seconds per process (from /proc/PID/stat,
 * which keeps the time of threads that exited) and per thread kind (from /proc/PID/task/TID/stat). Threads are
 * sampled at the start, every second and at the end, so a thread that exits loses at most its last second; what the
 * threads do not account for is shown as {@link ThreadKinds#EXITED}. GC counters come from the JVM's hsperfdata.
 */
final class CpuMeter {
    /**
     * One process's usage over the workload; kinds maps a thread kind to {user, system} seconds, then (where the
     * threads' schedstat was read) {times put on a CPU, seconds waiting runnable for one}.
     */
    record Usage(String role, long pid, double user, double sys, Map<String, double[]> kinds, PerfData.Gc gc) {}

    private static final long PERIOD_MS = 1000;

    private final class Tracked {
        final String role;
        final long pid;
        final boolean jvm;
        final ProcStat start;
        final PerfData.Gc gcStart;
        /** thread (tid@starttime, so a reused TID is another thread) -> its times at the start and last seen. */
        final Map<String, ProcStat> first = new HashMap<>();

        final Map<String, ProcStat> last = new HashMap<>();

        Tracked(String role, long pid) {
            this.role = role;
            this.pid = pid;
            this.jvm = ThreadKinds.isJvm(ProcStat.cmdline(pid));
            this.gcStart = jvm ? PerfData.gc(pid) : null;
            this.start = ProcStat.ofProcess(pid); // before the threads: the process total never trails their sum
            sample(first);
            last.putAll(first);
        }

        synchronized void sample(Map<String, ProcStat> into) {
            ProcStat.threads(pid).forEach((tid, s) -> into.put(tid + "@" + s.startTicks(), s));
        }

        Usage finish() {
            synchronized (this) {
                sample(last);
            }
            ProcStat end = ProcStat.ofProcess(pid);
            PerfData.Gc gcEnd = jvm ? PerfData.gc(pid) : null;
            if (start == null || end == null) return new Usage(role, pid, 0, 0, Map.of(), null);
            Map<String, double[]> kinds = new TreeMap<>();
            double tu = 0, ts = 0;
            for (var e : last.entrySet()) {
                ProcStat was = first.get(e.getKey());
                double u = (e.getValue().utimeTicks() - (was == null ? 0 : was.utimeTicks())) / ProcStat.CLK_TCK;
                double s = (e.getValue().stimeTicks() - (was == null ? 0 : was.stimeTicks())) / ProcStat.CLK_TCK;
                if (u == 0 && s == 0) continue;
                double[] k = kinds.computeIfAbsent(ThreadKinds.of(e.getValue().comm(), jvm), x -> new double[4]);
                k[0] += u;
                k[1] += s;
                if (e.getValue().runs() >= 0) { // a thread first seen after the start ran all of it in the workload
                    k[2] += e.getValue().runs() - (was == null ? 0 : Math.max(0, was.runs()));
                    k[3] += (e.getValue().waitNanos() - (was == null ? 0 : Math.max(0, was.waitNanos()))) / 1e9;
                }
                tu += u;
                ts += s;
            }
            double user = end.userSeconds() - start.userSeconds();
            double sys = end.systemSeconds() - start.systemSeconds();
            double lostU = user - tu, lostS = sys - ts;
            if (lostU + lostS >= 0.02)
                kinds.put(ThreadKinds.EXITED, new double[] {Math.max(0, lostU), Math.max(0, lostS), 0, 0});
            PerfData.Gc gc = gcStart == null || gcEnd == null ? null : gcEnd.minus(gcStart);
            return new Usage(role, pid, user, sys, kinds, gc);
        }
    }

    private final List<Tracked> tracked = new ArrayList<>();
    private final Thread sampler;

    /** Starts measuring the processes of each role, sampling their threads every second. */
    CpuMeter(Map<String, List<Long>> pids) {
        this(pids, PERIOD_MS);
    }

    CpuMeter(Map<String, List<Long>> pids, long periodMillis) {
        pids.forEach((role, list) -> list.forEach(pid -> tracked.add(new Tracked(role, pid))));
        sampler = Thread.ofPlatform().daemon().name("cpu-sampler").start(() -> {
            try {
                while (true) {
                    Thread.sleep(periodMillis);
                    for (Tracked t : tracked) t.sample(t.last);
                }
            } catch (InterruptedException stop) {
                // finish() takes the last sample
            }
        });
    }

    /** Stops the sampler and returns each process's usage since the constructor. */
    List<Usage> finish() {
        sampler.interrupt();
        try {
            sampler.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<Usage> out = new ArrayList<>();
        for (Tracked t : tracked) out.add(t.finish());
        return out;
    }
}
