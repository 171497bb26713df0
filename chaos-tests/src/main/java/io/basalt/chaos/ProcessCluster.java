package io.basalt.chaos;

import io.basalt.core.secrets.ClusterKey;
import io.basalt.core.tls.CertificateAuthority;
import io.basalt.core.tls.ClusterTls;
import io.basalt.storage.ShardInventory;
import io.basalt.testkit.FreePorts;
import java.io.IOException;
import java.io.UncheckedIOException;
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
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Basalt cluster of real processes on 127.0.0.1, shaped like a production deployment: a 3-member etcd
 * cluster, two coordinators (one leads), N storage nodes and two gateways, each service started from its
 * module's packaged jar and {@code target/lib/*} with the heap and JVM options of
 * {@code deploy/services.properties} ({@link ServiceCommand}), and given every etcd endpoint. Only processes
 * started here are ever signalled, by their own pid.
 */
public final class ProcessCluster implements AutoCloseable {

    /**
     * What to start. The graces are short so that a run exercises healing (a node gone longer than
     * {@code healGraceSeconds}), garbage collection and the orphan sweep; the orphan grace still outlasts
     * any single upload of the workload. {@code scrubIntervalSeconds} paces the nodes' bitrot scrub.
     * {@code packSmallShards} is the nodes' {@code --pack-small-shards} (on by default, as in the nodes; the
     * system property {@code basalt.pack-small-shards=false} turns it off for {@link #defaults}).
     */
    public record Config(
            Path root,
            Path dir,
            int nodes,
            int k,
            int m,
            int leaseTtlSeconds,
            int ioTimeoutMs,
            int healGraceSeconds,
            int etcdMembers,
            int coordinators,
            int gateways,
            int gcGraceSeconds,
            int orphanGraceSeconds,
            int scrubIntervalSeconds,
            boolean packSmallShards) {
        public static Config defaults(Path root, Path dir) {
            return new Config(
                    root,
                    dir,
                    6,
                    4,
                    2,
                    5,
                    5_000,
                    8,
                    3,
                    2,
                    2,
                    5,
                    30,
                    5,
                    !"false".equals(System.getProperty("basalt.pack-small-shards")));
        }

        /** How often the leading coordinator sweeps for orphans: a few times per grace period. */
        public int orphanIntervalSeconds() {
            return Math.max(2, orphanGraceSeconds / 3);
        }
    }

    public static final String ACCESS_KEY = "minioadmin";
    public static final String SECRET_KEY = "minioadmin";

    private final Config cfg;
    private final Path javaBin;
    private final ServiceCommand services;
    /** The cluster's certificates: what this harness presents to etcd and the nodes. */
    private final ClusterTls tls;

    private final HttpClient http;
    private final int[] etcdPorts, etcdPeerPorts, etcdMetricsPorts, gatewayPorts;
    private final int[] nodePorts;
    private final int[] nodeDataPorts;
    private final Process[] etcds, coordinators, gateways;
    private final int[] coordinatorStarts;
    private final Process[] nodes;
    private final boolean[] paused, etcdPaused;
    /** One per node, in front of it: the address it advertises, so peers reach it only through the proxy. */
    private final FaultProxy[] proxies;

    private final Thread hook = new Thread(this::close, "process-cluster-stop");

