package io.basalt.core.metrics;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * A value read at scrape time: the code keeps its state where it already is and the gauge only
 * looks. A labelled gauge's supplier returns every series (label values → value), so series can
 * come and go, e.g. one per data dir.
 */
public final class Gauge extends Metric {
    private final Supplier<Map<List<String>, Double>> series;

    Gauge(String name, String help, List<String> labelNames, Supplier<Map<List<String>, Double>> series) {
        super(name, help, labelNames);
        this.series = series;
    }

    /** The current value of one series, or NaN if the supplier has none. */
    public double get(String... values) {
        Double v = series.get().get(checkLabels(values));
        return v == null ? Double.NaN : v;
    }

    @Override
    String type() {
        return "gauge";
    }

    @Override
    void writeSamples(StringBuilder out) {
        Map<List<String>, Double> now = new TreeMap<>(LabelValues.ORDER);
        now.putAll(series.get());
        now.forEach((values, v) -> {
            if (values.size() != labelNames().size()) {
                throw new IllegalStateException(
                        name() + ": series " + values + " does not match labels " + labelNames());
            }
            TextFormat.sample(out, name(), labelNames(), values, null, null, v);
        });
    }
}
