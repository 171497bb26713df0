package io.basalt.chaos;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Runs one scenario against a running cluster: workload + faults, recovery, final reads, a bounded wait for
 * full redundancy ({@link RedundancyCheck}), and the check of the history.
 */
public final class ChaosRunner {

    /** How long after the faults stop every segment must be back to k+m healthy shards. */
    public static final Duration REDUNDANCY_BOUND = Duration.ofSeconds(180);

    /**
     * @param secondsToFullRedundancy from the end of the last fault until the redundancy check passed; -1 when it
     *                                did not within {@link #REDUNDANCY_BOUND}
     * @param redundancy              the last redundancy check's summary
     */
    public record Result(
            String scenario,
            int operations,
            int faults,
            List<String> violations,
            int reads,
            int readsOk,
            int writes,
            int writesOk,
            long p50FaultMicros,
            long p99FaultMicros,
            long p50Micros,
            long p99Micros,
            int opsDuringFaults,
            List<String> faultLog,
            Map<String, Integer> errors,
            History history,
            double secondsToFullRedundancy,
            String redundancy,
            Map<SizeClass, Latency> faultLatencyBySize) {
        public double readAvailability() {
            return reads == 0 ? 1 : (double) readsOk / reads;
        }

        public double writeAvailability() {
            return writes == 0 ? 1 : (double) writesOk / writes;
        }
    }

    /** The bytes a request moved (a GET's or PUT's body, a ranged GET's range), in the classes the report shows. */
    enum SizeClass {
        SMALL("< 64 KiB"),
        MEDIUM("64 KiB - 1 MiB"),
        LARGE("1 - 16 MiB"),
        HUGE(">= 16 MiB"),
        NO_BODY("LIST, DELETE, failed GET");

        final String label;

        SizeClass(String label) {
            this.label = label;
        }

        static SizeClass of(Op o) {
            boolean body = o.type() == Op.Type.PUT
                    || o.type() == Op.Type.MPU
                    || o.outcome() == Op.Outcome.OK && (o.type() == Op.Type.GET || o.type() == Op.Type.RANGE_GET);
            if (!body) return NO_BODY;
            if (o.size() < (64 << 10)) return SMALL;
            if (o.size() < (1 << 20)) return MEDIUM;
            if (o.size() < (16 << 20)) return LARGE;
            return HUGE;
        }
    }

    /** Requests of one size class that overlapped a fault: how many, and their p50 and p99. */
    record Latency(int count, long p50Micros, long p99Micros) {}

    public static Result run(
            ProcessCluster cluster,
            Scenario scenario,
            Duration duration,
            Workload.Settings settings,
            java.util.function.Consumer<String> log)
            throws Exception {
        History history = new History();
        String why = scenario.unsupported();
        if (why != null) {
            log.accept(scenario.name() + ": skipped: " + why);
            return summarize(scenario.name(), history, new ArrayList<>(), -1, "skipped: " + why);
        }
        String bucket = "chaos-" + scenario.name() + "-" + Long.toHexString(System.nanoTime() & 0xffffff);
        List<S3Client> clients =
                cluster.endpoints().stream().map(Workload::client).toList();
        try {
            createBucket(clients.get(0), bucket);
            Workload w = new Workload(clients, bucket, history, settings);
            log.accept(scenario.name() + ": workload of " + settings.threads() + " threads for " + duration.toSeconds()
                    + " s");
            w.start();
            long until = System.nanoTime() + duration.toNanos();
            Random rnd = new Random(settings.seed());
            try {
                scenario.run(cluster, history, rnd, until);
                Scenario.sleepUntil(Long.MAX_VALUE / 2_000_000, until);
            } finally {
                w.stopAndJoin();
                heal(cluster);
            }
            log.accept(scenario.name() + ": faults healed, final reads");
            // final state: every key read whole (retrying failures a few times), then one LIST of the bucket
            for (int t = 0; t < settings.threads(); t++) {
                for (int k = 0; k < settings.keysPerThread(); k++) {
                    Op g = null;
                    w.useGateway(t + k);
                    for (int attempt = 0; attempt < 5; attempt++) {
                        g = w.get(t, Workload.key(t, k), true);
                        if (g.outcome() != Op.Outcome.FAIL) break;
                        Thread.sleep(1000);
                    }
                    history.add(g);
                }
            }
            Op list = null;
            for (int attempt = 0; attempt < 5; attempt++) {
                list = w.list(-1, true);
                if (list.outcome() == Op.Outcome.OK) break;
                Thread.sleep(1000);
            }
            history.add(list);
        } finally {
            clients.forEach(S3Client::close);
        }
        List<String> violations = new ArrayList<>(new Checker(history).check());
        violations.addAll(history.violations());
        log.accept(scenario.name() + ": waiting for full redundancy");
        Redundancy red = awaitFullRedundancy(cluster, history, REDUNDANCY_BOUND);
        violations.addAll(red.violations());
        log.accept(scenario.name() + ": " + red.summary());
        return summarize(scenario.name(), history, violations, red.seconds(), red.summary());
    }