    private ProcessCluster(Config cfg, ServiceCommand services) throws IOException {
        this.cfg = cfg;
        this.javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
        this.services = services;
        this.etcdPorts = FreePorts.allocate(cfg.etcdMembers());
        this.etcdPeerPorts = FreePorts.allocate(cfg.etcdMembers());
        this.etcdMetricsPorts = FreePorts.allocate(cfg.etcdMembers());
        this.tls = ClusterTls.open(tlsDir(cfg));
        this.http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(2))
                .sslContext(tls.sslContext())
                .build();
        this.gatewayPorts = FreePorts.allocate(cfg.gateways());
        this.etcds = new Process[cfg.etcdMembers()];
        this.coordinators = new Process[cfg.coordinators()];
        this.coordinatorStarts = new int[cfg.coordinators()];
        this.gateways = new Process[cfg.gateways()];
        this.nodePorts = FreePorts.allocate(cfg.nodes());
        this.nodeDataPorts = FreePorts.allocate(cfg.nodes());
        this.nodes = new Process[cfg.nodes()];
        this.paused = new boolean[cfg.nodes()];
        this.etcdPaused = new boolean[cfg.etcdMembers()];
        this.proxies = new FaultProxy[cfg.nodes()];
        for (int i = 0; i < proxies.length; i++) proxies[i] = new FaultProxy(nodePorts[i], nodeDataPorts[i]);
    }

    /** Starts everything and waits until the gateway is ready and every node is registered. */
    public static ProcessCluster start(Config cfg) throws IOException, InterruptedException {
        ServiceCommand services = ServiceCommand.load(cfg.root());
        for (String service : List.of("storage-node", "coordinator", "gateway")) services.requirePackaged(service);
        Files.createDirectories(cfg.dir().resolve("logs"));
        // mutual TLS between gateways, coordinators and nodes, as ./basalt dev runs them
        CertificateAuthority.create("chaos-cluster-ca", Duration.ofDays(90))
                .issue(cfg.dir().resolve("tls"), "chaos-cluster", List.of("127.0.0.1"), Duration.ofDays(90));
        ClusterKey.create(cfg.dir().resolve("cluster.key")); // seals the access keys the fuzz scenario makes
        ProcessCluster c = new ProcessCluster(cfg, services);
        // never leave children behind, also when this JVM is interrupted (Ctrl-C, a killed test run)
        Runtime.getRuntime().addShutdownHook(c.hook);
        try {
            c.startEtcd();
            for (int i = 0; i < cfg.coordinators(); i++) c.startCoordinator(i);
            for (int i = 0; i < cfg.nodes(); i++) c.startNode(i);
            for (int i = 0; i < cfg.gateways(); i++) c.startGateway(i);
            c.awaitReady(Duration.ofSeconds(180)); // 13 JVMs starting on 2 busy cores: seen >90 s
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
            if (Files.isDirectory(p.resolve("gateway"))
                    && Files.isRegularFile(p.resolve("pom.xml"))
                    && Files.isDirectory(p.resolve("storage-node"))) {
                return p;
            }
            p = p.getParent();
        }
        throw new IllegalStateException(
                "cannot find the Basalt repository root from " + Path.of("").toAbsolutePath());
    }

    /** The first gateway's S3 endpoint. */
    public String endpoint() {
        return endpoint(0);
    }

    public String endpoint(int gateway) {
        return "http://127.0.0.1:" + gatewayPorts[gateway];
    }

    /** Every gateway's S3 endpoint, running or not. */
    public List<String> endpoints() {
        List<String> l = new ArrayList<>();
        for (int i = 0; i < gateways.length; i++) l.add(endpoint(i));
        return l;
    }

    /** The client URL of a running etcd member (the first one when none runs). */
    public String etcdEndpoint() {
        for (int i = 0; i < etcds.length; i++) if (etcds[i] != null && etcds[i].isAlive()) return etcdEndpoint(i);
        return etcdEndpoint(0);
    }

    public String etcdEndpoint(int member) {
        return "https://127.0.0.1:" + etcdPorts[member];
    }

    /** The certificates that etcd and the nodes admit (the cluster's own; the caller must not close them). */
    public ClusterTls tls() {
        return tls;
    }

    /** A client of the cluster's etcd; the caller closes it. */
    public io.etcd.jetcd.Client etcdClient() {
        return io.basalt.core.meta.Etcd.connect(etcdEndpoints(), tls);
    }

    /** Every etcd member's client URL, as the services get them. */
    public List<String> etcdEndpoints() {
        List<String> l = new ArrayList<>();
        for (int i = 0; i < etcdPorts.length; i++) l.add(etcdEndpoint(i));
        return l;
    }

    private String etcdFlag() {
        return String.join(",", etcdEndpoints());
    }

    /** The storage node id of node i (0-based), as registered in etcd and named in object records. */
    public String nodeId(int i) {
        return "node-" + (i + 1);
    }

    public int nodeCount() {
        return nodes.length;
    }

    public Config config() {
        return cfg;
    }

    /** The cluster's TLS directory (ca.crt, tls.crt, tls.key): what a client of the nodes presents. */
    public Path tlsDir() {
        return tlsDir(cfg);
    }

    /** The key the gateways open stored access keys with. */
    public Path clusterKeyFile() {
        return cfg.dir().resolve("cluster.key");
    }

    private static Path tlsDir(Config cfg) {
        return cfg.dir().resolve("tls");
    }

    public Path nodeDir(int i) {
        return cfg.dir().resolve("node-" + (i + 1));
    }

    // ------------------------------------------------------------------ start

    private Process launch(String name, List<String> cmd) throws IOException {
        Path log = cfg.dir().resolve("logs").resolve(name + ".log");
        Files.writeString(
                log,
                "=== starting " + name + ": " + String.join(" ", cmd) + "\n",
                StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("BASALT_ACCESS_KEY", ACCESS_KEY);
        pb.environment().put("BASALT_SECRET_KEY", SECRET_KEY);
        return pb.start();
    }

    private List<String> jvm(String service) {
        return services.java(javaBin, service, "chaos");
    }

    private void startEtcd() throws IOException, InterruptedException {
        // members start together: each waits for a quorum of its peers before it is healthy
        for (int i = 0; i < etcds.length; i++) startEtcdMember(i);
        for (int i = 0; i < etcds.length; i++) awaitEtcdHealthy(i, Duration.ofSeconds(30));
    }

    /** Starts etcd member i; on a restart its data dir already holds the cluster and the initial flags are ignored. */
    private void startEtcdMember(int i) throws IOException {
        String client = etcdEndpoint(i);
        String peer = "https://127.0.0.1:" + etcdPeerPorts[i];
        List<String> initial = new ArrayList<>();
        for (int j = 0; j < etcds.length; j++)
            initial.add("etcd-" + (j + 1) + "=https://127.0.0.1:" + etcdPeerPorts[j]);
        Path certs = tlsDir();
        Path data = cfg.dir().resolve("etcd-" + (i + 1));
        List<String> etcdArgs = new ArrayList<>(List.of(
                "etcd",
                "--name",
                "etcd-" + (i + 1),
                "--data-dir",
                data.toString(),
                "--listen-client-urls",
                client,
                "--advertise-client-urls",
                client,
                "--listen-peer-urls",
                peer,
                "--initial-advertise-peer-urls",
                peer,
                "--initial-cluster",
                String.join(",", initial),
                "--initial-cluster-state",
                "new",
                "--initial-cluster-token",
                "basalt-chaos",
                "--pre-vote=true", // a member back from a partition forces no election (as deploy/bare-metal)
                "--listen-metrics-urls",
                etcdHealth(i).replace("/health", "")));
        etcdArgs.addAll(io.basalt.testkit.EtcdProcess.tlsFlags(certs)); // clients and peers need a cluster cert
        etcds[i] = launch("etcd-" + (i + 1), etcdArgs);
    }

    /** Member i's health URL, on its plain metrics port (no data there). */
    private String etcdHealth(int i) {
        return "http://127.0.0.1:" + etcdMetricsPorts[i] + "/health";
    }

    /** Says which process exited, with the end of its log: test temp dirs are gone by the time CI output is read. */
    private String exited(String name) {
        Path log = cfg.dir().resolve("logs").resolve(name + ".log");
        String tail;
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            tail = String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            tail = "(no log: " + e + ")";
        }
        return name + " exited; " + log + " ends:\n" + tail;
    }

    private void awaitEtcdHealthy(int i, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!httpOk(etcdHealth(i))) {
            if (!etcds[i].isAlive()) {
                throw new IllegalStateException(exited("etcd-" + (i + 1)));
            }
            if (System.nanoTime() > deadline)
                throw new IllegalStateException(
                        "etcd-" + (i + 1) + " not healthy within " + timeout.toSeconds() + " s");
            Thread.sleep(100);
        }
    }

    private void startCoordinator(int i) throws IOException {
        List<String> cmd = jvm("coordinator");
        // a fresh id per start: the election key of a killed predecessor (alive until its lease expires)
        // then never passes for the new process's leadership
        coordinatorStarts[i]++;
        cmd.addAll(List.of(
                "--id",
                coordinatorId(i),
                "--etcd",
                etcdFlag(),
                "--heal-grace-seconds",
                String.valueOf(cfg.healGraceSeconds()),
                "--gc-grace-seconds",
                String.valueOf(cfg.gcGraceSeconds()),
                "--orphan-grace-seconds",
                String.valueOf(cfg.orphanGraceSeconds()),
                "--orphan-interval-seconds",
                String.valueOf(cfg.orphanIntervalSeconds()),
                "--cluster-tls",
                tlsDir().toString()));
        coordinators[i] = launch("coordinator-" + (i + 1), cmd);
    }

    private void startNode(int i) throws IOException {
        Path data = Files.createDirectories(nodeDir(i));
        List<String> cmd = jvm("storage-node");
        cmd.addAll(List.of(
                "--id",
                "node-" + (i + 1),
                "--listen",
                "127.0.0.1:" + nodePorts[i],
                "--data",
                data.toString(),
                "--etcd",
                etcdFlag(),
                "--lease-ttl",
                String.valueOf(cfg.leaseTtlSeconds()),
                "--scrub-interval-hours",
                String.valueOf(cfg.scrubIntervalSeconds() / 3600.0),
                "--advertise",
                "127.0.0.1:" + proxies[i].port(),
                "--data-port",
                String.valueOf(nodeDataPorts[i]),
                "--advertise-data",
                "127.0.0.1:" + proxies[i].port(1),
                "--cluster-tls",
                tlsDir().toString()));
        cmd.addAll(List.of("--pack-small-shards", String.valueOf(cfg.packSmallShards())));
        nodes[i] = launch("node-" + (i + 1), cmd);
        paused[i] = false;
    }

    private void startGateway(int i) throws IOException {
        List<String> cmd = jvm("gateway");
        cmd.addAll(List.of(
                "--listen",
                "127.0.0.1:" + gatewayPorts[i],
                "--etcd",
                etcdFlag(),
                "--ec",
                cfg.k() + "+" + cfg.m(),
                "--io-timeout-ms",
                String.valueOf(cfg.ioTimeoutMs()),
                "--cluster-tls",
                tlsDir().toString(),
                "--cluster-key",
                clusterKeyFile().toString()));
        gateways[i] = launch("gateway-" + (i + 1), cmd);
    }

    /** Waits until every running gateway reports ready and every running, unpaused node holds its etcd registration. */
    public void awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int want = 0;
        for (int i = 0; i < nodes.length; i++) if (nodes[i] != null && nodes[i].isAlive()) want++;
        while (true) {
            for (int i = 0; i < etcds.length; i++) {
                if (etcds[i] != null && !etcds[i].isAlive())
                    throw new IllegalStateException("etcd-" + (i + 1) + " exited");
            }
            for (int i = 0; i < gateways.length; i++) {
                if (gateways[i] != null && !gateways[i].isAlive()) {
                    throw new IllegalStateException(exited("gateway-" + (i + 1)));
                }
            }
            // a node that died starting would otherwise leave the count short until the deadline, unexplained
            for (int i = 0; i < nodes.length; i++) {
                if (nodes[i] != null && !nodes[i].isAlive()) throw new IllegalStateException(exited("node-" + (i + 1)));
            }
            // a killed node's old key outlives it by up to the lease TTL: also require its port to accept
            if (gatewaysReady() && registeredNodes() >= want && nodePortsAccept()) return;
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        "cluster not ready within " + timeout.toSeconds() + " s (" + registeredNodes() + "/" + want
                                + " nodes registered); logs in " + cfg.dir().resolve("logs"));
            }
            Thread.sleep(200);
        }
    }

    private boolean gatewaysReady() {
        for (int i = 0; i < gateways.length; i++) {
            if (gateways[i] != null && !httpOk(endpoint(i) + "/minio/health/ready")) return false;
        }
        return true;
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
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create(etcdEndpoint() + "/v3/kv/range"))
                            .timeout(Duration.ofSeconds(2))
                            .POST(HttpRequest.BodyPublishers.ofString(body))
                            .build(),
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
            HttpResponse<Void> r = http.send(
                    HttpRequest.newBuilder(URI.create(url))
                            .timeout(Duration.ofSeconds(2))
                            .GET()
                            .build(),
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

    /** SIGKILL the leading coordinator (the first one when no leader is known now); returns its index. */
    public int killCoordinator() throws InterruptedException {
        int i = Math.max(0, leaderCoordinator());
        killCoordinator(i);
        return i;
    }

    public void killCoordinator(int i) throws InterruptedException {
        coordinators[i] = kill(coordinators[i]);
    }

    /** Starts every coordinator that is not running. */
    public void restartCoordinator() throws IOException {
        for (int i = 0; i < coordinators.length; i++) if (!coordinatorRunning(i)) startCoordinator(i);
    }

    /** True when every gateway runs. */
    public boolean gatewayRunning() {
        for (int i = 0; i < gateways.length; i++) if (!gatewayRunning(i)) return false;
        return true;
    }

    /** True when every coordinator runs. */
    public boolean coordinatorRunning() {
        for (int i = 0; i < coordinators.length; i++) if (!coordinatorRunning(i)) return false;
        return true;
    }

    /** The id coordinator i (0-based) runs with now: {@code coordinator-<i+1>.<start count>}. */
    public String coordinatorId(int i) {
        return "coordinator-" + (i + 1) + "." + coordinatorStarts[i];
    }

    public boolean coordinatorRunning(int i) {
        return coordinators[i] != null && coordinators[i].isAlive();
    }

    private static final Pattern VALUE = Pattern.compile("\"value\"\\s*:\\s*\"([A-Za-z0-9+/=]*)\"");

    /**
     * Index of the leading coordinator: the holder of the oldest key under the election prefix (its value is
     * the coordinator's id), or -1 when none leads. A killed leader's key outlives it by the lease TTL; its id
     * is no running process's, so that also counts as none.
     */
    public int leaderCoordinator() {
        Base64.Encoder b64 = Base64.getEncoder();
        byte[] prefix = "/basalt/coordinator/leader".getBytes(StandardCharsets.UTF_8);
        byte[] end = prefix.clone();
        end[end.length - 1]++;
        String body = "{\"key\":\"" + b64.encodeToString(prefix) + "\",\"range_end\":\"" + b64.encodeToString(end)
                + "\",\"sort_order\":\"ASCEND\",\"sort_target\":\"CREATE\",\"limit\":1}";
        String answer = etcdJson("/v3/kv/range", body);
        if (answer == null) return -1;
        Matcher mt = VALUE.matcher(answer);
        if (!mt.find()) return -1;
        String id = new String(Base64.getDecoder().decode(mt.group(1)), StandardCharsets.UTF_8);
        for (int i = 0; i < coordinators.length; i++)
            if (coordinatorRunning(i) && coordinatorId(i).equals(id)) return i;
        return -1;
    }

    // ------------------------------------------------------------------ gateways

    /** SIGKILL gateway i (0-based): its in-flight requests break off mid-body. */
    public void killGateway(int i) throws InterruptedException {
        gateways[i] = kill(gateways[i]);
    }

    public void restartGateway(int i) throws IOException {
        if (!gatewayRunning(i)) startGateway(i);
    }

    public boolean gatewayRunning(int i) {
        return gateways[i] != null && gateways[i].isAlive();
    }

    public int gatewayCount() {
        return gateways.length;
    }

    // ------------------------------------------------------------------ etcd members

    public int etcdCount() {
        return etcds.length;
    }

    /** SIGKILL etcd member i (0-based). */
    public void killEtcd(int i) throws InterruptedException {
        etcds[i] = kill(etcds[i]);
        etcdPaused[i] = false;
    }

    /** SIGSTOP etcd member i: its connections stay open and go silent, as when its host freezes or is cut off. */
    public void pauseEtcd(int i) {
        if (!etcdRunning(i) || etcdPaused[i]) return;
        signal(etcds[i], "STOP");
        etcdPaused[i] = true;
    }

    /** SIGCONT etcd member i, and wait until it is healthy again (has a leader). */
    public void resumeEtcd(int i) throws InterruptedException {
        if (etcds[i] == null || !etcdPaused[i]) return;
        signal(etcds[i], "CONT");
        etcdPaused[i] = false;
        awaitEtcdHealthy(i, Duration.ofSeconds(30));
    }

    /** Starts etcd member i again on its data dir and waits until it is healthy (has a leader). */
    public void restartEtcd(int i) throws IOException, InterruptedException {
        if (etcdRunning(i)) return;
        startEtcdMember(i);
        awaitEtcdHealthy(i, Duration.ofSeconds(30));
    }

    public boolean etcdRunning(int i) {
        return etcds[i] != null && etcds[i].isAlive();
    }

    private static final Pattern MEMBER = Pattern.compile("\"member_id\"\\s*:\\s*\"?(\\d+)");
    private static final Pattern LEADER = Pattern.compile("\"leader\"\\s*:\\s*\"?(\\d+)");

    /** Index of the etcd leader, from the members' maintenance status; -1 when no running member knows one. */
    public int etcdLeader() {
        String leader = null;
        String[] ids = new String[etcds.length];
        for (int i = 0; i < etcds.length; i++) {
            if (!etcdRunning(i)) continue;
            String status = etcdJson(etcdEndpoint(i), "/v3/maintenance/status", "{}");
            if (status == null) continue;
            Matcher m = MEMBER.matcher(status), l = LEADER.matcher(status);
            if (m.find()) ids[i] = m.group(1);
            if (l.find() && !l.group(1).equals("0")) leader = l.group(1);
        }
        for (int i = 0; i < ids.length; i++) if (ids[i] != null && ids[i].equals(leader)) return i;
        return -1;
    }

    private String etcdJson(String path, String body) {
        return etcdJson(etcdEndpoint(), path, body);
    }

    /** A POST to etcd's JSON gateway; null when it does not answer 200. */
    private String etcdJson(String endpoint, String path, String body) {
        try {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create(endpoint + path))
                            .timeout(Duration.ofSeconds(2))
                            .POST(HttpRequest.BodyPublishers.ofString(body))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? r.body() : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** SIGKILL and reap; returns null for the slot. */
    private static Process kill(Process p) throws InterruptedException {
        if (p == null) return null;
        p.destroyForcibly(); // SIGKILL on Unix
        p.waitFor(10, TimeUnit.SECONDS);
        return null;
    }

    /** The shards node i holds on disk, as shard files and pack records (see {@link ShardInventory}). */
    public List<ShardInventory.StoredShard> shards(int i) throws IOException {
        return ShardInventory.of(nodeDir(i));
    }

    /**
     * Flips {@code bytesPerShard} random bytes of the data of up to {@code maxShards} random shards of node i.
     * Returns how many shards were corrupted.
     */
    public int corruptShards(int i, int maxShards, int bytesPerShard, Random rnd) throws IOException {
        List<ShardInventory.StoredShard> all = new ArrayList<>(shards(i));
        java.util.Collections.shuffle(all, rnd);
        int done = 0;
        for (ShardInventory.StoredShard s : all) {
            if (done >= maxShards) break;
            if (s.corrupt(bytesPerShard, rnd)) done++; // else deleted or moved under us (GC, overwrite, compaction)
        }
        return done;
    }

    private static void signal(Process p, String sig) {
        try {
            Process k = new ProcessBuilder("kill", "-" + sig, String.valueOf(p.pid()))
                    .redirectErrorStream(true)
                    .start();
            k.getInputStream().readAllBytes();
            k.waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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
        for (int i = 0; i < etcds.length; i++) {
            if (etcds[i] != null && etcdPaused[i]) signal(etcds[i], "CONT");
        }
        // TERM all services together, then wait: a sequential stop would take seconds per process
        List<Process> services = new ArrayList<>();
        for (Process g : gateways) if (g != null) services.add(g);
        for (Process c : coordinators) if (c != null) services.add(c);
        for (Process n : nodes) if (n != null) services.add(n);
        for (Process p : services) p.destroy();
        for (Process p : services) stop(p);
        for (Process e : etcds) if (e != null) e.destroy();
        for (Process e : etcds) stop(e);
        for (FaultProxy p : proxies) p.close();
        tls.close();
        java.util.Arrays.fill(gateways, null);
        java.util.Arrays.fill(coordinators, null);
        java.util.Arrays.fill(etcds, null);
        java.util.Arrays.fill(nodes, null);
    }
}
