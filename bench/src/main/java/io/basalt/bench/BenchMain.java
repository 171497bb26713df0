package io.basalt.bench;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * basalt-bench: load against S3 endpoints, with a report.
 *
 * <pre>
 * --endpoint URL [--access-key A --secret-key S] [--bucket B]   one target named "target"
 * --target name=url                                           more targets (repeatable)
 * --compare                                                   start local Basalt (./basalt dev) and S3Proxy as targets
 * --target-procs name=pattern,...                              measure that target's processes found by command line
 * --quick  --reps N  --warmup N  --warmup-seconds S  --out DIR  --workloads put,get,...  --rows N --dim N  --set workload.key=value  --no-limits  --port P
 * </pre>
 */
public final class BenchMain {
    public static void main(String[] args) throws Exception {
        long t0 = System.nanoTime();
        String accessKey = env("BASALT_ACCESS_KEY", "minioadmin");
        String secretKey = env("BASALT_SECRET_KEY", "minioadmin");
        String bucket = "basalt-bench";
        boolean compare = false, quick = false, limits = true, limitsOnly = false, keepData = false;
        int basePort = 19000;
        Integer reps = null;
        int warmup = 1;
        String warmupSeconds = null;
        Map<String, List<String>> targetProcs = new LinkedHashMap<>();
        Path out = null;
        Path root = Path.of(".").toAbsolutePath().normalize();
        List<String[]> targets = new ArrayList<>();
        List<String> workloads = new ArrayList<>(Workloads.ALL);
        List<String[]> sets = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--endpoint" -> targets.add(new String[] {"target", args[++i]});
                case "--target" -> {
                    String v = args[++i];
                    int eq = v.indexOf('=');
                    if (eq < 1) throw new IllegalArgumentException("--target wants name=url, got " + v);
                    targets.add(new String[] {v.substring(0, eq), v.substring(eq + 1)});
                }
                case "--access-key" -> accessKey = args[++i];
                case "--secret-key" -> secretKey = args[++i];
                case "--bucket" -> bucket = args[++i];
                case "--compare" -> compare = true;
                case "--quick" -> quick = true;
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--warmup-seconds" -> warmupSeconds = args[++i];
                case "--target-procs" -> {
                    String v = args[++i];
                    int eq = v.indexOf('=');
                    if (eq < 1) throw new IllegalArgumentException("--target-procs wants name=pattern,..., got " + v);
                    targetProcs.put(
                            v.substring(0, eq), List.of(v.substring(eq + 1).split(",")));
                }
                case "--out" -> out = Path.of(args[++i]);
                case "--root" -> root = Path.of(args[++i]).toAbsolutePath().normalize();
                case "--workloads" -> workloads = List.of(args[++i].split(","));
                case "--rows" -> sets.add(new String[] {"milvus.rows", args[++i]});
                case "--dim" -> sets.add(new String[] {"milvus.dim", args[++i]});
                case "--set" -> {
                    String v = args[++i];
                    int eq = v.indexOf('=');
                    sets.add(new String[] {v.substring(0, eq), v.substring(eq + 1)});
                }
                case "--no-limits" -> limits = false;
                case "--keep-data" -> keepData = true;
                case "--limits-only" -> limitsOnly = true;
                case "--port" -> basePort = Integer.parseInt(args[++i]);
                case "--tty" -> Progress.tty = true;
                case "-h", "--help" -> {
                    usage();
                    return;
                }
                default -> throw new IllegalArgumentException("unknown option " + a + " (see --help)");
            }
        }
        if (limitsOnly) {
            if (!limits) throw new IllegalArgumentException("--limits-only and --no-limits exclude each other");
            workloads = List.of();
        }
        if (!compare && targets.isEmpty() && !limitsOnly) {
            usage();
            System.exit(2);
        }
        for (String w : workloads) {
            if (!Workloads.ALL.contains(w))
                throw new IllegalArgumentException("unknown workload " + w + "; known: " + Workloads.ALL);
        }
        // the heal workload's own cluster takes the first free port from P+300 (unless heal.port names one)
        sets.add(0, new String[] {"heal.port.from", String.valueOf(basePort + 300)});
        int repetitions = reps != null ? reps : quick ? 2 : 3;
        Params params = new Params(Workloads.defaults(quick));
        for (String[] s : sets) params.set(s[0], s[1]);
        if (out == null) out = root.resolve("bench-results");
        Files.createDirectories(out);
        out = out.toAbsolutePath().normalize();
        Progress.start();

        List<Target> ts = new ArrayList<>();
        Path scratch = root.resolve(".basalt");
        try (LocalProcesses local = new LocalProcesses(basePort, keepData)) {
            Runtime.getRuntime().addShutdownHook(new Thread(local::close));
            int maxConn = 64;
            if (compare) {
                ts.add(local.startBasalt(root, scratch.resolve("bench"), accessKey, secretKey, bucket, maxConn));
                Path jar = root.resolve("bench/target/peer/s3proxy.jar");
                ts.add(local.startS3Proxy(
                        jar, scratch.resolve("bench-s3proxy"), accessKey, secretKey, bucket, maxConn));
            }
            for (String[] t : targets) {
                Target target = new Target(t[0], URI.create(t[1]), accessKey, secretKey, bucket, maxConn);
                List<String> patterns = targetProcs.remove(t[0]);
                target.pids.putAll(
                        patterns != null
                                ? ProcessFinder.byPatterns(patterns)
                                : ProcessFinder.basaltBehind(target.endpoint));
                target.dataDirs.addAll(ProcessFinder.dataDirs(target.pids.getOrDefault("storage-nodes", List.of())));
                if (!target.pids.isEmpty()) Progress.message(target.name + ": measuring processes " + target.pids);
                ts.add(target);
            }
            if (!targetProcs.isEmpty())
                throw new IllegalArgumentException("--target-procs names no target: " + targetProcs.keySet());
            for (Target t : ts)
                t.pids.put("bench client", List.of(ProcessHandle.current().pid()));

            Report report = new Report(out, ts, params, repetitions, quick, String.join(" ", args));
            if (limits) {
                Progress.message("measuring the machine's limits");
                Limits l = new Limits();
                l.measure(compare ? scratch : out, quick);
                report.limits = l;
            }
            Workloads w = new Workloads(params);
            WarmUp warm = WarmUp.parse(
                    warmup, warmupSeconds != null ? warmupSeconds : "", quick ? 0 : WarmUp.DEFAULT_SECONDS);
            report.warmUp = warm;
            for (String workload : workloads) {
                Map<String, List<Figures>> byTarget = new LinkedHashMap<>();
                report.results.put(workload, byTarget);
                report.warmedUp.put(workload, warmUp(w, workload, ts, warm));
                for (Target t : ts) {
                    if (t.coordinatorMetrics == null) continue;
                    Progress.message("== " + workload + " on " + t.name + ": waiting for its GC of the warm-up");
                    report.gcWaited
                            .computeIfAbsent(workload, k -> new LinkedHashMap<>())
                            .put(t.name, GcDrain.await(t, GcDrain.LIMIT_MS));
                }
                for (int rep = warmup + 1; rep <= warmup + repetitions; rep++) {
                    // Targets take turns, and who goes first alternates (A B, B A, A B, ...): a repetition runs into
                    // what the one before it left behind on the shared cores, and with a fixed order the first place
                    // cost a target 6-10% of its CPU per byte side by side (docs/benchmark-log.md, thirty-fifth
                    // session).
                    for (Target t : rep % 2 == 1 ? ts : ts.reversed()) {
                        Progress.message("== " + workload + " on " + t.name + ", repetition " + (rep - warmup) + "/"
                                + repetitions);
                        byTarget.computeIfAbsent(t.name, k -> new ArrayList<>()).add(measured(w, workload, t, rep));
                    }
                }
                // the objects get reads are put's: clean put/ only after get (or after put when get is not run)
                boolean keepForGet = workload.equals("put") && workloads.contains("get");
                if (!keepForGet) {
                    for (Target t : ts) Workloads.cleanup(t, Workloads.prefixOf(workload));
                }
                report.write(); // a partial report after every workload
            }
            for (Target t : ts) t.close();
            report.wallSeconds = (System.nanoTime() - t0) / 1e9;
            Path md = report.write();
            Progress.message(String.format("done in %.0f s", report.wallSeconds));
            System.out.println("Report: " + md);
        }
    }

    /**
     * Runs the workload on every target, not counted, until {@code warm} has each target warm: in turns, as the
     * counted repetitions, with a target that is warm sitting out. Past {@code --warmup} repetitions a warm-up
     * repeats the last one's objects (the same keys, overwritten), so a long warm-up takes no more disk.
     *
     * @return target name -> what it ran
     */
    private static Map<String, WarmUp.Done> warmUp(Workloads w, String workload, List<Target> ts, WarmUp warm) {
        Map<String, WarmUp.Done> done = new LinkedHashMap<>();
        for (Target t : ts) done.put(t.name, WarmUp.Done.NONE);
        Set<String> failing = new HashSet<>(); // a warm-up that failed is not repeated: the counted ones will say why
        for (int turn = 1; ; turn++) {
            boolean any = false;
            for (Target t : turn % 2 == 1 ? ts : ts.reversed()) {
                WarmUp.Done d = done.get(t.name);
                if (failing.contains(t.name) || !warm.more(workload, d.reps(), d.seconds())) continue;
                any = true;
                int rep = d.reps() + 1;
                Progress.message(String.format(
                        Locale.ROOT,
                        "== %s on %s, warm-up %d (not counted; %.0f s so far)",
                        workload,
                        t.name,
                        rep,
                        d.seconds()));
                Figures f = measured(w, workload, t, Math.min(rep, warm.reps()));
                done.put(t.name, d.plus(f.seconds));
                if (f.all.containsKey("failed")) failing.add(t.name);
            }
            if (!any) return done;
        }
    }

    /** The longest a repetition waits for its target's servers to go idle ({@link Quiet}). */
    private static final long QUIET_LIMIT_MS = 30_000;

    /** One repetition of a workload on a target, with its processes' CPU and GC over it. */
    private static Figures measured(Workloads w, String workload, Target t, int rep) {
        Figures f;
        try {
            w.prepare(workload, t, rep);
        } catch (Exception e) {
            Progress.message("  " + workload + " could not be prepared on " + t.name + ": " + e);
            f = new Figures();
            f.add("failed", "count", false, 1);
            return f;
        }
        double settled = 0;
        try {
            settled = Quiet.await(t.pids, QUIET_LIMIT_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long retries0 = t.retries.retries();
        long bytes0 = Ops.TOTAL_BYTES.get();
        CpuMeter meter = new CpuMeter(t.pids);
        long started = System.nanoTime();
        try {
            f = w.run(workload, t, rep);
        } catch (Exception e) {
            Progress.message("  " + workload + " failed on " + t.name + ": " + e);
            f = new Figures();
            f.add("failed", "count", false, 1);
        }
        f.seconds = (System.nanoTime() - started) / 1e9;
        f.usage.addAll(meter.finish());
        f.gb = (Ops.TOTAL_BYTES.get() - bytes0) / 1e9;
        f.add("client retries", "count", false, t.retries.retries() - retries0);
        if (t.pids.size() > 1) f.add("waited for idle servers before", "s", false, settled);
        if (f.gb > 0.001) {
            Map<String, Double> byRole = new LinkedHashMap<>();
            double jit = 0;
            for (CpuMeter.Usage u : f.usage) {
                byRole.merge(u.role(), u.user() + u.sys(), Double::sum);
                double[] compiling = u.kinds().get(ThreadKinds.JIT);
                if (compiling != null && !u.role().equals("bench client")) jit += compiling[0] + compiling[1];
            }
            double server = 0;
            for (var e : byRole.entrySet()) {
                if (!e.getKey().equals("bench client")) server += e.getValue();
                f.add("CPU s/GB " + e.getKey(), "CPU s/GB", false, e.getValue() / f.gb);
            }
            f.add(Report.SERVER_CPU, "CPU s/GB", false, server / f.gb);
            // what a server that has long finished compiling spends: the JIT of a cluster minutes old is most of the
            // difference, and each JVM pays it once (a non-JVM target has none)
            f.add(Report.SERVER_CPU_WITHOUT_JIT, "CPU s/GB", false, (server - jit) / f.gb);
        }
        return f;
    }

    private static String env(String k, String d) {
        String v = System.getenv(k);
        return v == null || v.isEmpty() ? d : v;
    }

    private static void usage() {
        System.err.println("""
        usage: basalt-bench (--compare | --endpoint URL | --target name=url ...) [options]
          --endpoint URL            an S3 endpoint (target "target"); --access-key, --secret-key, --bucket
          --target name=url         add a target (repeatable)
          --compare                 start a local Basalt (./basalt dev) and S3Proxy (filesystem) and compare them
          --quick                   small sizes, 2 repetitions, short JMH runs
          --reps N                  counted repetitions (default 3, 2 with --quick)
          --warmup N                repetitions run first and not counted, per workload and target (default 1; 0: none)
          --warmup-seconds S        and more of them until each target has run the workload for S s (default 30,
                                    0 with --quick; not for heal and faults): a young cluster is still compiling;
                                    S,w=T,... gives workload w T s instead (e.g. 30,put=90)
          --target-procs name=p,... measure target name's processes: this user's processes whose command line
                                    contains p (one role per pattern), e.g. ceph=ceph-osd,radosgw. Without it, a
                                    --target on 127.0.0.1 served by ./basalt dev is measured through its launcher
          --workloads a,b,...       of put,get,mixed,list,multipart,small,milvus,heal,faults (default all;
                                    heal and faults only on the Basalt that --compare starts)
          --rows N --dim N          Milvus workload size (default 100000 x 768; 20000 with --quick)
          --set workload.key=value  any workload parameter, e.g. put.size=64MiB put.concurrency=8
          --no-limits               skip the machine limits
          --limits-only             measure the machine's limits alone (no target needed)
          --port P                  first port for the clusters the bench starts: Basalt from P, the heal
                                    workload's from P+300, S3Proxy from P+500 (default 19000); ./basalt dev
                                    also takes ports up to 107 above its own
          --out DIR                 report directory (default bench-results/)
          --keep-data               keep the data of the clusters --compare started (.basalt/bench, .basalt/
                                    bench-s3proxy) after the run; deleted by default, it is several GB
        """);
    }
}
