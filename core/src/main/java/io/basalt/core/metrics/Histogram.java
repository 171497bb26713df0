package io.basalt.core.metrics;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/** Observations counted into fixed buckets (upper bounds, inclusive), with their sum and count. */
public final class Histogram extends Metric {
    /** Seconds, from 1 ms to 1 min: request and fsync latencies. */
    public static final double[] LATENCY_SECONDS = {
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60
    };

    private final double[] bounds;
    private final Map<List<String>, Child> children = new ConcurrentSkipListMap<>(LabelValues.ORDER);
    private final Map<List<String>, Child> lookup = new ConcurrentHashMap<>();

    Histogram(String name, String help, List<String> labelNames, double[] bounds) {
        super(name, help, labelNames);
        if (bounds.length == 0) throw new IllegalArgumentException(name + ": no buckets");
        for (int i = 1; i < bounds.length; i++) {
            if (!(bounds[i] > bounds[i - 1])) throw new IllegalArgumentException(name + ": buckets must increase");
        }
        this.bounds = bounds.clone();
    }

    /** One labelled series. */
    public final class Child {
        private final LongAdder[] buckets = new LongAdder[bounds.length + 1]; // the last is +Inf
        private final DoubleAdder sum = new DoubleAdder();
        private final LongAdder count = new LongAdder();

        Child() {
            for (int i = 0; i < buckets.length; i++) buckets[i] = new LongAdder();
        }

        public void observe(double value) {
            int i = Arrays.binarySearch(bounds, value);
            buckets[i >= 0 ? i : -i - 1].increment();
            sum.add(value);
            count.increment();
        }

        /** Observes the seconds elapsed since {@code startNanos} (a {@link System#nanoTime()}). */
        public void observeSince(long startNanos) {
            observe((System.nanoTime() - startNanos) / 1e9);
        }

        public long count() {
            return count.sum();
        }

        public double sum() {
            return sum.sum();
        }
    }

    public Child labels(String... values) {
        List<String> key = checkLabels(values);
        Child c = lookup.get(key);
        if (c != null) return c;
        return lookup.computeIfAbsent(key, k -> {
            Child fresh = new Child();
            children.put(k, fresh);
            return fresh;
        });
    }

    /** For a histogram without labels. */
    public void observe(double value) {
        labels().observe(value);
    }

    @Override
    String type() {
        return "histogram";
    }

    @Override
    void writeSamples(StringBuilder out) {
        if (labelNames().isEmpty()) labels(); // an unlabelled histogram shows its zeros before the first observation
        children.forEach((values, c) -> {
            long cumulative = 0;
            for (int i = 0; i <= bounds.length; i++) {
                cumulative += c.buckets[i].sum();
                String le = i < bounds.length ? TextFormat.number(bounds[i]) : "+Inf";
                TextFormat.sample(out, name() + "_bucket", labelNames(), values, "le", le, cumulative);
            }
            TextFormat.sample(out, name() + "_sum", labelNames(), values, null, null, c.sum());
            // the count read last can exceed the +Inf bucket by racing observations; never the reverse
            TextFormat.sample(
                    out, name() + "_count", labelNames(), values, null, null, Math.max(cumulative, c.count()));
        });
    }
}
