package io.basalt.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;

/** report.json, report.md and one PNG per workload. */
final class Report {
    final Path out;
    final List<Target> targets;
    final Params params;
    final int reps;
    final boolean quick;
    final String args;
    Limits limits;
    /** What each workload and target ran first, not counted (the default: one repetition). */
    WarmUp warmUp = new WarmUp(1, 0);
    /** workload -> target -> the warm-up it ran. */
    final Map<String, Map<String, WarmUp.Done>> warmedUp = new LinkedHashMap<>();
    /** workload -> target -> seconds waited for its GC to collect what the warm-up overwrote ({@link GcDrain}). */
    final Map<String, Map<String, Double>> gcWaited = new LinkedHashMap<>();

    double wallSeconds;
    /** workload -> target -> one Figures per repetition. */
    final Map<String, Map<String, List<Figures>>> results = new LinkedHashMap<>();

    Report(Path out, List<Target> targets, Params params, int reps, boolean quick, String args) {
        this.out = out;
        this.targets = targets;
        this.params = params;
        this.reps = reps;
        this.quick = quick;
        this.args = args;
    }

    record Stat(double min, double median, double max, double[] values) {
        static Stat of(double[] v) {
            double[] s = v.clone();
            Arrays.sort(s);
            double med = s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
            return new Stat(s[0], med, s[s.length - 1], v);
        }
    }

    /** figure names of a workload, over all targets, in first-seen order. */
    private Set<String> names(Map<String, List<Figures>> byTarget) {
        Set<String> n = new LinkedHashSet<>();
        for (List<Figures> l : byTarget.values()) for (Figures f : l) n.addAll(f.all.keySet());
        return n;
    }

    private Figures.Figure proto(Map<String, List<Figures>> byTarget, String name) {
        for (List<Figures> l : byTarget.values())
            for (Figures f : l) if (f.all.containsKey(name)) return f.all.get(name);
        return null;
    }

    private Stat stat(List<Figures> reps, String name) {
        if (reps == null) return null;
        double[] v = reps.stream()
                .filter(f -> f.all.containsKey(name))
                .mapToDouble(f -> f.all.get(name).value())
                .toArray();
        return v.length == 0 ? null : Stat.of(v);
    }

    /** per-repetition ratio a/b, then min/median/max. */
    private Stat ratio(List<Figures> a, List<Figures> b, String name) {
        if (a == null || b == null) return null;
        List<Double> r = new ArrayList<>();
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            var x = a.get(i).all.get(name);
            var y = b.get(i).all.get(name);
            if (x != null && y != null && y.value() != 0) r.add(x.value() / y.value());
        }
        return r.isEmpty()
                ? null
                : Stat.of(r.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** What the hardware allows for a figure, in its unit, or NaN. */
    double bound(String workload, String name) {
        if (limits == null) return Double.NaN;
        double md5 = limits.get("MD5, one core") * 1000;
        double enc = limits.get("RS encode 4+2") * 1000;
        double w = limits.get("disk sequential write + fsync") * 1000 * 4 / 6;
        double r = limits.get("disk sequential read") * 1000;
        double net = limits.get("loopback TCP, one stream") * 1000;
        double files = limits.get("64 KiB file write + fsync + rename");
        boolean write = name.equals("PUT MB/s")
                || name.equals("upload MB/s")
                || name.equals("insert binlogs MB/s")
                || name.equals("index upload MB/s");
        boolean read = name.equals("GET MB/s") || name.equals("cold load MB/s");
        if (write) return min(md5, enc, w);
        if (read) return min(r, net);
        if (name.equals("heal read MB/s")) return r; // every surviving node's disk is this one disk here
        if (name.startsWith("heal CPU s per GB read")) return limits.get(Floor.HEAL); // a lower bound, as below
        if (name.equals(SERVER_CPU) || name.equals(SERVER_CPU_WITHOUT_JIT)) { // a lower bound: 100% is at the floor
            Floor floor = floorOf(workload);
            if (floor != null) return floor.total();
        }
        // 3 fsynced shard files per PUT: 4 KiB and 64 KiB are under the gateway's small-object threshold (1+2 copies)
        if (workload.equals("small") && name.startsWith("PUT ops/s")) return files / 3;
        return Double.NaN;
    }

    /** The floor a workload's server CPU is set against, or null. */
    private Floor floorOf(String workload) {
        if (limits == null) return null;
        String name = switch (workload) {
            case "put", "multipart" -> Floor.PUT;
            case "get" -> Floor.GET;
            default -> null;
        };
        return limits.floors.stream()
                .filter(f -> f.name().equals(name))
                .findFirst()
                .orElse(null);
    }

    private static double min(double... v) {
        double m = Double.POSITIVE_INFINITY;
        for (double x : v) if (!Double.isNaN(x)) m = Math.min(m, x);
        return m == Double.POSITIVE_INFINITY ? Double.NaN : m;
    }

    Path write() throws Exception {
        writeJson();
        for (var e : results.entrySet()) chart(e.getKey(), e.getValue());
        Path md = out.resolve("report.md");
        Files.writeString(md, markdown());
        return md;
    }

    // ------------------------------------------------------------------ JSON

    static String q(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }

    static String n(double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) return "null";
        return String.format(Locale.ROOT, "%.6g", d);
    }

