package io.basalt.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Tail latency when a storage node is alive but slow (issue 18): {@code faults.clients} clients in a
 * closed loop, each going round GET and PUT of every size in {@code faults.sizes}, through phases of
 * equal length: first no fault, then one storage node SIGSTOPped {@code faults.pause.seconds} out of
 * every {@code faults.pause.every.seconds} (SIGCONT after; its connections stay open, as in a long GC
 * pause), then one data dir of that node hung for the whole phase (every syscall into it blocks in
 * the kernel, as on a dead NFS server or a stuck NVMe; {@link DirHanger}). Per phase and operation:
 * p50/p99/p99.9, each over the no-fault phase's, and errors; for the hung dir also when the node
 * found it suspect and when it took it out.
 *
 * <p>It acts only on a storage node of the Basalt the bench started itself (--compare), checked
 * before every action ({@link StorageNodeCommand#ofOwnNode}). Every node runs again at the end of the
 * paused phase; after the hung-dir phase the dir is released and its node, which keeps a dir it took
 * out failed until it restarts, is restarted ({@link NodeRestarter}). After each faulty phase the
 * bench idles {@code faults.settle.seconds}, so the next phase, the next repetition and the workloads
 * after this one find the cluster whole and nobody suspected. Other targets are skipped.
 */
final class FaultsWorkload {
    static final String NO_FAULT = "no fault";
    static final String NODE_PAUSED = "node paused";
    static final String DIR_HUNG = "data dir hung";

    private final Params p;

    FaultsWorkload(Params p) {
        this.p = p;
    }

    static Map<String, String> defaults(boolean quick) {
        Map<String, String> d = new TreeMap<>();
        d.put("faults.sizes", "4KiB,1MiB");
        d.put("faults.clients", "8");
        d.put("faults.phase.seconds", quick ? "20" : "60");
        d.put("faults.pause.seconds", "2");
        d.put("faults.pause.every.seconds", "10");
        d.put("faults.pause.offset.seconds", "4"); // into each period: a pause sits mid-period
        d.put("faults.objects", "64"); // per size, written before the phases, read by the GETs
        // after the paused phase, idle longer than the gateway's 30 s suspicion of a node that failed a
        // request, so the next repetition's no-fault phase (or the next workload) finds nobody suspected
        d.put("faults.settle.seconds", "31");
        // "off" skips the hung-dir phase (it mounts a FUSE file system: root only; skipped where not permitted)
        d.put("faults.hung-dir.phase", "on");
        return d;
    }

    private static boolean startedHere(Target t) {
        return t.launcher != null && t.pids.containsKey("storage-nodes");
    }

    /** The objects the GETs read, written before the CPU meter starts. */
    void prepare(Target t, int rep) {
        if (!startedHere(t)) return;
        int objects = p.integer("faults.objects");
        for (String s : p.list("faults.sizes")) {
            long size = Params.parseSize(s);
            Ops.run(
                    t.name + " faults: prepare " + Params.human(size),
                    p.integer("faults.clients"),
                    objects,
                    i -> Workloads.put(t, readKey(rep, size, i), size));
        }
    }

    Figures run(Target t, int rep) throws Exception {
        Figures f = new Figures();
        if (!startedHere(t)) {
            Progress.message(
                    "  faults: skipped on " + t.name
                            + ": it SIGSTOPs a storage node, so it runs only on the Basalt the bench started itself (--compare)");
            f.add("skipped", "count", false, 1);
            return f;
        }
        List<Long> sizes =
                p.list("faults.sizes").stream().map(Params::parseSize).toList();
        List<String> kinds = new ArrayList<>();
        for (String op : List.of("GET", "PUT")) for (long size : sizes) kinds.add(op + " " + Params.human(size));
        PhaseLatencies lat = new PhaseLatencies(List.of(NO_FAULT, NODE_PAUSED, DIR_HUNG), kinds);
        double phaseSeconds = p.integer("faults.phase.seconds");
        PauseSchedule schedule = new PauseSchedule(
                p.integer("faults.pause.every.seconds"),
                p.integer("faults.pause.seconds"),
                p.integer("faults.pause.offset.seconds"));
        List<Long> nodes = t.pids.get("storage-nodes");
        try (NodePauser victim = new NodePauser(t.launcher, nodes.getLast())) {
            phase(t, rep, sizes, lat, NO_FAULT, phaseSeconds, null, null);
            Progress.message("faults: " + victim.nodeId + " (pid " + victim.pid + ") SIGSTOPped " + schedule.pause()
                    + " s of every " + schedule.every() + " s");
            phase(t, rep, sizes, lat, NODE_PAUSED, phaseSeconds, schedule, victim);
        }
        settle();
        f.add("node paused s", "s", false, schedule.pausedSeconds(phaseSeconds));
        hungDirPhase(t, rep, sizes, lat, phaseSeconds, f);
        lat.addTo(f, NO_FAULT);
        return f;
    }

    /** Idles longer than the gateway's suspicion of a node that failed a request. */
    private void settle() throws InterruptedException {
        Progress.message("faults: settling " + p.integer("faults.settle.seconds") + " s (node suspicion expires)");
        Thread.sleep(p.integer("faults.settle.seconds") * 1000L);
    }

    /**
     * One data dir of the last storage node hangs for the whole phase. The bench's Basalt gives each
     * node two dirs ({@link LocalProcesses#DIRS_PER_NODE}), so this is one disk of two stuck, the case
     * the storage node is built for: new shards go to the other dir and no request for a shard
     * elsewhere waits on the hung one; the node finds the dir suspect within seconds and takes it out
     * after its probe timeout, queueing its shards for healing. Afterwards the dir is released and the
     * node restarted, as an operator would once the disk answers again, so it serves both dirs again.
     * Skipped, with the figure "data dir hung: skipped", where mounting a FUSE file system is not
     * permitted or with {@code faults.hung-dir.phase=off}.
     */
    private void hungDirPhase(Target t, int rep, List<Long> sizes, PhaseLatencies lat, double seconds, Figures f)
            throws Exception {
        if (!p.values.get("faults.hung-dir.phase").equals("on")) {
            Progress.message("  faults: hung-dir phase off (faults.hung-dir.phase)");
            f.add("data dir hung: skipped", "count", false, 1);
            return;
        }
        List<Long> nodes = t.pids.get("storage-nodes");
        int victim = nodes.size() - 1;
        long pid = nodes.get(victim);
        StorageNodeCommand node = StorageNodeCommand.ofOwnNode(t.launcher, pid, "hanging a data dir of");
        Path dir = DirHanger.choose(node, t.dataDirs);
        DirHanger hanger;
        try {
            // the holder's own backstop: unmount even if this phase never gets to
            hanger = DirHanger.hang(dir, Duration.ofSeconds((long) seconds + 600));
        } catch (DirHanger.NotPermitted e) {
            Progress.message("  faults: hung-dir phase skipped: " + e.getMessage());
            f.add("data dir hung: skipped", "count", false, 1);
            return;
        }
        Progress.message("faults: " + hanger.dir + " of " + node.id() + " (pid " + pid + ") hung (FUSE holder pid "
                + hanger.holderPid() + "; " + node.dataDirs().size() + " dirs on the node"
                + (node.dataDirs().size() == 1
                        ? ": its only one, so the node stores nothing once it is taken out)"
                        : ")"));
        try (hanger;
                DirWatch watch = new DirWatch(node.metricsListen(), dir)) {
            phase(t, rep, sizes, lat, DIR_HUNG, seconds, null, null);
            f.add("data dir hung: suspect after s", "s", false, watch.suspectAfterSeconds());
            f.add("data dir hung: failed after s", "s", false, watch.failedAfterSeconds());
            f.add("data dir hung: slow metrics scrapes", "count", false, watch.slowScrapes());
            Progress.message(String.format(
                    "faults: %s found %s suspect after %.1f s, failed after %.1f s; releasing it",
                    node.id(), dir, watch.suspectAfterSeconds(), watch.failedAfterSeconds()));
        }
        // released: the node keeps the dir failed until it restarts
        long t0 = System.nanoTime();
        long fresh = NodeRestarter.restart(t.launcher, pid, t.endpoint, nodes.size());
        nodes.set(victim, fresh);
        f.add("data dir hung: node restart s", "s", false, (System.nanoTime() - t0) / 1e9);
        Progress.message("faults: " + node.id() + " restarted (pid " + fresh + ") with every dir healthy");
        settle();
    }

    /**
     * One phase: every client loops until the phase's time is up (an operation in flight then still
     * counts to this phase), while the pauser, if any, stops and resumes the node on schedule.
     */
    private void phase(
            Target t,
            int rep,
            List<Long> sizes,
            PhaseLatencies lat,
            String phase,
            double seconds,
            PauseSchedule schedule,
            NodePauser victim)
            throws InterruptedException {
        int clients = p.integer("faults.clients");
        int objects = p.integer("faults.objects");
        int kinds = 2 * sizes.size();
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        Progress.phase(t.name + " faults: " + phase, 0);
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int client = c;
            threads.add(Thread.ofPlatform().name("faults-client-" + c).start(() -> {
                for (long n = 0; System.nanoTime() < end; n++) {
                    int k = (int) ((client + n) % kinds);
                    boolean get = k < sizes.size();
                    long size = sizes.get(k % sizes.size());
                    String kind = (get ? "GET " : "PUT ") + Params.human(size);
                    long t0 = System.nanoTime();
                    try {
                        long moved = get
                                ? Workloads.get(
                                        t,
                                        readKey(
                                                rep,
                                                size,
                                                ThreadLocalRandom.current().nextInt(objects)),
                                        null)
                                : Workloads.put(t, "faults/" + rep + "/w/" + size + "/" + client + "-" + n % 16, size);
                        lat.record(phase, kind, (System.nanoTime() - t0) / 1000);
                        Ops.TOTAL_BYTES.addAndGet(moved);
                        Progress.bytes.addAndGet(moved);
                    } catch (RuntimeException e) {
                        lat.error(phase, kind);
                    }
                    Progress.done.incrementAndGet();
                }
            }));
        }
        try {
            if (schedule != null) {
                for (PauseSchedule.Window w : schedule.windows(seconds)) {
                    sleepUntil(start, w.start());
                    victim.pause();
                    try {
                        sleepUntil(start, w.end());
                    } finally {
                        victim.resume();
                    }
                }
            }
        } finally {
            for (Thread th : threads) th.join();
        }
        Progress.endPhase();
    }

    private static void sleepUntil(long start, double secondsIn) throws InterruptedException {
        long wait = start + (long) (secondsIn * 1e9) - System.nanoTime();
        if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
    }

    private static String readKey(int rep, long size, int i) {
        return "faults/" + rep + "/r/" + size + "/" + i;
    }
}
