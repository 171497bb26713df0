package io.basalt.bench;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Workload parameters: defaults, overridden by --set workload.key=value (and --rows/--dim). */
final class Params {
    final Map<String, String> values = new TreeMap<>();

    Params(Map<String, String> defaults) {
        values.putAll(defaults);
    }

    void set(String key, String value) {
        if (!values.containsKey(key))
            throw new IllegalArgumentException("unknown parameter " + key + "; known: " + values.keySet());
        values.put(key, value);
    }

    int integer(String key) {
        return Integer.parseInt(values.get(key));
    }

    long size(String key) {
        return parseSize(values.get(key));
    }

    List<String> list(String key) {
        return List.of(values.get(key).split(","));
    }

    Map<String, String> of(String workload) {
        Map<String, String> m = new TreeMap<>();
        values.forEach((k, v) -> {
            if (k.startsWith(workload + ".") || (workload.equals("get") && k.startsWith("put.size"))) m.put(k, v);
        });
        return m;
    }

    static long parseSize(String s) {
        s = s.trim();
        long mult = 1;
        String[][] units = {
            {"GiB", "" + (1L << 30)},
            {"MiB", "" + (1L << 20)},
            {"KiB", "1024"},
            {"GB", "1000000000"},
            {"MB", "1000000"},
            {"KB", "1000"},
            {"B", "1"}
        };
        for (String[] u : units) {
            if (s.endsWith(u[0])) {
                mult = Long.parseLong(u[1]);
                s = s.substring(0, s.length() - u[0].length());
                break;
            }
        }
        return (long) (Double.parseDouble(s.trim()) * mult);
    }

    static String human(long bytes) {
        if (bytes >= 1L << 30 && bytes % (1L << 30) == 0) return (bytes >> 30) + " GiB";
        if (bytes >= 1L << 20 && bytes % (1L << 20) == 0) return (bytes >> 20) + " MiB";
        if (bytes >= 1024 && bytes % 1024 == 0) return (bytes >> 10) + " KiB";
        return bytes + " B";
    }
}