    static String stat(Stat s) {
        if (s == null) return "null";
        StringBuilder b = new StringBuilder("{\"min\": " + n(s.min) + ", \"median\": " + n(s.median) + ", \"max\": "
                + n(s.max) + ", \"values\": [");
        for (int i = 0; i < s.values.length; i++) b.append(i > 0 ? ", " : "").append(n(s.values[i]));
        return b.append("]}").toString();
    }

    private void writeJson() throws Exception {
        StringBuilder j = new StringBuilder("{\n");
        j.append("  \"generated\": ").append(q(Instant.now().toString())).append(",\n");
        j.append("  \"arguments\": ").append(q(args)).append(",\n");
        j.append("  \"quick\": ")
                .append(quick)
                .append(",\n  \"repetitions\": ")
                .append(reps)
                .append(",\n  \"warmup_repetitions\": ")
                .append(warmUp.reps())
                .append(",\n  \"warmup_seconds\": ")
                .append(n(warmUp.timed()))
                .append(",\n  \"warmup_seconds_of\": {");
        String sepOf = "";
        for (var e : warmUp.secondsOf().entrySet()) {
            j.append(sepOf).append(q(e.getKey())).append(": ").append(n(e.getValue()));
            sepOf = ", ";
        }
        j.append("},\n  \"warmed_up\": {");
        String sep = "";
        for (var we : warmedUp.entrySet()) {
            j.append(sep).append(q(we.getKey())).append(": {");
            String sep2 = "";
            for (var te : we.getValue().entrySet()) {
                j.append(sep2)
                        .append(q(te.getKey()))
                        .append(": {\"repetitions\": ")
                        .append(te.getValue().reps())
                        .append(", \"seconds\": ")
                        .append(n(te.getValue().seconds()))
                        .append("}");
                sep2 = ", ";
            }
            j.append("}");
            sep = ", ";
        }
        j.append("},\n");
        j.append("  \"wall_seconds\": ").append(n(wallSeconds)).append(",\n");
        j.append("  \"machine\": {\"cores\": ")
                .append(Runtime.getRuntime().availableProcessors())
                .append(", \"java\": ")
                .append(q(System.getProperty("java.version")))
                .append("},\n");
        j.append("  \"targets\": [\n");
        for (int i = 0; i < targets.size(); i++) {
            Target t = targets.get(i);
            j.append("    {\"name\": ")
                    .append(q(t.name))
                    .append(", \"endpoint\": ")
                    .append(q(t.endpoint.toString()))
                    .append(", \"promise\": ")
                    .append(q(t.promise))
                    .append(", \"measured_processes\": ")
                    .append(q(t.pids.toString()))
                    .append("}")
                    .append(i < targets.size() - 1 ? ",\n" : "\n");
        }
        j.append("  ],\n  \"limits\": {");
        if (limits != null) {
            int i = 0;
            for (var l : limits.all.values()) {
                j.append(i++ > 0 ? "," : "")
                        .append("\n    ")
                        .append(q(l.name()))
                        .append(": {\"unit\": ")
                        .append(q(l.unit()))
                        .append(", \"value\": ")
                        .append(n(l.value()))
                        .append(", \"how\": ")
                        .append(q(l.how()))
                        .append("}");
            }
        }
        j.append("\n  },\n  \"workloads\": {");
        int wi = 0;
        for (var we : results.entrySet()) {
            String workload = we.getKey();
            var byTarget = we.getValue();
            j.append(wi++ > 0 ? "," : "").append("\n    ").append(q(workload)).append(": {\n      \"params\": {");
            int pi = 0;
            for (var p : params.of(workload).entrySet()) {
                j.append(pi++ > 0 ? ", " : "")
                        .append(q(p.getKey()))
                        .append(": ")
                        .append(q(p.getValue()));
            }
            j.append("},\n      \"figures\": {");
            int fi = 0;
            for (String name : names(byTarget)) {
                var pr = proto(byTarget, name);
                j.append(fi++ > 0 ? "," : "")
                        .append("\n        ")
                        .append(q(name))
                        .append(": {\"unit\": ")
                        .append(q(pr.unit()))
                        .append(", \"higher_is_better\": ")
                        .append(pr.higherIsBetter())
                        .append(", \"targets\": {");
                int ti = 0;
                for (Target t : targets) {
                    Stat s = stat(byTarget.get(t.name), name);
                    if (s == null) continue;
                    j.append(ti++ > 0 ? ", " : "")
                            .append(q(t.name))
                            .append(": ")
                            .append(stat(s));
                }
                j.append("}");
                if (targets.size() > 1) {
                    j.append(", \"ratios\": {");
                    int ri = 0;
                    for (Target t : targets.subList(1, targets.size())) {
                        Stat r = ratio(byTarget.get(targets.get(0).name), byTarget.get(t.name), name);
                        if (r == null) continue;
                        j.append(ri++ > 0 ? ", " : "")
                                .append(q(targets.get(0).name + "/" + t.name))
                                .append(": ")
                                .append(stat(r));
                    }
                    j.append("}");
                }
                double b = bound(workload, name);
                if (!Double.isNaN(b)) {
                    Stat s = stat(byTarget.get(targets.get(0).name), name);
                    j.append(", \"hardware_bound\": ").append(n(b));
                    if (s != null) j.append(", \"fraction_of_bound\": ").append(n(s.median / b));
                }
                j.append("}");
            }
            j.append("\n      },\n      \"cpu\": ")
                    .append(new CpuReport(targets, byTarget).json())
                    .append("\n    }");
        }
        j.append("\n  }\n}\n");
        Files.writeString(out.resolve("report.json"), j.toString());
    }

