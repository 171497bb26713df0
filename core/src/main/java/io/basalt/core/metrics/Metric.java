package io.basalt.core.metrics;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One metric family: a name, its help text, its type and the names of its labels. Subclasses
 * write their samples in Prometheus' text format; {@link MetricRegistry} writes the header.
 */
public abstract sealed class Metric permits Counter, Gauge, Histogram {
    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

    private final String name;
    private final String help;
    private final List<String> labelNames;

    Metric(String name, String help, List<String> labelNames) {
        if (!NAME.matcher(name).matches()) throw new IllegalArgumentException("bad metric name " + name);
        for (String l : labelNames) {
            if (!LABEL.matcher(l).matches() || l.startsWith("__") || l.equals("le")) {
                throw new IllegalArgumentException("bad label name " + l + " of " + name);
            }
        }
        this.name = name;
        this.help = Objects.requireNonNull(help);
        this.labelNames = List.copyOf(labelNames);
    }

    public String name() {
        return name;
    }

    public String help() {
        return help;
    }

    public List<String> labelNames() {
        return labelNames;
    }

    /** "counter", "gauge" or "histogram": the TYPE line. */
    abstract String type();

    /** Appends every sample line of this family. */
    abstract void writeSamples(StringBuilder out);

    List<String> checkLabels(String... values) {
        if (values.length != labelNames.size()) {
            throw new IllegalArgumentException(
                    name + " has labels " + labelNames + ", got " + values.length + " values");
        }
        for (String v : values) Objects.requireNonNull(v, "label value");
        return List.of(values);
    }
}
