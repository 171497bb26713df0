package io.basalt.core.metrics;

import java.util.List;

/** Prometheus text exposition format 0.0.4: escaping and number formatting. */
final class TextFormat {
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private TextFormat() {}

    /** HELP text: backslash and line feed are escaped. */
    static String escapeHelp(String s) {
        return s.replace("\\", "\\\\").replace("\n", "\\n");
    }

    /** Label values: backslash, double quote and line feed are escaped. */
    static String escapeLabelValue(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    /** Integral values without a fraction, the rest as Java prints them; infinities as Go parses them. */
    static String number(double v) {
        if (Double.isNaN(v)) return "NaN";
        if (v == Double.POSITIVE_INFINITY) return "+Inf";
        if (v == Double.NEGATIVE_INFINITY) return "-Inf";
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        return Double.toString(v);
    }

    /** {@code name{a="x",b="y"} value}, the label list left out when empty. */
    static void sample(
            StringBuilder out,
            String name,
            List<String> labelNames,
            List<String> labelValues,
            String extraName,
            String extraValue,
            double value) {
        out.append(name);
        if (!labelNames.isEmpty() || extraName != null) {
            out.append('{');
            for (int i = 0; i < labelNames.size(); i++) {
                if (i > 0) out.append(',');
                out.append(labelNames.get(i))
                        .append("=\"")
                        .append(escapeLabelValue(labelValues.get(i)))
                        .append('"');
            }
            if (extraName != null) {
                if (!labelNames.isEmpty()) out.append(',');
                out.append(extraName)
                        .append("=\"")
                        .append(escapeLabelValue(extraValue))
                        .append('"');
            }
            out.append('}');
        }
        out.append(' ').append(number(value)).append('\n');
    }
}
