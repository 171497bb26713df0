package io.basalt.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Restarts a storage node of the Basalt the bench started itself: SIGTERM (the node leaves etcd
 * first), and its launcher, run with {@code --restart-nodes}, starts it again with the same id,
 * port and dirs. A node keeps a dir it took out failed until it restarts; restarted, it opens every
 * dir afresh. Waits until the new process reports every dir healthy and the gateway counts every node.
 */
final class NodeRestarter {
    private static final Pattern LIVE_NODES = Pattern.compile("\\bnodes=(\\d+)\\b");
    private static final Duration WAIT = Duration.ofSeconds(90);

    private NodeRestarter() {}

    /** @return the pid of the node started again */
    static long restart(ProcessHandle launcher, long pid, URI gateway, int nodes) throws InterruptedException {
        StorageNodeCommand node = StorageNodeCommand.ofOwnNode(launcher, pid, "restarting");
        ProcessHandle old = ProcessHandle.of(pid).orElseThrow();
        old.destroy();
        try {
            old.onExit().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            Progress.message("faults: " + node.id() + " (pid " + pid + ") did not stop within 60 s: SIGKILL");
            old.destroyForcibly();
        }
        long deadline = System.nanoTime() + WAIT.toNanos();
        long fresh = -1;
        while (fresh < 0) {
            fresh = launcher.descendants()
                    .filter(h -> h.pid() != pid)
                    .filter(h -> {
                        String cmd = ProcStat.cmdline(h.pid());
                        return cmd.contains(StorageNodeCommand.MAIN_CLASS)
                                && StorageNodeCommand.parse(cmd).id().equals(node.id());
                    })
                    .mapToLong(ProcessHandle::pid)
                    .findFirst()
                    .orElse(-1);
            if (fresh < 0) pauseOrGiveUp(deadline, "the launcher did not start " + node.id() + " again");
        }
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        try (http) {
            while (!allDirsHealthy(http, node) || !allNodesLive(ready(http, gateway), nodes))
                pauseOrGiveUp(deadline, node.id() + " (pid " + fresh + ") did not come back with every dir healthy");
        }
        return fresh;
    }

    private static void pauseOrGiveUp(long deadline, String what) throws InterruptedException {
        if (System.nanoTime() > deadline) throw new IllegalStateException(what + " within " + WAIT.toSeconds() + " s");
        Thread.sleep(250);
    }

    private static boolean allDirsHealthy(HttpClient http, StorageNodeCommand node) throws InterruptedException {
        if (node.metricsListen() == null) return true;
        String text = get(http, URI.create("http://" + node.metricsListen() + "/metrics"))
                .orElse("");
        return node.dataDirs().stream().allMatch(d -> DirWatch.state(text, d) == DirWatch.State.HEALTHY);
    }

    private static String ready(HttpClient http, URI gateway) throws InterruptedException {
        return get(http, gateway.resolve("/minio/health/ready")).orElse("");
    }

    private static Optional<String> get(HttpClient http, URI uri) throws InterruptedException {
        try {
            HttpRequest req =
                    HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).build();
            return Optional.of(
                    http.send(req, HttpResponse.BodyHandlers.ofString()).body());
        } catch (java.io.IOException e) {
            return Optional.empty(); // not listening yet
        }
    }

    /** True when the gateway's readiness text ("... nodes=6 ...") counts {@code nodes} live nodes. */
    static boolean allNodesLive(String readyText, int nodes) {
        Matcher m = LIVE_NODES.matcher(readyText);
        return m.find() && Integer.parseInt(m.group(1)) == nodes;
    }
}
