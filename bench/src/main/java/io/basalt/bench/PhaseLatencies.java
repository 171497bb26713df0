package io.basalt.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * Latency (µs) and errors of the faults workload's operations, per phase and per kind ("GET 4 KiB"),
 * each operation in the phase it started in; turned into figures with each phase's ratio to the
 * baseline phase, the figure the goal is stated in (p99 and p99.9 within 2x of no fault).
 */
final class PhaseLatencies {
    static final double[] PERCENTILES = {50, 99, 99.9};

    private final Map<String, Map<String, Histogram>> latency = new LinkedHashMap<>();
    private final Map<String, Map<String, AtomicLong>> errors = new LinkedHashMap<>();

    /** Phases and kinds in report order; both fixed before any operation runs. */
    PhaseLatencies(List<String> phases, List<String> kinds) {
        for (String phase : phases) {
            Map<String, Histogram> h = new LinkedHashMap<>();
            Map<String, AtomicLong> e = new LinkedHashMap<>();
            for (String kind : kinds) {
                h.put(kind, new Histogram(3_600_000_000L, 3));
                e.put(kind, new AtomicLong());
            }
            latency.put(phase, h);
            errors.put(phase, e);
        }
    }

    void record(String phase, String kind, long micros) {
        Histogram h = latency.get(phase).get(kind);
        synchronized (h) {
            h.recordValue(Math.max(1, micros));
        }
    }

    void error(String phase, String kind) {
        errors.get(phase).get(kind).incrementAndGet();
    }

    /** The value at a percentile in ms; NaN when the phase ran none of that kind. */
    double ms(String phase, String kind, double percentile) {
        Histogram h = latency.get(phase).get(kind);
        synchronized (h) {
            return h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(percentile) / 1000.0;
        }
    }

    long count(String phase, String kind) {
        Histogram h = latency.get(phase).get(kind);
        synchronized (h) {
            return h.getTotalCount();
        }
    }

    long errors(String phase, String kind) {
        return errors.get(phase).get(kind).get();
    }

    /** "p50", "p99", "p999", as {@link Figures#latency} names them. */
    static String tag(double percentile) {
        return percentile == 99.9 ? "p999" : "p" + (int) percentile;
    }

    /**
     * Per phase and kind: p50/p99/p99.9 in ms, operations and errors; per later phase also each
     * percentile over the baseline's ("x no fault"). A phase that ran nothing (skipped) adds nothing.
     */
    void addTo(Figures f, String baseline) {
        for (String phase : latency.keySet()) {
            if (!ran(phase)) continue;
            for (String kind : latency.get(phase).keySet()) {
                for (double p : PERCENTILES) f.add(name(phase, kind, tag(p) + " ms"), "ms", false, ms(phase, kind, p));
                if (!phase.equals(baseline)) {
                    for (double p : PERCENTILES) {
                        f.add(
                                name(phase, kind, tag(p) + " x " + baseline),
                                "x",
                                false,
                                ms(phase, kind, p) / ms(baseline, kind, p));
                    }
                }
                f.add(name(phase, kind, "ops"), "count", true, count(phase, kind));
                f.add(name(phase, kind, "errors"), "count", false, errors(phase, kind));
            }
        }
    }

    /** True once an operation of the phase finished, or failed. */
    boolean ran(String phase) {
        for (String kind : latency.get(phase).keySet())
            if (count(phase, kind) > 0 || errors(phase, kind) > 0) return true;
        return false;
    }

    private static String name(String phase, String kind, String what) {
        return phase + ": " + kind + " " + what;
    }
}
