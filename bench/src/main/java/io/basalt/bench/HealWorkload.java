package io.basalt.bench;

import java.io.InputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * Heal speed: fill a cluster, SIGKILL one storage node for good, and time the way back to full
 * redundancy while a paced foreground load (GET + PUT) runs; its latency before the kill is the
 * baseline. Killing a node would leave the bench's own Basalt degraded for the workloads after
 * this one, so the workload starts a cluster of its own ({@code heal.nodes} nodes, one more than
 * k+m so the lost shards have somewhere to go) from {@code heal.root}, and runs only where the
 * bench started Basalt itself (--compare); other targets are skipped.
 *
 * <p>Time to full redundancy splits into: the dead node's lease expiring (etcd noticing), the
 * coordinator's grace period ({@code heal.grace}), and the heal itself until no segment lacks a
 * shard, read from etcd as {@code basalt admin status} reads it.
 */
final class HealWorkload {
    private static final long POLL_MS = 1000;
    private static final String BENCH_CLIENT = "bench client";

    private final Params p;

    HealWorkload(Params p) {
        this.p = p;
    }

    static Map<String, String> defaults(boolean quick) {
        Map<String, String> d = new TreeMap<>();
        d.put("heal.fill", quick ? "512MiB" : "2GiB");
        d.put("heal.size", "16MiB");
        d.put("heal.small", quick ? "100" : "300");
        d.put("heal.small.size", "64KiB");
        d.put("heal.concurrency", "4");
        d.put("heal.nodes", "7");
        d.put("heal.grace", "10s");
        d.put("heal.dev.options", "none"); // more ./basalt dev options, comma-separated, e.g. --heal-rate,0
        d.put("heal.port", "0"); // 0: the first free port from heal.port.from
        d.put("heal.port.from", "19300");
        d.put("heal.root", ".");
        d.put("heal.data", "default"); // default: ROOT/.basalt/bench-heal
        d.put("heal.baseline.seconds", quick ? "15" : "30");
        d.put("heal.fg.clients", "4");
        d.put("heal.fg.ops", "16");
        d.put("heal.fg.size", "1MiB");
        d.put("heal.fg.objects", "32");
        d.put("heal.timeout.seconds", "1800");
        d.put("heal.verify", quick ? "16" : "32");
        return d;
    }

    Figures run(Target t, int rep) throws Exception {
        Figures f = new Figures();
        if (!t.pids.containsKey("storage-nodes")) {
            Progress.message("  heal: skipped on " + t.name
                    + ": it kills a storage node, so it runs only where the bench started Basalt itself (--compare)");
            f.add("skipped", "count", false, 1);
            return f;
        }
        Path root = Path.of(p.values.get("heal.root")).toAbsolutePath().normalize();
        String dataDir = p.values.get("heal.data");
        Path data = dataDir.equals("default") ? root.resolve(".basalt/bench-heal") : Path.of(dataDir);
        int port = p.integer("heal.port");
        if (port == 0) port = io.basalt.testkit.FreePorts.firstFreeFrom(p.integer("heal.port.from"));
        List<String> extra = new ArrayList<>();
        String opts = p.values.get("heal.dev.options");
        if (!opts.equals("none")) extra.addAll(Arrays.asList(opts.split(",")));
        int nodes = p.integer("heal.nodes");
        long bytes0 = Ops.TOTAL_BYTES.get();
        try (HealCluster cluster = HealCluster.start(root, data, port, nodes, p.values.get("heal.grace"), extra);
                RedundancyProbe probe = new RedundancyProbe(cluster.etcdUrl, cluster.data.resolve("tls"))) {
            Target own = new Target(
                    t.name + "-heal", cluster.endpoint, HealCluster.ACCESS_KEY, HealCluster.SECRET_KEY, t.bucket, 16);
            try {
                scenario(own, cluster, probe, f);
            } finally {
                own.close();
            }
        } finally {
            // The bench charts CPU per GB of the target's processes: these bytes went to the heal cluster.
            Ops.TOTAL_BYTES.set(bytes0);
        }
        return f;
    }