    // ------------------------------------------------------------------ Markdown

    static String f(double v) {
        if (Double.isNaN(v)) return "–";
        double a = Math.abs(v);
        if (a == 0) return "0";
        if (a >= 100) return String.format(Locale.ROOT, "%,.0f", v);
        if (a >= 10) return String.format(Locale.ROOT, "%.1f", v);
        if (a >= 0.1) return String.format(Locale.ROOT, "%.2f", v);
        return String.format(Locale.ROOT, "%.3f", v);
    }

    private static String cell(Stat s) {
        if (s == null) return "–";
        return s.values.length == 1 ? f(s.median) : f(s.median) + " (" + f(s.min) + "–" + f(s.max) + ")";
    }

    static final String SERVER_CPU = "CPU s/GB server total";
    static final String SERVER_CPU_WITHOUT_JIT = "CPU s/GB server without JIT";

    /** the few figures of the summary table (and the README). */
    static final List<String[]> KEY = List.of(
            new String[] {"put", "PUT MB/s"},
            new String[] {"put", "PUT p99 ms"},
            new String[] {"put", SERVER_CPU},
            new String[] {"put", SERVER_CPU_WITHOUT_JIT},
            new String[] {"get", "GET MB/s"},
            new String[] {"get", "GET p99 ms"},
            new String[] {"get", SERVER_CPU},
            new String[] {"get", SERVER_CPU_WITHOUT_JIT},
            new String[] {"mixed", "ops/s"},
            new String[] {"mixed", "GET p99 ms"},
            new String[] {"list", "objects listed/s"},
            new String[] {"list", "PUT 0 B ops/s"},
            new String[] {"multipart", "upload MB/s"},
            new String[] {"small", "PUT ops/s 4 KiB c1"},
            new String[] {"small", "PUT ops/s 4 KiB c16"},
            new String[] {"small", "PUT ops/s 64 KiB c16"},
            new String[] {"small", "GET 4 KiB c1 p50 ms"},
            new String[] {"small", "GET 4 KiB c16 p99 ms"},
            new String[] {"small", "GET 64 KiB c16 p999 ms"},
            new String[] {"small", "mixed 4 KiB c16 ops/s"},
            new String[] {"milvus", "insert binlogs MB/s"},
            new String[] {"milvus", "index upload MB/s"},
            new String[] {"milvus", "cold load MB/s"},
            new String[] {"milvus", "ranged 1 MiB p50 ms"},
            new String[] {"milvus", "ranged 1 MiB p99 ms"},
            new String[] {"milvus", "footprint (disk/logical)"});