    /** What the wait for full redundancy found. */
    record Redundancy(double seconds, String summary, List<String> violations) {}

    /** Shard sets of segments already reported degraded, per cluster: a later scenario does not wait for them again. */
    private static final Map<ProcessCluster, java.util.Set<String>> REPORTED =
            java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    /**
     * Checks redundancy every 2 s until every segment has k+m healthy shards or {@code bound} has passed; the
     * time is counted from the end of the last fault (or from now when there was none). A segment an earlier
     * scenario already reported degraded is that scenario's violation: it is neither waited for nor counted again.
     */
    static Redundancy awaitFullRedundancy(ProcessCluster cluster, History history, Duration bound)
            throws InterruptedException {
        long lastFault =
                history.faults().stream().mapToLong(History.Fault::end).max().orElse(System.nanoTime());
        long deadline = System.nanoTime() + bound.toNanos();
        java.util.Set<String> reported =
                REPORTED.computeIfAbsent(cluster, c -> java.util.concurrent.ConcurrentHashMap.newKeySet());
        RedundancyCheck.Report r = null;
        String error = null;
        while (true) {
            try {
                r = RedundancyCheck.run(cluster);
                error = null;
                long old = r.degraded().stream()
                        .filter(d -> reported.contains(d.shardSet()))
                        .count();
                if (old == r.degraded().size()) {
                    double s = Math.max(0, (System.nanoTime() - lastFault) / 1e9);
                    return new Redundancy(
                            s,
                            String.format(
                                    Locale.ROOT,
                                    "full redundancy %.1f s after the last fault: %s%s",
                                    s,
                                    r.summary(),
                                    old == 0 ? "" : " (" + old + " degraded since an earlier scenario)"),
                            List.of());
                }
            } catch (RuntimeException e) {
                error = e.toString();
            }
            if (System.nanoTime() > deadline) break;
            Thread.sleep(2000);
        }
        List<String> v = new ArrayList<>();
        if (r == null) {
            v.add("redundancy: could not check within " + bound.toSeconds() + " s: " + error);
            return new Redundancy(-1, "redundancy not checked: " + error, v);
        }
        for (RedundancyCheck.Degraded d : r.degraded()) {
            if (reported.add(d.shardSet())) {
                v.add("redundancy: still degraded " + bound.toSeconds() + " s after the faults stopped: " + d);
            }
        }
        return new Redundancy(-1, "NOT at full redundancy after " + bound.toSeconds() + " s: " + r.summary(), v);
    }

    /**
     * After the orphan grace (plus a few sweep intervals) no shard file may remain that no record places on its
     * node. Returns the violations, empty when clean; waits at most {@code grace + interval x 3 + 60 s}.
     */
    public static List<String> awaitNoOrphans(ProcessCluster cluster, java.util.function.Consumer<String> log)
            throws InterruptedException {
        ProcessCluster.Config cfg = cluster.config();
        long start = System.nanoTime();
        long bound = TimeUnit.SECONDS.toNanos(
                cfg.orphanGraceSeconds() + 3L * cfg.orphanIntervalSeconds() + cfg.gcGraceSeconds() + 60);
        RedundancyCheck.Report r = null;
        while (System.nanoTime() - start < bound) {
            try {
                r = RedundancyCheck.run(cluster);
                if (r.orphans().isEmpty()) {
                    log.accept(String.format(
                            Locale.ROOT,
                            "no orphan shard files after %.1f s: %s",
                            (System.nanoTime() - start) / 1e9,
                            r.summary()));
                    return List.of();
                }
            } catch (RuntimeException e) {
                log.accept("orphan check failed: " + e);
            }
            Thread.sleep(3000);
        }
        if (r == null) return List.of("orphans: could not be checked");
        log.accept("orphan shard files remain: " + r.summary());
        return r.orphans().stream()
                .limit(50)
                .map(o -> "orphan: shard file " + o + " still present " + bound / 1_000_000_000
                        + " s after the workload stopped")
                .toList();
    }