    private void scenario(Target own, HealCluster cluster, RedundancyProbe probe, Figures f) throws Exception {
        Workloads.ensureBucket(own);
        // A new etcd client's first call can take long on a busy machine: not while timing the kill.
        for (int tries = 0; ; tries++) {
            try {
                probe.look();
                break;
            } catch (RuntimeException e) {
                if (tries == 10) throw e;
            }
        }
        long size = p.size("heal.size");
        int big = (int) Math.max(1, p.size("heal.fill") / size);
        long smallSize = p.size("heal.small.size");
        int small = p.integer("heal.small");
        int conc = p.integer("heal.concurrency");
        Ops.run("heal: fill " + big + " x " + Params.human(size), conc, big, i -> Workloads.put(own, "big/" + i, size));
        Ops.run(
                "heal: fill " + small + " x " + Params.human(smallSize),
                conc,
                small,
                i -> Workloads.put(own, "small/" + i, smallSize));

        ForegroundLoad fg = new ForegroundLoad(
                own,
                "fg/",
                p.size("heal.fg.size"),
                p.integer("heal.fg.objects"),
                p.integer("heal.fg.clients"),
                Double.parseDouble(p.values.get("heal.fg.ops")));
        fg.prepare();
        Progress.message("heal: baseline foreground for " + p.integer("heal.baseline.seconds") + " s");
        double tKill, tGone = Double.NaN, tFirst = Double.NaN, tFull = Double.NaN;
        RedundancyProbe.State atGone = null;
        double graceSeconds = seconds(p.values.get("heal.grace"));
        Map<String, Double> cpuAtDeclared = null, cpuAtFull = null, jitAtDeclared = null, jitAtFull = null;
        double declaredAt = Double.NaN;
        String victim = "node-" + p.integer("heal.nodes");
        long killNanos = 0;
        try (fg) {
            fg.start();
            Thread.sleep(p.integer("heal.baseline.seconds") * 1000L);
            fg.phase("degraded");
            long t0 = System.nanoTime();
            killNanos = t0;
            cluster.kill(victim);
            tKill = 0;
            Progress.message("heal: SIGKILLed " + victim + " (pid " + cluster.nodePids.get(victim) + ")");
            long deadline = t0 + p.integer("heal.timeout.seconds") * 1_000_000_000L;
            while (System.nanoTime() < deadline) {
                RedundancyProbe.State s;
                try {
                    s = probe.look();
                } catch (RuntimeException e) { // etcd slow to answer on a busy machine: look again
                    Progress.message("heal: etcd look failed, retrying: " + e + " / " + e.getCause());
                    Thread.sleep(POLL_MS);
                    continue;
                }
                double now = (System.nanoTime() - t0) / 1e9;
                if (atGone == null && !s.live().contains(victim)) {
                    atGone = s;
                    tGone = now;
                    declaredAt = tGone + graceSeconds;
                    Progress.message(String.format(
                            "heal: %s's lease gone after %.1f s; %d of %d segments degraded, %.2f GB of shards lost",
                            victim, now, s.degraded(), s.segments(), s.lostShardBytes() / 1e9));
                }
                if (atGone != null && cpuAtDeclared == null && now >= declaredAt) {
                    fg.phase("healing");
                    cpuAtDeclared = cpuNow(cluster);
                    jitAtDeclared = cluster.jitSeconds();
                }
                if (atGone != null && Double.isNaN(tFirst) && s.degraded() < atGone.degraded()) tFirst = now;
                if (atGone != null && s.degraded() == 0) {
                    tFull = now;
                    cpuAtFull = cpuNow(cluster);
                    jitAtFull = cluster.jitSeconds();
                    fg.phase("after");
                    break;
                }
                Thread.sleep(POLL_MS);
            }
            Thread.sleep(2000); // a little foreground after the heal, for the record
        }
        slowest(fg, killNanos);
        if (atGone == null) throw new IllegalStateException(victim + "'s lease never expired");
        if (Double.isNaN(tFull))
            Progress.message("heal: no full redundancy within " + p.integer("heal.timeout.seconds") + " s");
        double healSeconds = tFull - declaredAt;
        f.add("dead node's lease gone after kill s", "s", false, tGone - tKill);
        f.add("heal grace s", "s", false, graceSeconds);
        f.add("heal first segment after grace s", "s", false, tFirst - declaredAt);
        f.add("heal duration s", "s", false, healSeconds);
        f.add("time to full redundancy s", "s", false, tFull - tKill);
        f.add("degraded segments", "count", false, atGone.degraded());
        f.add("lost shard MB", "MB", false, atGone.lostShardBytes() / 1e6);
        f.add("heal rewritten MB/s", "MB/s", true, atGone.lostShardBytes() / 1e6 / healSeconds);
        // Each lost shard is rebuilt from k surviving ones (k of its segment's layout): k bytes read per byte
        // rewritten.
        f.add("heal read MB/s", "MB/s", true, atGone.readBytes() / 1e6 / healSeconds);
        if (cpuAtDeclared != null && cpuAtFull != null) {
            double servers = 0, serversJit = 0;
            for (var e : cpuAtFull.entrySet()) {
                double used = e.getValue() - cpuAtDeclared.getOrDefault(e.getKey(), 0.0);
                f.add("heal CPU % of a core " + e.getKey(), "% of a core", false, 100 * used / healSeconds);
                // The heal runs in these two (the gateway and etcd serve the foreground load, and etcd the swaps).
                if (!e.getKey().equals("coordinator") && !e.getKey().equals("storage-nodes")) continue;
                double jit = jitAtFull.getOrDefault(e.getKey(), 0.0) - jitAtDeclared.getOrDefault(e.getKey(), 0.0);
                f.add(
                        "heal CPU % of a core " + e.getKey() + ", JIT compiler",
                        "% of a core",
                        false,
                        100 * jit / healSeconds);
                servers += used;
                serversJit += jit;
            }
            // The heal's own cost per byte read, without the compiling a fresh cluster's first heal pays for:
            // what bounds a long heal on this machine, where it has every core to itself.
            double gbRead = atGone.readBytes() / 1e9;
            if (gbRead > 0) {
                double perGb = (servers - serversJit) / gbRead;
                f.add("heal CPU s per GB read, coordinator + storage nodes, without JIT", "s/GB", false, perGb);
                int cores = Runtime.getRuntime().availableProcessors();
                f.add(
                        "heal read MB/s if it had all " + cores + " cores, without JIT",
                        "MB/s",
                        true,
                        cores / perGb * 1000);
            }
        }
        latency(f, fg, "baseline");
        latency(f, fg, "degraded");
        latency(f, fg, "healing");
        for (boolean get : new boolean[] {true, false}) {
            double base = fg.latency("baseline", get).getValueAtPercentile(99);
            double heal = fg.latency("healing", get).getValueAtPercentile(99);
            if (base > 0 && heal > 0) f.add((get ? "GET" : "PUT") + " p99 healing / baseline", "x", false, heal / base);
        }
        f.add("foreground errors", "count", false, fg.errors.get());
        verify(own, f, big, size, small, smallSize);
    }