    private String header(boolean bound) {
        StringBuilder h = new StringBuilder("| figure |");
        StringBuilder sep = new StringBuilder("| --- |");
        for (Target t : targets) {
            h.append(' ').append(t.name).append(" |");
            sep.append(" ---: |");
        }
        for (Target t : targets.subList(Math.min(1, targets.size()), targets.size())) {
            h.append(' ').append(targets.get(0).name).append('/').append(t.name).append(" |");
            sep.append(" ---: |");
        }
        if (bound) {
            h.append(" ").append(targets.get(0).name).append(" vs hardware |");
            sep.append(" ---: |");
        }
        return h + "\n" + sep + "\n";
    }

    private String row(String workload, String label, String name, boolean bound) {
        var byTarget = results.get(workload);
        StringBuilder r = new StringBuilder("| " + label + " |");
        for (Target t : targets)
            r.append(' ').append(cell(stat(byTarget.get(t.name), name))).append(" |");
        for (Target t : targets.subList(Math.min(1, targets.size()), targets.size())) {
            r.append(' ')
                    .append(cell(ratio(byTarget.get(targets.get(0).name), byTarget.get(t.name), name)))
                    .append(" |");
        }
        if (bound) {
            double b = bound(workload, name);
            Stat s = stat(byTarget.get(targets.get(0).name), name);
            r.append(' ')
                    .append(
                            Double.isNaN(b) || s == null
                                    ? ""
                                    : String.format(Locale.ROOT, "%.0f%% of %s", 100 * s.median / b, f(b)))
                    .append(" |");
        }
        return r + "\n";
    }

