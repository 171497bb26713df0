package io.basalt.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The CPU breakdown of one workload: per target, per process role (pids of a role summed; storage nodes also one by
 * one) and per thread kind, user and system CPU seconds per GB of payload, median over the counted repetitions; and
 * each JVM's GC collections and pauses.
 */
final class CpuReport {
    /** kinds below this share of their target's CPU fold into "other" in report.md (report.json keeps them all). */
    static final double NOTABLE = 0.02;

    private final List<Target> targets;
    private final Map<String, List<Figures>> byTarget;

    CpuReport(List<Target> targets, Map<String, List<Figures>> byTarget) {
        this.targets = targets;
        this.byTarget = byTarget;
    }

    /** Seconds per GB when the workload moved payload, else seconds per repetition (list moves almost none). */
    private static double per(Figures f) {
        return f.gb > 0.001 ? f.gb : 1;
    }

    private boolean perGb(List<Figures> reps) {
        return reps.stream().allMatch(f -> f.gb > 0.001);
    }

    /**
     * role -> kind -> {user, sys, runs, run-queue wait} per GB in one repetition; kind "" is the role's total (its
     * runs and wait the sum of its threads').
     */
    private static Map<String, Map<String, double[]>> breakdown(Figures f) {
        Map<String, Map<String, double[]>> out = new LinkedHashMap<>();
        double d = per(f);
        for (CpuMeter.Usage u : f.usage) {
            Map<String, double[]> kinds = out.computeIfAbsent(u.role(), r -> new LinkedHashMap<>());
            double[] total = kinds.computeIfAbsent("", k -> new double[FIELDS]);
            total[0] += u.user() / d;
            total[1] += u.sys() / d;
            u.kinds().forEach((k, v) -> {
                double[] kind = kinds.computeIfAbsent(k, x -> new double[FIELDS]);
                for (int i = 0; i < v.length && i < FIELDS; i++) {
                    kind[i] += v[i] / d;
                    if (i >= 2) total[i] += v[i] / d;
                }
            });
        }
        return out;
    }

    /** user, sys, runs (times put on a CPU), seconds waiting for one. */
    private static final int FIELDS = 4;

    /** median over repetitions of field i (0 user, 1 sys, 2 runs, 3 wait) of role/kind, 0 where a repetition lacks it. */
    private static Report.Stat median(List<Map<String, Map<String, double[]>>> reps, String role, String kind, int i) {
        double[] v = new double[reps.size()];
        for (int r = 0; r < v.length; r++) {
            double[] x = reps.get(r).getOrDefault(role, Map.of()).get(kind);
            v[r] = x == null ? 0 : x[i];
        }
        return Report.Stat.of(v);
    }

    private static List<String> kindsOf(List<Map<String, Map<String, double[]>>> reps, String role) {
        List<String> kinds = new ArrayList<>();
        for (var r : reps)
            for (String k : r.getOrDefault(role, Map.of()).keySet())
                if (!k.isEmpty() && !kinds.contains(k)) kinds.add(k);
        return kinds;
    }

    private static List<String> rolesOf(List<Map<String, Map<String, double[]>>> reps) {
        List<String> roles = new ArrayList<>();
        for (var r : reps) for (String k : r.keySet()) if (!roles.contains(k)) roles.add(k);
        return roles;
    }

    private static Report.Stat gc(List<Figures> reps, String role, int field) {
        double[] v = new double[reps.size()];
        boolean any = false;
        for (int r = 0; r < v.length; r++) {
            for (CpuMeter.Usage u : reps.get(r).usage) {
                if (!u.role().equals(role) || u.gc() == null) continue;
                any = true;
                PerfData.Gc g = u.gc();
                v[r] += switch (field) {
                    case 0 -> g.collections();
                    case 1 -> g.full();
                    case 2 -> g.pauseSeconds();
                    default -> g.safepointSeconds();
                };
            }
        }
        return any ? Report.Stat.of(v) : null;
    }

    /** each pid of a role (storage nodes one by one), user+sys per GB, median over repetitions. */
    private static Map<Long, Report.Stat> perPid(List<Figures> reps, String role) {
        Map<Long, double[]> v = new LinkedHashMap<>();
        for (int r = 0; r < reps.size(); r++) {
            for (CpuMeter.Usage u : reps.get(r).usage) {
                if (u.role().equals(role))
                    v.computeIfAbsent(u.pid(), k -> new double[reps.size()])[r] =
                            (u.user() + u.sys()) / per(reps.get(r));
            }
        }
        Map<Long, Report.Stat> out = new LinkedHashMap<>();
        v.forEach((pid, x) -> out.put(pid, Report.Stat.of(x)));
        return out;
    }