    /** Prints the slowest foreground operations with when they started, to match them with the cluster's logs. */
    private static void slowest(ForegroundLoad fg, long killNanos) {
        long nowNanos = System.nanoTime();
        Instant now = Instant.now();
        for (ForegroundLoad.Op op : fg.slowest(8)) {
            Progress.message(String.format(
                    Locale.ROOT,
                    "heal: slow foreground %s %s %.0f ms, started %+.1f s from the kill (%s, %s)",
                    op.get() ? "GET" : "PUT",
                    op.key(),
                    op.micros() / 1e3,
                    (op.startNanos() - killNanos) / 1e9,
                    op.phase(),
                    now.minusNanos(nowNanos - op.startNanos())));
        }
    }

    private static void latency(Figures f, ForegroundLoad fg, String phase) {
        for (boolean get : new boolean[] {true, false}) {
            Histogram h = fg.latency(phase, get);
            f.latency(phase + " " + (get ? "GET" : "PUT") + " ", h, 50, 99);
            // a p99 of a hundred operations is their slowest one or two: the count says how much it means
            f.add(phase + " " + (get ? "GET" : "PUT") + " operations", "count", false, h.getTotalCount());
        }
    }

    private static Map<String, Double> cpuNow(HealCluster cluster) {
        Map<String, Double> cpu = new TreeMap<>(cluster.cpuSeconds());
        cpu.put(BENCH_CLIENT, ProcStat.cpuSeconds(ProcessHandle.current().pid()));
        return cpu;
    }

    /** Every small object and the first heal.verify large ones read back byte-exact (by MD5). */
    private void verify(Target own, Figures f, int big, long size, int small, long smallSize) throws Exception {
        int n = Math.min(big, p.integer("heal.verify"));
        Progress.message("heal: reading back " + n + " large and " + small + " small objects");
        byte[] bigMd5 = md5(Workloads.body(size).contentStreamProvider().newStream());
        byte[] smallMd5 = md5(Workloads.body(smallSize).contentStreamProvider().newStream());
        long bad = 0;
        for (int i = 0; i < n; i++) if (!Arrays.equals(bigMd5, md5(own, "big/" + i))) bad++;
        for (int i = 0; i < small; i++) if (!Arrays.equals(smallMd5, md5(own, "small/" + i))) bad++;
        f.add("objects verified after heal", "count", true, n + small);
        f.add("objects read back wrong", "count", false, bad);
        if (bad > 0) Progress.message("heal: " + bad + " objects read back wrong");
    }

    private static byte[] md5(Target t, String key) throws Exception {
        try (ResponseInputStream<GetObjectResponse> in =
                t.s3.getObject(b -> b.bucket(t.bucket).key(key))) {
            return md5(in);
        }
    }

    private static byte[] md5(InputStream in) throws Exception {
        MessageDigest md = MessageDigest.getInstance("MD5");
        byte[] buf = new byte[1 << 20];
        int r;
        while ((r = in.read(buf)) > 0) md.update(buf, 0, r);
        in.close();
        return md.digest();
    }

    /** 10s, 2m, 90 -> seconds, as ./basalt dev reads --heal-grace. */
    static double seconds(String s) {
        s = s.trim();
        if (s.endsWith("h")) return Double.parseDouble(s.substring(0, s.length() - 1)) * 3600;
        if (s.endsWith("m")) return Double.parseDouble(s.substring(0, s.length() - 1)) * 60;
        if (s.endsWith("s")) return Double.parseDouble(s.substring(0, s.length() - 1));
        return Double.parseDouble(s);
    }
}