    String markdown() {
        StringBuilder m = new StringBuilder("# Basalt benchmark report\n\n");
        m.append(String.format(
                Locale.ROOT,
                "Generated %s by `basalt-bench %s`; %d repetition(s) per workload after %d warm-up repetition(s) "
                        + "and %.0f s of the workload%s (run, not counted; heal and faults: repetitions only), targets run in "
                        + "alternation; cells are median (min–max) over repetitions, ratios are computed per repetition. "
                        + "%d cores, Java %s.%s%n%n",
                Instant.now(),
                args,
                reps,
                warmUp.reps(),
                warmUp.timed(),
                warmUp.ownTimes().isEmpty() ? "" : " (" + warmUp.ownTimes() + ")",
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"),
                wallSeconds > 0 ? String.format(Locale.ROOT, " Wall time %.0f s.", wallSeconds) : ""));
        m.append("## Targets\n\n| target | endpoint | promises |\n| --- | --- | --- |\n");
        for (Target t : targets)
            m.append("| ")
                    .append(t.name)
                    .append(" | ")
                    .append(t.endpoint)
                    .append(" | ")
                    .append(t.promise)
                    .append(" |\n");
        m.append(
                "\nThe client is the AWS SDK for Java v2 (sync, Apache HTTP client) in the bench process, sharing the machine's "
                        + "cores with every server process. Client retries are counted per workload (SDK attempts minus calls). "
                        + "CPU s/GB = utime+stime from /proc/PID/stat of each server process over the workload, per GB of payload moved; "
                        + "each workload's section splits it into user and system time per process and thread kind "
                        + "(/proc/PID/task/TID/stat, sampled every second; CPU of threads that exited in between shows as "
                        + "\"exited threads\") and lists each JVM's GC collections and pauses.\n\n");
        if (limits != null) {
            m.append("## Machine limits\n\n| limit | value | how |\n| --- | ---: | --- |\n");
            for (var l : limits.all.values()) {
                m.append("| ")
                        .append(l.name())
                        .append(" | ")
                        .append(f(l.value()))
                        .append(' ')
                        .append(l.unit())
                        .append(" | ")
                        .append(l.how())
                        .append(" |\n");
            }
            m.append("\nHardware bounds used below: PUT-like throughput ≤ min(MD5, RS encode 4+2, disk write × 4/6); "
                    + "GET-like ≤ min(disk read, loopback TCP); small PUT ops/s ≤ fsynced files/s ÷ 3 (1+2 copies, one writer); "
                    + "server CPU per GB of PUT and multipart ≥ the PUT floor, of GET ≥ the GET floor, a heal's per GB read ≥ "
                    + "the heal floor "
                    + "(shown as the percentage of the floor).\n\n");
        }
        if (targets.isEmpty()) return m.toString(); // --limits-only
        m.append("## Summary\n\n").append(header(limits != null));
        for (String[] k : KEY) {
            if (results.containsKey(k[0]) && names(results.get(k[0])).contains(k[1])) {
                m.append(row(k[0], k[0] + ": " + k[1], k[1], limits != null));
            }
        }
        for (var we : results.entrySet()) {
            String workload = we.getKey();
            m.append("\n## ").append(workload).append("\n\nParameters: ");
            List<String> ps = new ArrayList<>();
            params.of(workload).forEach((k, v) -> ps.add("`" + k + "=" + v + "`"));
            m.append(String.join(", ", ps))
                    .append(". Chart: `")
                    .append(workload)
                    .append(".png`.");
            Map<String, WarmUp.Done> warmed = warmedUp.getOrDefault(workload, Map.of());
            if (!warmed.isEmpty()) {
                List<String> ws = new ArrayList<>();
                warmed.forEach(
                        (t, d) -> ws.add(String.format(Locale.ROOT, "%s %d in %.0f s", t, d.reps(), d.seconds())));
                m.append(" Warm-up repetitions (not counted): ")
                        .append(String.join(", ", ws))
                        .append('.');
            }
            Map<String, Double> gc = gcWaited.getOrDefault(workload, Map.of());
            if (!gc.isEmpty()) {
                List<String> gs = new ArrayList<>();
                gc.forEach((t, sec) -> gs.add(String.format(Locale.ROOT, "%s %.0f s", t, sec)));
                m.append(" Then waited for the GC of what it overwrote or deleted: ")
                        .append(String.join(", ", gs))
                        .append('.');
            }
            m.append("\n\n").append(header(limits != null));
            for (String name : names(we.getValue())) {
                var pr = proto(we.getValue(), name);
                String unit = name.endsWith(pr.unit()) ? "" : " [" + pr.unit() + "]";
                m.append(row(workload, name + unit, name, limits != null));
            }
            CpuReport cpu = new CpuReport(targets, we.getValue());
            m.append(cpu.markdown());
            Floor floor = floorOf(workload);
            if (floor != null) m.append(cpu.floorMarkdown(floor));
        }
        return m.toString();
    }

    // ------------------------------------------------------------------ charts

    private static final Color[] SERIES = {
        new Color(0xD9, 0x5F, 0x02),
        new Color(0x1B, 0x9E, 0x77),
        new Color(0x75, 0x70, 0xB3),
        new Color(0xE7, 0x29, 0x8A),
        new Color(0x66, 0xA6, 0x1E)
    };

    /** One PNG per workload: a panel per unit (throughput, latency, CPU), grouped bars per figure, one series per target. */
    private void chart(String workload, Map<String, List<Figures>> byTarget) throws Exception {
        Map<String, List<String>> panels = new LinkedHashMap<>();
        for (String name : names(byTarget)) {
            var pr = proto(byTarget, name);
            if (pr.unit().equals("count") || pr.unit().equals("MB") || pr.unit().equals("s")) continue;
            if (name.startsWith("CPU s/GB") && !name.equals(SERVER_CPU)) continue;
            panels.computeIfAbsent(pr.unit(), k -> new ArrayList<>()).add(name);
        }
        if (panels.isEmpty()) return;
        int panelH = 300, width = 1100, top = 50;
        int height = top + panels.size() * (panelH + 30) + 20;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString("Workload " + workload + " — median of " + reps + " repetitions, whiskers min–max", 20, 24);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        int lx = 20;
        for (int i = 0; i < targets.size(); i++) {
            g.setColor(SERIES[i % SERIES.length]);
            g.fillRect(lx, 34, 12, 12);
            g.setColor(Color.BLACK);
            g.drawString(targets.get(i).name, lx + 16, 45);
            lx += 30 + g.getFontMetrics().stringWidth(targets.get(i).name);
        }
        int y = top;
        for (var pe : panels.entrySet()) {
            drawPanel(g, pe.getKey(), pe.getValue(), byTarget, 70, y + 20, width - 90, panelH - 70);
            y += panelH + 30;
        }
        g.dispose();
        ImageIO.write(img, "png", out.resolve(workload + ".png").toFile());
    }

