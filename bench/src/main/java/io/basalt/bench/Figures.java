package io.basalt.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/** The figures one workload produced on one target in one repetition, in insertion order. */
final class Figures {
    record Figure(String name, String unit, boolean higherIsBetter, double value) {}

    final Map<String, Figure> all = new LinkedHashMap<>();
    /** each measured process's CPU and GC over the workload (role "bench client" is this process). */
    final List<CpuMeter.Usage> usage = new ArrayList<>();
    /** payload moved by the workload, in GB (10^9 bytes). */
    double gb;

    /** How long the workload itself ran (not its preparation or the wait for idle servers before it). */
    double seconds;

    void add(String name, String unit, boolean higherIsBetter, double value) {
        all.put(name, new Figure(name, unit, higherIsBetter, value));
    }

    void throughput(String prefix, Ops.Result r) {
        add(prefix + "MB/s", "MB/s", true, r.mbPerSec());
    }

    void opsPerSec(String name, Ops.Result r) {
        add(name, "ops/s", true, r.opsPerSec());
    }

    /** p50/p99/p999 of a histogram recorded in microseconds, reported in ms. */
    void latency(String prefix, Histogram h, double... percentiles) {
        for (double p : percentiles) {
            String tag = p == 50 ? "p50" : p == 99 ? "p99" : p == 99.9 ? "p999" : "p" + p;
            add(prefix + tag + " ms", "ms", false, h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(p) / 1000.0);
        }
    }
}
