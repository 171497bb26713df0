package io.basalt.chaos;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * {@code ChaosMain --root DIR [--minutes N] [--scenario NAME[,NAME...]] [--out DIR] [--threads N] [--max-size BYTES]
 * [--seed S] [--keep]}: starts a cluster of real processes, runs every scenario (or one) for N minutes in
 * total, writes {@code report.md} to --out (default chaos-results/) and ends with
 * {@code chaos: N scenarios, N operations, N faults, N violations}; exits 1 on any violation.
 */
public final class ChaosMain {

    private ChaosMain() {}

    public static void main(String[] args) throws Exception {
        // core's classes log through log4j-api; with no provider here, its simple logger, quietly
        System.setProperty("log4j2.loggerContextFactory", "org.apache.logging.log4j.simple.SimpleLoggerContextFactory");
        System.setProperty("log4j2.simplelogLevel", "WARN");
        Path root = null, out = Path.of("chaos-results");
        double minutes = 10;
        String only = null;
        int threads = 6, maxSize = 64 << 20;
        long seed = System.currentTimeMillis();
        boolean keep = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--root" -> root = Path.of(args[++i]);
                case "--minutes" -> minutes = Double.parseDouble(args[++i]);
                case "--scenario" -> only = args[++i];
                case "--out" -> out = Path.of(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--max-size" -> maxSize = Integer.parseInt(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--keep" -> keep = true;
                default -> {
                    System.err.println("unknown option " + args[i]);
                    System.exit(2);
                }
            }
        }
        if (root == null) root = ProcessCluster.findRoot();
        List<Scenario> scenarios = only == null
                ? Scenario.all()
                : java.util.Arrays.stream(only.split(","))
                        .map(String::trim)
                        .map(Scenario::named)
                        .toList();
        Duration each = Duration.ofMillis((long) (minutes * 60_000 / scenarios.size()));
        Files.createDirectories(out);
        Path dir = Files.createTempDirectory("basalt-chaos-");
        log("cluster in " + dir + " (logs in " + dir.resolve("logs") + "), seed " + seed + ", " + each.toSeconds()
                + " s per scenario");
        List<ChaosRunner.Result> results = new ArrayList<>();
        List<String> endViolations = new ArrayList<>();
        Workload.Settings settings = new Workload.Settings(threads, 8, maxSize, seed);
        try (ProcessCluster cluster = ProcessCluster.start(ProcessCluster.Config.defaults(root, dir))) {
            log("cluster ready at " + cluster.endpoints());
            for (Scenario s : scenarios) {
                ChaosRunner.Result r = ChaosRunner.run(cluster, s, each, settings, ChaosMain::log);
                results.add(r);
                log(String.format(
                        Locale.ROOT,
                        "%s: %d operations, %d faults, %d violations",
                        r.scenario(),
                        r.operations(),
                        r.faults(),
                        r.violations().size()));
            }
            log("waiting out the orphan grace (" + cluster.config().orphanGraceSeconds()
                    + " s): no shard file may remain that no record references");
            endViolations.addAll(ChaosRunner.awaitNoOrphans(cluster, ChaosMain::log));
        }
        for (ChaosRunner.Result r : results) {
            StringBuilder hist = new StringBuilder();
            for (Op op : r.history().ops())
                hist.append(op.describe(r.history().t0)).append('\n');
            for (History.Fault f : r.history().faults()) {
                hist.append(String.format(
                        Locale.ROOT,
                        "fault [%.3f..%.3f s] %s%n",
                        (f.start() - r.history().t0) / 1e9,
                        (f.end() - r.history().t0) / 1e9,
                        f.detail()));
            }
            Files.writeString(out.resolve("history-" + r.scenario() + ".txt"), hist);
        }
        String report = report(results, minutes, seed, dir, endViolations);
        Files.writeString(out.resolve("report.md"), report);
        int violations = results.stream().mapToInt(r -> r.violations().size()).sum() + endViolations.size();
        if (violations == 0 && !keep) deleteTree(dir);
        else log("cluster data and logs kept in " + dir);
        log("report in " + out.resolve("report.md"));
        System.out.println(summaryLine(results, endViolations.size()));
        System.exit(violations == 0 ? 0 : 1);
    }

    public static String summaryLine(List<ChaosRunner.Result> results) {
        return summaryLine(results, 0);
    }

    /** @param endViolations violations of the checks after every scenario (orphans) */
    public static String summaryLine(List<ChaosRunner.Result> results, int endViolations) {
        return String.format(
                Locale.ROOT,
                "chaos: %d scenarios, %d operations, %d faults, %d violations",
                results.size(),
                results.stream().mapToInt(ChaosRunner.Result::operations).sum(),
                results.stream().mapToInt(ChaosRunner.Result::faults).sum(),
                results.stream().mapToInt(r -> r.violations().size()).sum() + endViolations);
    }

    static String report(List<ChaosRunner.Result> results, double minutes, long seed, Path dir) {
        return report(results, minutes, seed, dir, null);
    }

    /** @param endViolations the orphan check's violations, or null when it did not run */
    static String report(
            List<ChaosRunner.Result> results, double minutes, long seed, Path dir, List<String> endViolations) {
        StringBuilder sb = new StringBuilder();
        sb.append("# Basalt chaos report\n\n");
        sb.append("Run at ")
                .append(Instant.now())
                .append(", ")
                .append(minutes)
                .append(" min, seed ")
                .append(seed)
                .append(
                        ", 3 etcd members, 2 coordinators, 6 storage nodes, 2 gateways, EC 4+2, all processes on 127.0.0.1 (")
                .append(dir)
                .append(").\n\n");
        sb.append(
                "| scenario | operations | faults | read availability | write availability | p50 / p99 during faults (ms) | p50 / p99 overall (ms) | full redundancy after last fault | violations |\n");
        sb.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (ChaosRunner.Result r : results) {
            sb.append(String.format(
                    Locale.ROOT,
                    "| %s | %d | %d | %.1f %% (%d/%d) | %.1f %% (%d/%d) | %.1f / %.1f (%d ops) | %.1f / %.1f | %s | %d |%n",
                    r.scenario(),
                    r.operations(),
                    r.faults(),
                    100 * r.readAvailability(),
                    r.readsOk(),
                    r.reads(),
                    100 * r.writeAvailability(),
                    r.writesOk(),
                    r.writes(),
                    r.p50FaultMicros() / 1000.0,
                    r.p99FaultMicros() / 1000.0,
                    r.opsDuringFaults(),
                    r.p50Micros() / 1000.0,
                    r.p99Micros() / 1000.0,
                    r.secondsToFullRedundancy() < 0
                            ? "not reached"
                            : String.format(Locale.ROOT, "%.1f s", r.secondsToFullRedundancy()),
                    r.violations().size()));
        }
        sb.append("\nRequests overlapping a fault by the bytes they moved, p50 / p99 (ms) and count:\n\n| scenario |");
        for (ChaosRunner.SizeClass c : ChaosRunner.SizeClass.values())
            sb.append(' ').append(c.label).append(" |");
        sb.append("\n| --- |");
        for (int i = 0; i < ChaosRunner.SizeClass.values().length; i++) sb.append(" ---: |");
        sb.append('\n');
        for (ChaosRunner.Result r : results) {
            sb.append("| ").append(r.scenario()).append(" |");
            for (ChaosRunner.SizeClass c : ChaosRunner.SizeClass.values()) {
                ChaosRunner.Latency l = r.faultLatencyBySize().get(c);
                sb.append(
                        l == null
                                ? " - |"
                                : String.format(
                                        Locale.ROOT,
                                        " %.1f / %.1f (%d) |",
                                        l.p50Micros() / 1000.0,
                                        l.p99Micros() / 1000.0,
                                        l.count()));
            }
            sb.append('\n');
        }
        sb.append(
                        "\nAvailability: share of requests that did not fail (a 404 or 416 the history allows counts as an answer). ")
                .append("Reads are GET, ranged GET and LIST; writes are PUT, multipart PUT and DELETE. ")
                .append(
                        "Full redundancy: every segment of every object and upload part has k+m healthy shards on live nodes, ")
                .append(
                        "read back from the nodes (RedundancyCheck), counted from the end of the scenario's last fault.\n");
        if (endViolations != null) {
            sb.append("\nOrphan shard files after the orphan grace period (all scenarios): ")
                    .append(endViolations.isEmpty() ? "none" : endViolations.size())
                    .append('\n');
            for (String v : endViolations.subList(0, Math.min(20, endViolations.size())))
                sb.append("- ").append(v).append('\n');
        }
        for (ChaosRunner.Result r : results) {
            sb.append("\n## ")
                    .append(r.scenario())
                    .append("\n\nEvery request: history-")
                    .append(r.scenario())
                    .append(".txt. Faults:\n\n");
            if (r.faultLog().isEmpty()) sb.append("- none\n");
            for (String f : r.faultLog()) sb.append("- ").append(f).append('\n');
            sb.append("\nRedundancy: ").append(r.redundancy()).append('\n');
            sb.append("\nFailed requests by error:\n\n");
            if (r.errors().isEmpty()) sb.append("- none\n");
            r.errors().entrySet().stream()
                    .sorted((a, b) -> b.getValue() - a.getValue())
                    .limit(10)
                    .forEach(e -> sb.append("- ")
                            .append(e.getValue())
                            .append(" x ")
                            .append(e.getKey())
                            .append('\n'));
            sb.append("\nViolations: ").append(r.violations().size()).append('\n');
            for (String v :
                    r.violations().subList(0, Math.min(20, r.violations().size()))) {
                sb.append("\n```\n").append(v).append("\n```\n");
            }
            if (r.violations().size() > 20)
                sb.append("\n(").append(r.violations().size() - 20).append(" more)\n");
        }
        sb.append('\n')
                .append(summaryLine(results, endViolations == null ? 0 : endViolations.size()))
                .append('\n');
        return sb.toString();
    }

    static void log(String s) {
        System.err.println("chaos: " + s);
    }

    static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (Exception ignored) {
            // best effort
        }
    }
}