    private void drawPanel(
            Graphics2D g,
            String unit,
            List<String> names,
            Map<String, List<Figures>> byTarget,
            int x0,
            int y0,
            int w,
            int h) {
        double max = 0;
        for (String n : names)
            for (Target t : targets) {
                Stat s = stat(byTarget.get(t.name), n);
                if (s != null) max = Math.max(max, s.max);
            }
        if (max <= 0) max = 1;
        double nice = Math.pow(10, Math.floor(Math.log10(max)));
        double step = nice;
        for (double c : new double[] {1, 2, 5, 10}) {
            if (max / (nice * c / 5) <= 6) {
                step = nice * c / 5;
                break;
            }
        }
        double top = Math.ceil(max / step) * step;
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        g.setColor(Color.BLACK);
        g.drawString(unit, x0 - 60, y0 - 8);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        for (double v = 0; v <= top + 1e-9; v += step) {
            int yy = y0 + h - (int) (h * v / top);
            g.setColor(new Color(0xE0, 0xE0, 0xE0));
            g.drawLine(x0, yy, x0 + w, yy);
            g.setColor(Color.DARK_GRAY);
            String lbl = f(v);
            g.drawString(lbl, x0 - 6 - g.getFontMetrics().stringWidth(lbl), yy + 4);
        }
        g.setColor(Color.BLACK);
        g.drawLine(x0, y0 + h, x0 + w, y0 + h);
        int groups = names.size();
        double gw = (double) w / groups;
        double bw = Math.min(40, gw * 0.8 / targets.size());
        for (int gi = 0; gi < groups; gi++) {
            String n = names.get(gi);
            double gx = x0 + gi * gw + (gw - bw * targets.size()) / 2;
            for (int ti = 0; ti < targets.size(); ti++) {
                Stat s = stat(byTarget.get(targets.get(ti).name), n);
                if (s == null) continue;
                int bx = (int) (gx + ti * bw);
                int bh = (int) (h * s.median / top);
                g.setColor(SERIES[ti % SERIES.length]);
                g.fillRect(bx + 1, y0 + h - bh, (int) bw - 2, bh);
                g.setColor(Color.BLACK);
                g.setStroke(new BasicStroke(1.2f));
                int cx = bx + (int) bw / 2;
                int ymin = y0 + h - (int) (h * s.min / top), ymax = y0 + h - (int) (h * s.max / top);
                g.drawLine(cx, ymin, cx, ymax);
                g.drawLine(cx - 3, ymin, cx + 3, ymin);
                g.drawLine(cx - 3, ymax, cx + 3, ymax);
                g.setStroke(new BasicStroke(1f));
                if (bw >= 22) {
                    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 9));
                    String v = f(s.median);
                    g.drawString(v, cx - g.getFontMetrics().stringWidth(v) / 2, Math.min(ymax, y0 + h - bh) - 3);
                }
            }
            String label = n.endsWith(unit)
                    ? n.substring(0, n.length() - unit.length()).trim()
                    : n;
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, groups > 8 ? 9 : 11));
            int lw = g.getFontMetrics().stringWidth(label);
            int lxx = (int) (x0 + gi * gw + gw / 2 - lw / 2);
            if (lw > gw - 2 && groups > 1) { // two lines when crowded
                int cut = label.lastIndexOf(' ', label.length() / 2 + 3);
                if (cut > 0) {
                    String a = label.substring(0, cut), b = label.substring(cut + 1);
                    g.drawString(
                            a, (int) (x0 + gi * gw + gw / 2 - g.getFontMetrics().stringWidth(a) / 2), y0 + h + 14);
                    g.drawString(
                            b, (int) (x0 + gi * gw + gw / 2 - g.getFontMetrics().stringWidth(b) / 2), y0 + h + 26);
                    continue;
                }
            }
            g.drawString(label, lxx, y0 + h + 14);
        }
    }
}