    /** Restarts killed etcd members, nodes, coordinators and gateways, resumes paused nodes, waits until ready. */
    static void heal(ProcessCluster cluster) throws Exception {
        for (int i = 0; i < cluster.etcdCount(); i++) cluster.restartEtcd(i);
        for (int i = 0; i < cluster.nodeCount(); i++) {
            cluster.resumeNode(i);
            if (!cluster.nodeRunning(i)) cluster.restartNode(i);
        }
        if (!cluster.coordinatorRunning()) cluster.restartCoordinator();
        for (int i = 0; i < cluster.gatewayCount(); i++) cluster.restartGateway(i);
        cluster.awaitReady(Duration.ofSeconds(90));
    }

    private static void createBucket(S3Client s3, String bucket) throws InterruptedException {
        RuntimeException last = null;
        for (int attempt = 0; attempt < 10; attempt++) {
            try {
                s3.createBucket(b -> b.bucket(bucket));
                return;
            } catch (RuntimeException e) {
                last = e;
                Thread.sleep(1000);
            }
        }
        throw last;
    }

    static Result summarize(String name, History h, List<String> violations) {
        return summarize(name, h, violations, -1, "not checked");
    }

    static Result summarize(
            String name, History h, List<String> violations, double secondsToFullRedundancy, String redundancy) {
        List<Op> ops = h.ops().stream().filter(o -> !o.fin()).toList();
        List<History.Fault> faults = h.faults();
        int reads = 0, readsOk = 0, writes = 0, writesOk = 0;
        List<Long> all = new ArrayList<>(), during = new ArrayList<>();
        Map<SizeClass, List<Long>> duringBySize = new java.util.EnumMap<>(SizeClass.class);
        Map<String, Integer> errors = new TreeMap<>();
        for (Op o : ops) {
            boolean ok = o.outcome() != Op.Outcome.FAIL;
            if (!ok) errors.merge(o.type() + ": " + o.error(), 1, Integer::sum);
            if (o.type().write()) {
                writes++;
                if (ok) writesOk++;
            } else {
                reads++;
                if (ok) readsOk++;
            }
            all.add(o.micros());
            for (History.Fault f : faults) {
                if (o.start() < f.end() && o.end() > f.start()) {
                    during.add(o.micros());
                    duringBySize
                            .computeIfAbsent(SizeClass.of(o), c -> new ArrayList<>())
                            .add(o.micros());
                    break;
                }
            }
        }
        List<String> faultLog = faults.stream()
                .sorted(java.util.Comparator.comparingLong(History.Fault::start))
                .map(f -> String.format(Locale.ROOT, "%.1f s: %s", (f.start() - h.t0) / 1e9, f.detail()))
                .toList();
        return new Result(
                name,
                ops.size(),
                faults.size(),
                violations,
                reads,
                readsOk,
                writes,
                writesOk,
                pct(during, 50),
                pct(during, 99),
                pct(all, 50),
                pct(all, 99),
                during.size(),
                faultLog,
                errors,
                h,
                secondsToFullRedundancy,
                redundancy,
                bySize(duringBySize));
    }

    private static Map<SizeClass, Latency> bySize(Map<SizeClass, List<Long>> micros) {
        Map<SizeClass, Latency> out = new java.util.EnumMap<>(SizeClass.class);
        micros.forEach((c, l) -> out.put(c, new Latency(l.size(), pct(l, 50), pct(l, 99))));
        return out;
    }

    private static long pct(List<Long> l, int p) {
        if (l.isEmpty()) return 0;
        long[] a = l.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(a);
        return a[(int) Math.min(a.length - 1, Math.ceil(p / 100.0 * a.length) - 1)];
    }
}