    /**
     * The first target's threads against the floor's steps they do (put, multipart: the PUT floor; get: the GET
     * floor): where the CPU above the floor goes, row by row.
     */
    String floorMarkdown(Floor floor) {
        if (targets.isEmpty()) return "";
        Target t = targets.get(0);
        List<Figures> reps = byTarget.get(t.name);
        if (reps == null || reps.isEmpty() || !perGb(reps) || reps.stream().allMatch(f -> f.usage.isEmpty())) return "";
        List<Map<String, Map<String, double[]>>> b =
                reps.stream().map(CpuReport::breakdown).toList();
        StringBuilder m = new StringBuilder(String.format(
                Locale.ROOT,
                "%nAgainst the floor (%s, the limits above): %s's threads that do each step, CPU s/GB (user+sys), "
                        + "median over the counted repetitions.%n%n"
                        + "| threads | floor | %s | over the floor |%n| --- | ---: | ---: | ---: |%n",
                floor.name(),
                t.name,
                t.name));
        double floorSum = 0, used = 0;
        for (Floor.Row row : floor.rows()) {
            double[] v = new double[b.size()];
            for (int r = 0; r < v.length; r++) {
                Map<String, double[]> kinds = b.get(r).getOrDefault(row.role(), Map.of());
                for (String k : row.kinds()) {
                    double[] x = kinds.get(k);
                    if (x != null) v[r] += x[0] + x[1];
                }
            }
            double median = Report.Stat.of(v).median();
            floorSum += row.seconds();
            used += median;
            m.append(String.format(
                    Locale.ROOT,
                    "| %s (%s) | %.2f | %.2f | %+.2f |%n",
                    row.label(),
                    String.join(", ", row.kinds()),
                    row.seconds(),
                    median,
                    median - row.seconds()));
        }
        m.append(String.format(
                Locale.ROOT, "| these threads | %.2f | %.2f | %+.2f |%n", floorSum, used, used - floorSum));
        return m.toString();
    }

    String markdown() {
        StringBuilder m = new StringBuilder();
        StringBuilder gcs = new StringBuilder();
        StringBuilder nodes = new StringBuilder();
        String unit = "s/GB";
        for (Target t : targets) {
            List<Figures> reps = byTarget.get(t.name);
            if (reps == null || reps.isEmpty() || reps.stream().allMatch(f -> f.usage.isEmpty())) continue;
            if (!perGb(reps)) unit = "s per repetition";
            List<Map<String, Map<String, double[]>>> b =
                    reps.stream().map(CpuReport::breakdown).toList();
            List<String> roles = rolesOf(b);
            double total = 0;
            for (String role : roles)
                total +=
                        median(b, role, "", 0).median() + median(b, role, "", 1).median();
            for (String role : roles) {
                double u = median(b, role, "", 0).median(),
                        s = median(b, role, "", 1).median();
                m.append(row(
                        t.name,
                        role,
                        "**all threads**",
                        new double[] {
                            u,
                            s,
                            median(b, role, "", 2).median(),
                            median(b, role, "", 3).median()
                        },
                        total));
                record K(String kind, double[] v) {}
                List<K> ks = new ArrayList<>();
                for (String k : kindsOf(b, role)) {
                    double[] v = new double[FIELDS];
                    for (int i = 0; i < FIELDS; i++)
                        v[i] = median(b, role, k, i).median();
                    ks.add(new K(k, v));
                }
                ks.sort(Comparator.comparingDouble((K k) -> -(k.v[0] + k.v[1])));
                double[] other = new double[FIELDS];
                int folded = 0;
                for (K k : ks) {
                    double cpu = k.v[0] + k.v[1];
                    if (!k.kind.equals(ThreadKinds.OTHER) && total > 0 && cpu / total >= NOTABLE)
                        m.append(row(t.name, role, k.kind, k.v, total));
                    else if (cpu > 0) {
                        for (int i = 0; i < FIELDS; i++) other[i] += k.v[i];
                        folded++;
                    }
                }
                if (folded > 0)
                    m.append(row(t.name, role, folded == 1 ? "other" : "other (" + folded + " kinds)", other, total));
                Report.Stat count = gc(reps, role, 0);
                if (count != null) {
                    gcs.append(String.format(
                            Locale.ROOT,
                            "| %s | %s | %s | %s | %s | %s |%n",
                            t.name,
                            role,
                            Report.f(count.median()),
                            Report.f(gc(reps, role, 1).median()),
                            Report.f(gc(reps, role, 2).median()),
                            Report.f(gc(reps, role, 3).median())));
                }
                Map<Long, Report.Stat> pids = perPid(reps, role);
                if (pids.size() > 1) {
                    List<String> each = new ArrayList<>();
                    int i = 1;
                    for (Report.Stat st : pids.values()) each.add("#" + i++ + " " + Report.f(st.median()));
                    nodes.append("- ")
                            .append(t.name)
                            .append(' ')
                            .append(role)
                            .append(", each process (user+sys): ")
                            .append(String.join(", ", each))
                            .append('\n');
                }
            }
        }
        if (m.isEmpty()) return "";
        String head = "\n### CPU seconds per GB by process and thread kind\n\n"
                + "CPU " + unit + " of payload, median over the counted repetitions; threads named by "
                + "/proc/PID/task/TID/comm; kinds under " + (int) (NOTABLE * 100) + "% of the target's CPU folded into "
                + "other; share = of the target's measured CPU (client included); runs/MB = how often the threads were "
                + "put on a CPU (each wakeup, each return after a preemption; /proc/PID/task/TID/schedstat) per MB, "
                + "whose cost the CPU columns include; waited = seconds runnable but waiting for a CPU, per GB.\n\n"
                + "| target | process | thread kind | user | sys | user+sys | share | runs/MB | waited |\n"
                + "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n";
        StringBuilder out = new StringBuilder(head).append(m);
        if (!nodes.isEmpty()) out.append('\n').append(nodes);
        if (!gcs.isEmpty()) {
            out.append(
                            "\nGC per JVM over the workload (hsperfdata counters, as jstat reads them; pids of a role summed; "
                                    + "median over repetitions):\n\n| target | process | collections | full | GC pause s | "
                                    + "safepoint s |\n| --- | --- | ---: | ---: | ---: | ---: |\n")
                    .append(gcs);
        }
        return out.toString();
    }

