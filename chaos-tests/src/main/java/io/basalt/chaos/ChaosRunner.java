package io.basalt.chaos;

import software.amazon.awssdk.services.s3.S3Client;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.Random;

/** Runs one scenario against a running cluster: workload + faults, recovery, final reads, check. */
public final class ChaosRunner {

    public record Result(String scenario, int operations, int faults, List<String> violations,
                         int reads, int readsOk, int writes, int writesOk,
                         long p50FaultMicros, long p99FaultMicros, long p50Micros, long p99Micros, int opsDuringFaults,
                         List<String> faultLog, Map<String, Integer> errors, History history) {
        public double readAvailability() {
            return reads == 0 ? 1 : (double) readsOk / reads;
        }

        public double writeAvailability() {
            return writes == 0 ? 1 : (double) writesOk / writes;
        }
    }

    public static Result run(ProcessCluster cluster, Scenario scenario, Duration duration, Workload.Settings settings,
                             java.util.function.Consumer<String> log) throws Exception {
        History history = new History();
        String bucket = "chaos-" + scenario.name() + "-" + Long.toHexString(System.nanoTime() & 0xffffff);
        try (S3Client s3 = Workload.client(cluster.endpoint())) {
            createBucket(s3, bucket);
            Workload w = new Workload(s3, bucket, history, settings);
            log.accept(scenario.name() + ": workload of " + settings.threads() + " threads for " + duration.toSeconds() + " s");
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
        }
        List<String> violations = new ArrayList<>(new Checker(history).check());
        violations.addAll(history.violations());
        return summarize(scenario.name(), history, violations);
    }

    /** Restarts killed nodes and the coordinator, resumes paused nodes, waits until ready. */
    static void heal(ProcessCluster cluster) throws Exception {
        for (int i = 0; i < cluster.nodeCount(); i++) {
            cluster.resumeNode(i);
            if (!cluster.nodeRunning(i)) cluster.restartNode(i);
        }
        if (!cluster.coordinatorRunning()) cluster.restartCoordinator();
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
        List<Op> ops = h.ops().stream().filter(o -> !o.fin()).toList();
        List<History.Fault> faults = h.faults();
        int reads = 0, readsOk = 0, writes = 0, writesOk = 0;
        List<Long> all = new ArrayList<>(), during = new ArrayList<>();
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
                    break;
                }
            }
        }
        List<String> faultLog = faults.stream()
                .sorted(java.util.Comparator.comparingLong(History.Fault::start))
                .map(f -> String.format("%.1f s: %s", (f.start() - h.t0) / 1e9, f.detail())).toList();
        return new Result(name, ops.size(), faults.size(), violations, reads, readsOk, writes, writesOk,
                pct(during, 50), pct(during, 99), pct(all, 50), pct(all, 99), during.size(), faultLog, errors, h);
    }

    private static long pct(List<Long> l, int p) {
        if (l.isEmpty()) return 0;
        long[] a = l.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(a);
        return a[(int) Math.min(a.length - 1, Math.ceil(p / 100.0 * a.length) - 1)];
    }
}
