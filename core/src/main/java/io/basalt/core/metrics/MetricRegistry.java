package io.basalt.core.metrics;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The metrics of one process, rendered in Prometheus' text exposition format 0.0.4. Families are
 * registered once (a second registration of a name fails) and written in name order.
 */
public final class MetricRegistry {
    private final Map<String, Metric> metrics = new ConcurrentSkipListMap<>();

    public Counter counter(String name, String help, String... labelNames) {
        return register(new Counter(name, help, List.of(labelNames), null));
    }

    /** A counter over a count kept elsewhere, e.g. an AtomicLong. */
    public Counter counter(String name, String help, LongSupplier value) {
        return register(new Counter(name, help, List.of(), value));
    }

    public Gauge gauge(String name, String help, DoubleSupplier value) {
        return register(new Gauge(name, help, List.of(), () -> Map.of(List.of(), value.getAsDouble())));
    }

    /** A labelled gauge: the supplier returns every series as label values → value. */
    public Gauge gauge(String name, String help, List<String> labelNames, Supplier<Map<List<String>, Double>> series) {
        return register(new Gauge(name, help, labelNames, series));
    }

    public Histogram histogram(String name, String help, double[] buckets, String... labelNames) {
        return register(new Histogram(name, help, List.of(labelNames), buckets));
    }

    private <M extends Metric> M register(M metric) {
        if (metrics.putIfAbsent(metric.name(), metric) != null) {
            throw new IllegalArgumentException("metric " + metric.name() + " registered twice");
        }
        return metric;
    }

    /** Every family: HELP and TYPE lines, then its samples. */
    public String render() {
        StringBuilder out = new StringBuilder(4096);
        for (Metric m : metrics.values()) {
            out.append("# HELP ")
                    .append(m.name())
                    .append(' ')
                    .append(TextFormat.escapeHelp(m.help()))
                    .append('\n');
            out.append("# TYPE ").append(m.name()).append(' ').append(m.type()).append('\n');
            m.writeSamples(out);
        }
        return out.toString();
    }

    /** The Content-Type of {@link #render()}'s text. */
    public static String contentType() {
        return TextFormat.CONTENT_TYPE;
    }
}
