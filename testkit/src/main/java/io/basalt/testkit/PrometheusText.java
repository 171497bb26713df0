package io.basalt.testkit;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict reader of Prometheus text format 0.0.4, written from the format's description
 * rather than from the writer, so tests can parse a scrape back and check every line.
 */
public final class PrometheusText {
    /** One sample line. */
    public record Sample(String name, Map<String, String> labels, double value) {}

    public final Map<String, String> help = new LinkedHashMap<>();
    public final Map<String, String> type = new LinkedHashMap<>();
    public final List<Sample> samples = new ArrayList<>();

    public static PrometheusText parse(String text) {
        if (!text.isEmpty() && !text.endsWith("\n"))
            throw new IllegalArgumentException("text must end with a line feed");
        PrometheusText out = new PrometheusText();
        for (String line : text.split("\n", -1)) {
            if (line.isEmpty()) continue;
            if (line.startsWith("# HELP ")) {
                String rest = line.substring(7);
                int sp = rest.indexOf(' ');
                out.help.put(rest.substring(0, sp), unescape(rest.substring(sp + 1), false));
            } else if (line.startsWith("# TYPE ")) {
                String[] parts = line.substring(7).split(" ");
                if (parts.length != 2
                        || !List.of("counter", "gauge", "histogram", "summary", "untyped")
                                .contains(parts[1])) {
                    throw new IllegalArgumentException("bad TYPE line: " + line);
                }
                out.type.put(parts[0], parts[1]);
            } else if (line.startsWith("#")) {
                continue;
            } else {
                out.samples.add(sample(line));
            }
        }
        return out;
    }

    private static Sample sample(String line) {
        int i = 0;
        while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') i++;
        String name = line.substring(0, i);
        if (!name.matches("[a-zA-Z_:][a-zA-Z0-9_:]*")) throw new IllegalArgumentException("bad name in: " + line);
        Map<String, String> labels = new LinkedHashMap<>();
        if (i < line.length() && line.charAt(i) == '{') {
            i++;
            while (line.charAt(i) != '}') {
                int eq = line.indexOf('=', i);
                String label = line.substring(i, eq);
                if (!label.matches("[a-zA-Z_][a-zA-Z0-9_]*"))
                    throw new IllegalArgumentException("bad label in: " + line);
                if (line.charAt(eq + 1) != '"') throw new IllegalArgumentException("unquoted value in: " + line);
                StringBuilder value = new StringBuilder();
                int j = eq + 2;
                while (line.charAt(j) != '"') {
                    char c = line.charAt(j);
                    if (c == '\\') {
                        char n = line.charAt(++j);
                        value.append(
                                switch (n) {
                                    case 'n' -> '\n';
                                    case '\\' -> '\\';
                                    case '"' -> '"';
                                    default -> throw new IllegalArgumentException("bad escape \\" + n + " in: " + line);
                                });
                    } else {
                        value.append(c);
                    }
                    j++;
                }
                labels.put(label, value.toString());
                i = j + 1;
                if (line.charAt(i) == ',') i++;
            }
            i++;
        }
        if (line.charAt(i) != ' ') throw new IllegalArgumentException("no value in: " + line);
        String v = line.substring(i + 1);
        double value = switch (v) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(v);
        };
        return new Sample(name, labels, value);
    }

    private static String unescape(String s, boolean quotes) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                char n = s.charAt(++i);
                if (n == 'n') out.append('\n');
                else if (n == '\\') out.append('\\');
                else if (quotes && n == '"') out.append('"');
                else out.append('\\').append(n);
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** The value of the one sample with this name and exactly these labels; NaN if absent. */
    public double value(String name, String... labelPairs) {
        Map<String, String> want = new LinkedHashMap<>();
        for (int i = 0; i < labelPairs.length; i += 2) want.put(labelPairs[i], labelPairs[i + 1]);
        for (Sample s : samples) {
            if (s.name().equals(name) && s.labels().equals(want)) return s.value();
        }
        return Double.NaN;
    }
}
