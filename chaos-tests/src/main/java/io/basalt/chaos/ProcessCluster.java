package io.basalt.chaos;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A Basalt cluster of real processes on 127.0.0.1: etcd, one coordinator, N storage nodes and one
 * gateway, each started from its module's {@code target/basalt-<module>-0.1.0-SNAPSHOT.jar} and
 * {@code target/lib/*}. Only processes started here are ever signalled, by their own pid.
 */
public final class ProcessCluster implements AutoCloseable {

    /** What to start. */
    public record Config(Path root, Path dir, int nodes, int k, int m, int leaseTtlSeconds, int ioTimeoutMs,
                         int healGraceSeconds) {
        public static Config defaults(Path root, Path dir) {
            return new Config(root, dir, 6, 4, 2, 5, 5_000, 3600);
        }
    }

    public static final String ACCESS_KEY = "minioadmin";
    public static final String SECRET_KEY = "minioadmin";

    private final Config cfg;
    private final Path javaBin;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final int etcdPort, etcdPeerPort, gatewayPort;
    private final int[] nodePorts;
    private Process etcd, coordinator, gateway;
    private final Process[] nodes;
    private final boolean[] paused;
    /** One per node, in front of it: the address it advertises, so peers reach it only through the proxy. */
    private final FaultProxy[] proxies;
    private final Thread hook = new Thread(this::close, "process-cluster-stop");

    private ProcessCluster(Config cfg) throws IOException {
        this.cfg = cfg;
        this.javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
        this.etcdPort = freePort();
        this.etcdPeerPort = freePort();
        this.gatewayPort = freePort();
        this.nodePorts = new int[cfg.nodes()];
        for (int i = 0; i < nodePorts.length; i++) nodePorts[i] = freePort();
        this.nodes = new Process[cfg.nodes()];
        this.paused = new boolean[cfg.nodes()];
        this.proxies = new FaultProxy[cfg.nodes()];
        for (int i = 0; i < proxies.length; i++) proxies[i] = new FaultProxy(nodePorts[i]);
    }

    /** Starts everything and waits until the gateway is ready and every node is registered. */
    public static ProcessCluster start(Config cfg) throws IOException, InterruptedException {
        for (String mod : List.of("storage-node", "coordinator", "gateway")) {
            if (!Files.isRegularFile(jar(cfg.root(), mod)) || !Files.isDirectory(cfg.root().resolve(mod).resolve("target/lib"))) {
                throw new IllegalStateException(mod + " is not packaged: " + jar(cfg.root(), mod)
                        + " or its target/lib is missing (build with ./mvnw -B package -DskipTests)");
            }
        }
        Files.createDirectories(cfg.dir().resolve("logs"));
        ProcessCluster c = new ProcessCluster(cfg);
        // never leave children behind, also when this JVM is interrupted (Ctrl-C, a killed test run)
        Runtime.getRuntime().addShutdownHook(c.hook);
        try {
            c.startEtcd();
            c.startCoordinator();
            for (int i = 0; i < cfg.nodes(); i++) c.startNode(i);
            c.startGateway();
            c.awaitReady(Duration.ofSeconds(90));
            return c;
        } catch (IOException | InterruptedException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** The repository root: {@code basalt.root}, else the first directory up from the cwd holding gateway/ and pom.xml. */
    public static Path findRoot() {
        String prop = System.getProperty("basalt.root");
        if (prop != null && !prop.isBlank()) return Path.of(prop).toAbsolutePath();
        Path p = Path.of("").toAbsolutePath();
        while (p != null) {
            if (Files.isDirectory(p.resolve("gateway")) && Files.isRegularFile(p.resolve("pom.xml"))
                    && Files.isDirectory(p.resolve("storage-node"))) {
                return p;
            }
            p = p.getParent();
        }
        throw new IllegalStateException("cannot find the Basalt repository root from " + Path.of("").toAbsolutePath());
    }

    private static Path jar(Path root, String mod) {
        return root.resolve(mod).resolve("target").resolve("basalt-" + mod + "-0.1.0-SNAPSHOT.jar");
    }

    public String endpoint() {
        return "http://127.0.0.1:" + gatewayPort;
    }

    public String etcdEndpoint() {
        return "http://127.0.0.1:" + etcdPort;
    }

    public int nodeCount() {
        return nodes.length;
    }

    public Config config() {
        return cfg;
    }

    public Path nodeDir(int i) {
        return cfg.dir().resolve("node-" + (i + 1));
    }

    // ------------------------------------------------------------------ start

    private Process launch(String name, List<String> cmd) throws IOException {
        Path log = cfg.dir().resolve("logs").resolve(name + ".log");
        Files.writeString(log, "=== starting " + name + ": " + String.join(" ", cmd) + "\n", StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("BASALT_ACCESS_KEY", ACCESS_KEY);
        pb.environment().put("BASALT_SECRET_KEY", SECRET_KEY);
        return pb.start();
    }

    private List<String> jvm(String mod, String heap, String main) {
        List<String> cmd = new ArrayList<>(List.of(javaBin.toString(),
                "-Djava.util.logging.manager=org.apache.logging.log4j.jul.LogManager", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-Xshare:auto", heap));
        if (Runtime.version().feature() >= 23) cmd.add("--sun-misc-unsafe-memory-access=allow");
        cmd.add("-cp");
        cmd.add(jar(cfg.root(), mod) + ":" + cfg.root().resolve(mod).resolve("target/lib") + "/*");
        cmd.add(main);
        return cmd;
    }

    private void startEtcd() throws IOException, InterruptedException {
        String client = etcdEndpoint();
        String peer = "http://127.0.0.1:" + etcdPeerPort;
        Path data = cfg.dir().resolve("etcd");
        etcd = launch("etcd", List.of("etcd", "--name", "chaos", "--data-dir", data.toString(),
                "--listen-client-urls", client, "--advertise-client-urls", client,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                "--initial-cluster", "chaos=" + peer));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!httpOk(client + "/health")) {
            if (!etcd.isAlive()) throw new IllegalStateException("etcd exited; see " + cfg.dir().resolve("logs/etcd.log"));
            if (System.nanoTime() > deadline) throw new IllegalStateException("etcd not healthy within 20 s");
            Thread.sleep(100);
        }
    }

    private void startCoordinator() throws IOException {
        List<String> cmd = jvm("coordinator", "-Xmx128m", "io.basalt.coordinator.CoordinatorMain");
        cmd.addAll(List.of("--id", "coordinator-1", "--etcd", etcdEndpoint(),
                "--heal-grace-seconds", String.valueOf(cfg.healGraceSeconds())));
        coordinator = launch("coordinator", cmd);
    }

    private void startNode(int i) throws IOException {
        Path data = Files.createDirectories(nodeDir(i));
        List<String> cmd = jvm("storage-node", "-Xmx192m", "io.basalt.storage.StorageNodeMain");
        cmd.addAll(List.of("--id", "node-" + (i + 1), "--listen", "127.0.0.1:" + nodePorts[i],
                "--data", data.toString(), "--etcd", etcdEndpoint(),
                "--lease-ttl", String.valueOf(cfg.leaseTtlSeconds()),
                "--advertise", "127.0.0.1:" + proxies[i].port()));
        nodes[i] = launch("node-" + (i + 1), cmd);
        paused[i] = false;
    }

    private void startGateway() throws IOException {
        List<String> cmd = jvm("gateway", "-Xmx256m", "io.basalt.gateway.GatewayMain");
        cmd.addAll(List.of("--listen", "127.0.0.1:" + gatewayPort, "--etcd", etcdEndpoint(),
                "--ec", cfg.k() + "+" + cfg.m(), "--io-timeout-ms", String.valueOf(cfg.ioTimeoutMs())));
        gateway = launch("gateway", cmd);
    }

    /** Waits until the gateway reports ready and every running, unpaused node holds its etcd registration. */
    public void awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int want = 0;
        for (int i = 0; i < nodes.length; i++) if (nodes[i] != null && nodes[i].isAlive()) want++;
        while (true) {
            if (!etcd.isAlive()) throw new IllegalStateException("etcd exited");
            if (!gateway.isAlive()) throw new IllegalStateException("gateway exited; see " + cfg.dir().resolve("logs/gateway.log"));
            // a killed node's old key outlives it by up to the lease TTL: also require its port to accept
            if (httpOk(endpoint() + "/minio/health/ready") && registeredNodes() >= want && nodePortsAccept()) return;
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("cluster not ready within " + timeout.toSeconds() + " s ("
                        + registeredNodes() + "/" + want + " nodes registered); logs in " + cfg.dir().resolve("logs"));
            }
            Thread.sleep(200);
        }
    }

    private boolean nodePortsAccept() {
        for (int i = 0; i < nodes.length; i++) {
            if (nodes[i] == null || !nodes[i].isAlive() || paused[i]) continue;
            try (java.net.Socket s = new java.net.Socket()) {
                s.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), nodePorts[i]), 1000);
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }

    private static final Pattern COUNT = Pattern.compile("\"count\"\\s*:\\s*\"?(\\d+)");

    /** Storage nodes registered in etcd (keys under /basalt/nodes/), through etcd's JSON gateway. */
    public int registeredNodes() {
        Base64.Encoder b64 = Base64.getEncoder();
        String body = "{\"key\":\"" + b64.encodeToString("/basalt/nodes/".getBytes(StandardCharsets.UTF_8))
                + "\",\"range_end\":\"" + b64.encodeToString("/basalt/nodes0".getBytes(StandardCharsets.UTF_8))
                + "\",\"count_only\":true}";
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(etcdEndpoint() + "/v3/kv/range"))
                            .timeout(Duration.ofSeconds(2)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) return -1;
            Matcher mt = COUNT.matcher(r.body());
            return mt.find() ? Integer.parseInt(mt.group(1)) : 0;
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private boolean httpOk(String url) {
        try {
            HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).GET().build(),
                    HttpResponse.BodyHandlers.discarding());
            return r.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    // ------------------------------------------------------------------ faults

    /** SIGKILL storage node i (0-based). */
    public void killNode(int i) throws InterruptedException {
        Process p = nodes[i];
        if (p == null) return;
        if (paused[i]) signal(p, "CONT");
        p.destroyForcibly(); // SIGKILL on Unix
        p.waitFor(10, TimeUnit.SECONDS);
        nodes[i] = null;
        paused[i] = false;
    }

    /** Starts storage node i again with the same id, port and data. */
    public void restartNode(int i) throws IOException {
        if (nodes[i] != null && nodes[i].isAlive()) return;
        startNode(i);
    }

    /** The fault proxy in front of storage node i (0-based). */
    public FaultProxy proxy(int i) {
        return proxies[i];
    }

    public boolean nodeRunning(int i) {
        return nodes[i] != null && nodes[i].isAlive();
    }

    /** SIGSTOP storage node i. */
    public void pauseNode(int i) {
        if (nodes[i] == null || paused[i]) return;
        signal(nodes[i], "STOP");
        paused[i] = true;
    }

    /** SIGCONT storage node i. */
    public void resumeNode(int i) {
        if (nodes[i] == null || !paused[i]) return;
        signal(nodes[i], "CONT");
        paused[i] = false;
    }

    public void killCoordinator() throws InterruptedException {
        if (coordinator == null) return;
        coordinator.destroyForcibly();
        coordinator.waitFor(10, TimeUnit.SECONDS);
        coordinator = null;
    }

    public void restartCoordinator() throws IOException {
        if (coordinator != null && coordinator.isAlive()) return;
        startCoordinator();
    }

    public boolean gatewayRunning() {
        return gateway != null && gateway.isAlive();
    }

    public boolean coordinatorRunning() {
        return coordinator != null && coordinator.isAlive();
    }

    /** Shard files of node i: regular files under its data dir's shards/ (never tmp/). */
    public List<Path> shardFiles(int i) throws IOException {
        Path shards = nodeDir(i).resolve("shards");
        if (!Files.isDirectory(shards)) return List.of();
        try (Stream<Path> s = Files.walk(shards)) {
            return s.filter(Files::isRegularFile).sorted(Comparator.naturalOrder()).toList();
        }
    }

    /**
     * Flips {@code bytesPerFile} random bytes past the 32-byte header in up to {@code maxFiles} random
     * shard files of node i. Returns how many files were corrupted.
     */
    public int corruptShards(int i, int maxFiles, int bytesPerFile, Random rnd) throws IOException {
        List<Path> files = new ArrayList<>(shardFiles(i));
        java.util.Collections.shuffle(files, rnd);
        int done = 0;
        for (Path f : files) {
            if (done >= maxFiles) break;
            try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
                long len = raf.length();
                if (len <= 33) continue;
                for (int b = 0; b < bytesPerFile; b++) {
                    long pos = 32 + (long) (rnd.nextDouble() * (len - 32));
                    raf.seek(pos);
                    int v = raf.read();
                    raf.seek(pos);
                    raf.write(v ^ 0xFF);
                }
                done++;
            } catch (IOException e) {
                // deleted or renamed under us (GC, overwrite): not corrupted, try the next
            }
        }
        return done;
    }

    private static void signal(Process p, String sig) {
        try {
            Process k = new ProcessBuilder("kill", "-" + sig, String.valueOf(p.pid())).redirectErrorStream(true).start();
            k.getInputStream().readAllBytes();
            k.waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------ stop

    private static void stop(Process p) {
        if (p == null) return;
        p.destroy(); // SIGTERM: services leave etcd cleanly
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public synchronized void close() {
        if (Thread.currentThread() != hook) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException | IllegalArgumentException e) {
                // shutting down already, or never registered
            }
        }
        for (int i = 0; i < nodes.length; i++) {
            if (nodes[i] != null && paused[i]) signal(nodes[i], "CONT");
        }
        // TERM all services together, then wait: a sequential stop would take seconds per process
        List<Process> services = new ArrayList<>();
        if (gateway != null) services.add(gateway);
        if (coordinator != null) services.add(coordinator);
        for (Process n : nodes) if (n != null) services.add(n);
        for (Process p : services) p.destroy();
        for (Process p : services) stop(p);
        stop(etcd);
        for (FaultProxy p : proxies) p.close();
        gateway = coordinator = etcd = null;
        java.util.Arrays.fill(nodes, null);
    }
}
