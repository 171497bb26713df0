package io.basalt.core.metrics;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * A monotonically increasing count, per combination of label values. Either incremented
 * ({@link #inc}, {@link #labels}) or read at scrape time from a supplier over a count the code
 * already keeps ({@link MetricRegistry#counter(String, String, LongSupplier)}).
 */
public final class Counter extends Metric {
    private final Map<List<String>, Child> children = new ConcurrentSkipListMap<>(LabelValues.ORDER);
    private final Map<List<String>, Child> lookup = new ConcurrentHashMap<>();
    private final LongSupplier supplier;

    Counter(String name, String help, List<String> labelNames, LongSupplier supplier) {
        super(name, help, labelNames);
        this.supplier = supplier;
    }

    /** One labelled series; cheap to keep and call from hot paths. */
    public static final class Child {
        private final LongAdder value = new LongAdder();

        public void inc() {
            value.increment();
        }

        public void add(long n) {
            if (n < 0) throw new IllegalArgumentException("a counter cannot go down: " + n);
            value.add(n);
        }

        public long get() {
            return value.sum();
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

    /** For a counter without labels. */
    public void inc() {
        labels().inc();
    }

    /** For a counter without labels. */
    public void add(long n) {
        labels().add(n);
    }

    /** The current value of one series (0 if never touched). */
    public long get(String... values) {
        if (supplier != null) return supplier.getAsLong();
        Child c = lookup.get(checkLabels(values));
        return c == null ? 0 : c.get();
    }

    @Override
    String type() {
        return "counter";
    }

    @Override
    void writeSamples(StringBuilder out) {
        if (supplier != null) {
            TextFormat.sample(out, name(), List.of(), List.of(), null, null, supplier.getAsLong());
            return;
        }
        if (labelNames().isEmpty() && children.isEmpty()) {
            TextFormat.sample(out, name(), List.of(), List.of(), null, null, 0); // 0 before the first event
        }
        children.forEach((values, c) -> TextFormat.sample(out, name(), labelNames(), values, null, null, c.get()));
    }
}
