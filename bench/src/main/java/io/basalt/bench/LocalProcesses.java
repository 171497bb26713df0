package io.basalt.bench;

import io.basalt.testkit.FreePorts;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** The processes --compare starts: a Basalt dev cluster (through ./basalt dev) and S3Proxy. Stopped by PID. */
final class LocalProcesses implements AutoCloseable {
    /**
     * Data dirs per storage node: two, as a node with two disks (a production node has one dir per
     * local NVMe disk), so the faults workload can hang one disk of a node and measure what the node
     * is built for, the other dir serving on. Both dirs sit on this machine's one disk, and no
     * per-dir writer or fsync batching exists in the node, so the other workloads' figures do not
     * depend on it.
     */
    static final int DIRS_PER_NODE = 2;

    /**
     * The GC grace of the Basalt the bench starts (the product's default is 5 minutes): short, so the shards a
     * warm-up overwrote are collected before the counted repetitions ({@link GcDrain}) and not inside one of them.
     */
    static final String GC_GRACE = "30s";

    private final List<Process> started = new ArrayList<>();
    private final List<Path> dataDirs = new ArrayList<>();
    private final int basePort;
    private final boolean keepData;

    /**
     * @param basePort Basalt takes the first free port from here, S3Proxy from 500 above
     * @param keepData leave the stores' data on disk after stopping them (else it is deleted: a full run
     *     leaves gigabytes of objects no one reads again)
     */
    LocalProcesses(int basePort, boolean keepData) {
        this.basePort = basePort;
        this.keepData = keepData;
    }

