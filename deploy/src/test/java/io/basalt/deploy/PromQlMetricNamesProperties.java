package io.basalt.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Expressions built from random metric names, label names and values in every position the extractor
 * skips: it finds exactly the metric names put in, whatever the label names or values look like.
 */
class PromQlMetricNamesProperties {

    /** An expression and the metric names it was built from. */
    record Built(String expr, Set<String> metrics) {}

    @Property(tries = 300)
    void findsExactlyTheMetricsAnExpressionWasBuiltFrom(@ForAll("expressions") Built built) {
        assertEquals(built.metrics(), PromQlMetricNames.of(built.expr()), built.expr());
    }

    @Provide
    Arbitrary<Built> expressions() {
        return Arbitraries.recursive(this::selector, this::wrapped, 1, 4);
    }

    /** Names that look like anything a metric, label or keyword could be: the extractor must go by position. */
    private static Arbitrary<String> names() {
        Arbitrary<String> random = Arbitraries.strings()
                .withChars("abcdefghijklmnopqrstuvwxyz_:")
                .ofMinLength(1)
                .ofMaxLength(12)
                .map(s -> s.charAt(0) == ':' ? "m" + s : s);
        return Arbitraries.oneOf(random, Arbitraries.of("basalt_node_healthy", "rate_total", "sum_bytes", "le_x"))
                .filter(s -> !Set.of(
                                "by",
                                "without",
                                "on",
                                "ignoring",
                                "group_left",
                                "group_right",
                                "and",
                                "or",
                                "unless",
                                "bool",
                                "offset",
                                "atan2",
                                "inf",
                                "nan")
                        .contains(s.toLowerCase(java.util.Locale.ROOT)));
    }

    private static Arbitrary<String> labelNames() {
        return Arbitraries.oneOf(names(), Arbitraries.of("by", "offset", "le", "instance", "sum"));
    }

    private static Arbitrary<String> labelValues() {
        return Arbitraries.strings()
                .withChars("abc_:{}()[],$\" '`\\5m")
                .ofMaxLength(10)
                .map(s -> s.replace("\\", "\\\\").replace("\"", "\\\""));
    }

    private Arbitrary<Built> selector() {
        Arbitrary<String> matchers = Combinators.combine(
                        labelNames(), Arbitraries.of("=", "!=", "=~", "!~"), labelValues())
                .as((l, op, v) -> l + op + "\"" + v + "\"")
                .list()
                .ofMaxSize(3)
                .map(l -> l.isEmpty() ? "" : "{" + String.join(", ", l) + "}");
        return Combinators.combine(names(), matchers).as((n, m) -> new Built(n + m, Set.of(n)));
    }

    private Arbitrary<Built> wrapped(Arbitrary<Built> inner) {
        Arbitrary<String> labels = labelNames().list().ofMinSize(1).ofMaxSize(3).map(l -> String.join(", ", l));
        Arbitrary<String> durations = Arbitraries.of("5m", "1h30m", "$__rate_interval", "${__range}", "10s:1s");
        return Arbitraries.oneOf(
                Combinators.combine(Arbitraries.of("rate", "increase", "max_over_time"), inner, durations)
                        .as((f, b, d) -> new Built(f + "(" + b.expr() + "[" + d + "])", b.metrics())),
                Combinators.combine(
                                Arbitraries.of("sum", "max", "count"), Arbitraries.of("by", "without"), labels, inner)
                        .as((a, kw, l, b) -> new Built(a + " " + kw + " (" + l + ") (" + b.expr() + ")", b.metrics())),
                Combinators.combine(inner, labels)
                        .as((b, l) -> new Built("sum(" + b.expr() + ") by (" + l + ")", b.metrics())),
                inner.map(b -> new Built("histogram_quantile(0.99, " + b.expr() + ")", b.metrics())),
                Combinators.combine(
                                inner, inner, Arbitraries.of("+", "/", " and ", " or ", " unless ", " > bool "), labels)
                        .as((a, b, op, l) -> new Built(
                                "(" + a.expr() + ")" + op + "on(" + l + ") group_left(" + l + ") " + b.expr(),
                                union(a.metrics(), b.metrics()))),
                inner.map(b -> new Built(b.expr() + " offset 5m or vector(0)", b.metrics())),
                inner.map(b ->
                        new Built("label_replace(" + b.expr() + ", \"dst\", \"$1\", \"src\", \"(.*)\")", b.metrics())));
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> out = new TreeSet<>(a);
        out.addAll(b);
        return Set.copyOf(out);
    }
}
