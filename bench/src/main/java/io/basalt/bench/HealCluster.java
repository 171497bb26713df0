package io.basalt.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A Basalt dev cluster the heal workload owns, so it may kill a storage node for good: started
 * through {@code ROOT/basalt dev --no-build} with its own data dir, port, node count and heal
 * settings, stopped by the launcher's PID (SIGTERM; the launcher stops its children).
 */
final class HealCluster implements AutoCloseable {
    static final String ACCESS_KEY = env("BASALT_ACCESS_KEY", "minioadmin");
    static final String SECRET_KEY = env("BASALT_SECRET_KEY", "minioadmin");
    final Path data;
    final URI endpoint;
    final String etcdUrl;
    /** storage node id (node-1, ...) -> pid, from the launcher's process tree. */
    final Map<String, Long> nodePids = new TreeMap<>();
    /** role -> pids of the other services (coordinator, gateway, etcd). */
    final Map<String, List<Long>> servicePids = new TreeMap<>();

    private final Process launcher;
    /** Stops the cluster and deletes its data if the bench is ended (SIGTERM, Ctrl-C) while this workload runs. */
    private final Thread stopAtExit;

    private HealCluster(Path data, URI endpoint, String etcdUrl, Process launcher) {
        this.data = data;
        this.endpoint = endpoint;
        this.etcdUrl = etcdUrl;
        this.launcher = launcher;
        this.stopAtExit = new Thread(() -> {
            try {
                stopAndDeleteData();
            } catch (InterruptedException | IOException ignored) {
                // exiting anyway; the next run wipes it
            }
        });
        Runtime.getRuntime().addShutdownHook(stopAtExit);
    }

    /** @param extra more ./basalt dev options (e.g. --heal-rate 100) */
    static HealCluster start(Path root, Path data, int port, int nodes, String healGrace, List<String> extra)
            throws Exception {
        LocalProcesses.wipe(data);
        Files.createDirectories(data);
        List<String> cmd = new ArrayList<>(List.of(
                root.resolve("basalt").toString(),
                "dev",
                "--no-build",
                "--data",
                data.toString(),
                "--port",
                String.valueOf(port),
                "--nodes",
                String.valueOf(nodes),
                "--heal-grace",
                healGrace));
        cmd.addAll(extra);
        Path log = data.resolveSibling(data.getFileName() + "-launcher.log");
        Progress.message("heal: starting a cluster of its own: " + String.join(" ", cmd) + " (log " + log + ")");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("BASALT_ACCESS_KEY", ACCESS_KEY);
        pb.environment().put("BASALT_SECRET_KEY", SECRET_KEY);
        Process launcher = pb.start();
        // until the cluster's own hook takes over: a bench ended while the cluster starts stops it too
        Thread starting = new Thread(launcher::destroy);
        Runtime.getRuntime().addShutdownHook(starting);
        HealCluster c;
        try {
            if (!LocalProcesses.awaitReady(launcher, log, 180)) {
                launcher.destroy();
                throw new IllegalStateException("the heal cluster did not get ready within 180 s; see " + log);
            }
            String etcd = Files.readString(data.resolve("etcd-url")).trim(); // https://, with DIR/tls
            c = new HealCluster(data, URI.create("http://127.0.0.1:" + port), etcd, launcher);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(starting);
            } catch (IllegalStateException exiting) {
                // the hook is running or will run
            }
        }
        launcher.toHandle().descendants().forEach(h -> {
            String line = ProcStat.cmdline(h.pid());
            if (line.contains("io.basalt.storage.StorageNodeMain")) {
                String[] words = line.split(" ");
                for (int i = 0; i + 1 < words.length; i++)
                    if (words[i].equals("--id")) c.nodePids.put(words[i + 1], h.pid());
            } else if (line.contains("io.basalt.coordinator.CoordinatorMain")) {
                c.servicePids
                        .computeIfAbsent("coordinator", k -> new ArrayList<>())
                        .add(h.pid());
            } else if (line.contains("io.basalt.gateway.GatewayMain")) {
                c.servicePids.computeIfAbsent("gateway", k -> new ArrayList<>()).add(h.pid());
            } else if (line.startsWith("etcd ") || line.contains("/etcd ")) {
                c.servicePids.computeIfAbsent("etcd", k -> new ArrayList<>()).add(h.pid());
            }
        });
        if (c.nodePids.size() != nodes)
            throw new IllegalStateException("found " + c.nodePids + " storage nodes under the launcher, want " + nodes);
        return c;
    }

    /** SIGKILL: the node gets no chance to leave etcd, as when a machine dies. */
    void kill(String nodeId) throws InterruptedException {
        long pid = nodePids.get(nodeId);
        ProcessHandle h = ProcessHandle.of(pid).orElseThrow(() -> new IllegalStateException(nodeId + " is gone"));
        if (!h.destroyForcibly()) throw new IllegalStateException("could not SIGKILL " + nodeId + " (pid " + pid + ")");
        h.onExit().orTimeout(30, TimeUnit.SECONDS).join();
    }

    /** CPU seconds per role of the cluster's processes alive now; storage nodes summed. */
    Map<String, Double> cpuSeconds() {
        return byRole(ProcStat::cpuSeconds);
    }

    /**
     * Of {@link #cpuSeconds}, what the live JIT compiler threads used: in a cluster started for the
     * workload, a heal runs code no request ran before, and a short heal pays for compiling it.
     */
    Map<String, Double> jitSeconds() {
        return byRole(HealCluster::jitSeconds);
    }

    private Map<String, Double> byRole(java.util.function.ToDoubleFunction<Long> perPid) {
        Map<String, Double> out = new TreeMap<>();
        servicePids.forEach(
                (role, pids) -> out.put(role, pids.stream().mapToDouble(perPid).sum()));
        out.put("storage-nodes", nodePids.values().stream().mapToDouble(perPid).sum());
        return out;
    }

    private static double jitSeconds(long pid) {
        double s = 0;
        for (ProcStat t : ProcStat.threads(pid).values()) {
            if (ThreadKinds.of(t.comm(), true).equals(ThreadKinds.JIT)) s += t.userSeconds() + t.systemSeconds();
        }
        return s;
    }

    @Override
    public void close() throws Exception {
        try {
            Runtime.getRuntime().removeShutdownHook(stopAtExit);
        } catch (IllegalStateException exiting) {
            // the hook is running or will run: it stops the launcher too
        }
        stopAndDeleteData();
    }

    /** SIGTERM to the launcher (it stops its services first, so nothing writes into what is deleted), then the data. */
    private void stopAndDeleteData() throws InterruptedException, IOException {
        if (launcher.isAlive()) launcher.destroy();
        if (!launcher.waitFor(60, TimeUnit.SECONDS)) {
            Progress.message("heal cluster launcher " + launcher.pid() + " did not stop within 60 s: SIGKILL");
            launcher.destroyForcibly().waitFor();
        }
        LocalProcesses.wipeKeepingLogs(data); // the logs say what the slow operations met
    }

    private static String env(String k, String d) {
        String v = System.getenv(k);
        return v == null || v.isEmpty() ? d : v;
    }
}