    static void wipe(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /** Starts ./basalt dev --no-build on a free port with its own data dir; returns the target once ready. */
    Target startBasalt(Path root, Path data, String ak, String sk, String bucket, int maxConn) throws Exception {
        wipe(data);
        Files.createDirectories(data);
        dataDirs.add(data); // deleted at the end, but for its logs
        int port = FreePorts.firstFreeFrom(basePort);
        Path log = data.resolveSibling(data.getFileName() + "-launcher.log");
        ProcessBuilder pb = new ProcessBuilder(
                root.resolve("basalt").toString(),
                "dev",
                "--no-build",
                "--data",
                data.toString(),
                "--port",
                String.valueOf(port),
                "--dirs-per-node",
                String.valueOf(DIRS_PER_NODE),
                // the faults workload restarts a node whose dir it hung, the way an operator would
                "--restart-nodes",
                "--gc-grace",
                GC_GRACE);
        pb.environment().put("BASALT_ACCESS_KEY", ak);
        pb.environment().put("BASALT_SECRET_KEY", sk);
        pb.redirectErrorStream(true);
        Progress.message("starting Basalt: ./basalt "
                + String.join(" ", pb.command().subList(1, pb.command().size())) + " (log " + log + ")");
        Process launcher = pb.start();
        started.add(launcher);
        if (!awaitReady(launcher, log, 180)) {
            throw new IllegalStateException("Basalt did not print its ready line within 180 s; see " + log);
        }
        Target t = new Target("basalt", URI.create("http://127.0.0.1:" + port), ak, sk, bucket, maxConn);
        // the launcher's process tree: find the services by their command line
        t.pids.putAll(ProcessFinder.basaltRoles(launcher.toHandle()));
        t.launcher = launcher.toHandle();
        t.coordinatorMetrics = coordinatorMetrics(data);
        try (Stream<Path> s = Files.list(data)) {
            s.filter(p -> p.getFileName().toString().startsWith("node-"))
                    .sorted()
                    .forEach(t.dataDirs::add);
        }
        t.promise = "erasure-coded 4+2 over 6 storage nodes of " + DIRS_PER_NODE
                + " data dirs each (one machine here), three copies (1+2) up to 64 KiB; "
                + "every shard durable before the PUT is acknowledged (shards of one chunk up to 128 KiB appended "
                + "to a pack file and fdatasynced with the others waiting, larger ones fsynced and renamed, "
                + "directory fsynced); metadata committed in etcd";
        Progress.message("Basalt ready at " + t.endpoint + "; pids " + t.pids);
        return t;
    }

    /** The coordinator's metrics URL from the launcher's {@code metrics-targets} file ("role url" lines), or null. */
    private static URI coordinatorMetrics(Path data) throws IOException {
        Path targets = data.resolve("metrics-targets");
        if (!Files.exists(targets)) return null;
        for (String line : Files.readAllLines(targets)) {
            String[] f = line.strip().split("\\s+");
            if (f.length == 2 && f[0].equals("coordinator")) return URI.create(f[1]);
        }
        return null;
    }

    /** Starts S3Proxy (filesystem backend) from its jar-with-dependencies as a separate JVM. */
    Target startS3Proxy(Path jar, Path data, String ak, String sk, String bucket, int maxConn) throws Exception {
        wipe(data);
        Files.createDirectories(data.resolve("blobs"));
        dataDirs.add(data);
        int port = FreePorts.firstFreeFrom(basePort + 500);
        Path props = data.resolve("s3proxy.properties");
        Files.writeString(
                props,
                String.join(
                        "\n",
                        "s3proxy.endpoint=http://127.0.0.1:" + port,
                        "s3proxy.authorization=aws-v2-or-v4",
                        "s3proxy.identity=" + ak,
                        "s3proxy.credential=" + sk,
                        "jclouds.provider=filesystem",
                        "jclouds.filesystem.basedir=" + data.resolve("blobs"),
                        "jclouds.identity=" + ak,
                        "jclouds.credential=" + sk,
                        ""));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path log = data.resolve("s3proxy.log");
        ProcessBuilder pb = new ProcessBuilder(
                java, "-Xmx512m", "-XX:+UseSerialGC", "-jar", jar.toString(), "--properties", props.toString());
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        Progress.message("starting S3Proxy " + jar.getFileName() + " on port " + port + " (log " + log + ")");
        Process p = pb.start();
        started.add(p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (true) {
            if (!p.isAlive()) throw new IllegalStateException("S3Proxy exited; see " + log);
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                break;
            } catch (IOException e) {
                if (System.nanoTime() > deadline)
                    throw new IllegalStateException("S3Proxy not listening within 90 s; see " + log);
                Thread.sleep(200);
            }
        }
        Target t = new Target("s3proxy", URI.create("http://127.0.0.1:" + port), ak, sk, bucket, maxConn);
        t.pids.put("s3proxy", new ArrayList<>(List.of(p.pid())));
        t.dataDirs.add(data.resolve("blobs"));
        t.promise = "one copy per object on the local filesystem (jclouds filesystem provider), never fsynced: "
                + "an acknowledged PUT may sit only in the page cache";
        Progress.message("S3Proxy ready at " + t.endpoint + "; pid " + p.pid());
        return t;
    }

    /**
     * SIGTERM to each process we started (the launcher stops its own children), SIGKILL after 30 s;
     * then their data is deleted unless kept. Idempotent (the shutdown hook calls it again).
     */
    @Override
    public synchronized void close() {
        for (Process p : started) {
            if (p.isAlive()) p.destroy();
        }
        for (Process p : started) {
            try {
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    Progress.message("pid " + p.pid() + " did not stop within 30 s: SIGKILL");
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (keepData || started.stream().anyMatch(Process::isAlive)) return;
        for (Path d : dataDirs) {
            try {
                wipeKeepingLogs(d);
            } catch (IOException e) {
                Progress.message("could not delete " + d + ": " + e);
            }
        }
        dataDirs.clear();
    }

    /** Deletes what {@code dir} holds but its logs ({@code logs/}, {@code *.log}), which tell what happened. */
    static void wipeKeepingLogs(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> children = Files.list(dir)) {
            for (Path c : children.toList()) {
                String name = c.getFileName().toString();
                if (!name.equals("logs") && !name.endsWith(".log")) wipe(c);
            }
        }
    }

    /**
     * Copies a {@code ./basalt dev} launcher's output to {@code log} and waits for its ready line;
     * false when it has not come within {@code seconds}.
     */
    static boolean awaitReady(Process launcher, Path log, int seconds) throws InterruptedException {
        CountDownLatch ready = new CountDownLatch(1);
        Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(launcher.getInputStream()));
                    PrintWriter out = new PrintWriter(Files.newBufferedWriter(log), true)) {
                String line;
                while ((line = in.readLine()) != null) {
                    out.println(line);
                    if (line.startsWith("Basalt ready at")) ready.countDown();
                }
            } catch (IOException ignored) {
                // launcher gone
            }
        });
        return ready.await(seconds, TimeUnit.SECONDS);
    }
}