    /** {@code v}: user, sys, runs and wait, per GB (or per repetition). */
    private static String row(String target, String role, String kind, double[] v, double total) {
        double u = v[0], s = v[1];
        return String.format(
                Locale.ROOT,
                "| %s | %s | %s | %s | %s | %s | %s | %s | %s |%n",
                target,
                role,
                kind,
                Report.f(u),
                Report.f(s),
                Report.f(u + s),
                total > 0 ? String.format(Locale.ROOT, "%.0f%%", 100 * (u + s) / total) : "–",
                v[2] > 0 ? Report.f(v[2] / 1000) : "–",
                v[2] > 0 ? Report.f(v[3]) : "–");
    }

    /** {"target": {"unit", "gb", "processes": {role: {user, sys, kinds: {kind: {user, sys, runs, waited}}, each_pid, gc}}}}. */
    String json() {
        StringBuilder j = new StringBuilder("{");
        int ti = 0;
        for (Target t : targets) {
            List<Figures> reps = byTarget.get(t.name);
            if (reps == null || reps.isEmpty()) continue;
            List<Map<String, Map<String, double[]>>> b =
                    reps.stream().map(CpuReport::breakdown).toList();
            j.append(ti++ > 0 ? ", " : "")
                    .append(Report.q(t.name))
                    .append(": {\"unit\": ")
                    .append(Report.q(perGb(reps) ? "CPU s/GB" : "CPU s per repetition"))
                    .append(", \"gb\": ")
                    .append(Report.stat(
                            Report.Stat.of(reps.stream().mapToDouble(f -> f.gb).toArray())))
                    .append(", \"processes\": {");
            int ri = 0;
            for (String role : rolesOf(b)) {
                j.append(ri++ > 0 ? ", " : "")
                        .append(Report.q(role))
                        .append(": {\"user\": ")
                        .append(Report.stat(median(b, role, "", 0)))
                        .append(", \"sys\": ")
                        .append(Report.stat(median(b, role, "", 1)))
                        .append(", \"kinds\": {");
                int ki = 0;
                for (String k : kindsOf(b, role)) {
                    j.append(ki++ > 0 ? ", " : "")
                            .append(Report.q(k))
                            .append(": {\"user\": ")
                            .append(Report.stat(median(b, role, k, 0)))
                            .append(", \"sys\": ")
                            .append(Report.stat(median(b, role, k, 1)))
                            .append(", \"runs\": ")
                            .append(Report.stat(median(b, role, k, 2)))
                            .append(", \"waited\": ")
                            .append(Report.stat(median(b, role, k, 3)))
                            .append('}');
                }
                j.append("}, \"each_pid\": {");
                int pi = 0;
                for (var e : perPid(reps, role).entrySet())
                    j.append(pi++ > 0 ? ", " : "")
                            .append(Report.q(e.getKey().toString()))
                            .append(": ")
                            .append(Report.stat(e.getValue()));
                j.append('}');
                if (gc(reps, role, 0) != null) {
                    j.append(", \"gc\": {\"collections\": ")
                            .append(Report.stat(gc(reps, role, 0)))
                            .append(", \"full\": ")
                            .append(Report.stat(gc(reps, role, 1)))
                            .append(", \"pause_s\": ")
                            .append(Report.stat(gc(reps, role, 2)))
                            .append(", \"safepoint_s\": ")
                            .append(Report.stat(gc(reps, role, 3)))
                            .append('}');
                }
                j.append('}');
            }
            j.append("}}");
        }
        return j.append('}').toString();
    }
}
