package io.basalt.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.basalt.coordinator.admin.ClusterStatus;
import io.basalt.core.config.HostConfig;
import io.basalt.core.config.PropertiesFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The guide's three hosts, for real: three network namespaces on a private bridge (10.77.1.2, .2.2, .3.2), each
 * running what the example's host config and etcd file say (an etcd member with TLS, a storage node, a gateway,
 * coordinators on two), every process started from the release package ({@code ./basalt package}) by its
 * launcher with the host's config file, and per-host certificates issued as the README says. A host's Basalt
 * processes can be stopped (SIGTERM) and started again, from the same package or, for a rolling upgrade, from
 * another one installed on that host ({@link #install}), and its network cut and restored. Closing stops every
 * process it started and deletes the namespaces.
 */
final class ThreeHostCluster implements AutoCloseable {

    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final int HOSTS = 3;
    static final String EXAMPLE_ADDRESS = "10.0.0.1"; // the example's hosts are 10.0.0.11 .. 10.0.0.13
    static final String JAVA_OPTS = "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xmx160m -XX:+ExitOnOutOfMemoryError";

    /** A process this cluster started in a host's namespace ({@code ip netns exec} execs it: the PID is its own). */
    record Service(int host, String role, Process process, Path log) {}

    private final Path tmp;
    private final Path home; // the package the cluster started from: admin commands run from it
    private final Path[] installs; // what each host runs: home, until install() switches it
    private final PrivateNetwork net;
    private final boolean firstHostNamed;
    private final List<Path> configs = new ArrayList<>();
    private final List<Service> services = new ArrayList<>();

    /** Why the cluster cannot run here (not root, no namespaces, a command missing), or null when it can. */
    static String unavailable() {
        String why = PrivateNetwork.unavailable();
        if (why != null) return why;
        for (String command : List.of("etcd", "aws", "curl", "tar")) {
            if (!BareMetalTest.onPath(command)) return "no " + command + " on PATH";
        }
        return null;
    }

    /** The cluster on MultiHostTest's network, every host running the package of this tree. */
    static ThreeHostCluster start(Path tmp) throws Exception {
        Path home = unpack(ReleasePackageTest.pack(tmp.resolve("dist")), tmp.resolve("opt"));
        return start(tmp, home, PrivateNetwork.PREFIX, PrivateNetwork.SUBNET, false);
    }

    /**
     * The cluster with every host running the unpacked package {@code home}, on a network of namespaces named
     * {@code <prefix>...} with hosts at 10.{@code subnet}.i.2. {@code firstHostNamed}: every host's certificate
     * also names host 1's address, as releases before 0.2 need (they check every etcd member against the first
     * endpoint's host).
     */
    static ThreeHostCluster start(Path tmp, Path home, String prefix, int subnet, boolean firstHostNamed)
            throws Exception {
        ThreeHostCluster cluster =
                new ThreeHostCluster(tmp, home, PrivateNetwork.create(HOSTS, prefix, subnet), firstHostNamed);
        try {
            cluster.startAll();
            return cluster;
        } catch (AssertionError | Exception e) {
            String logs = cluster.logTails();
            cluster.close();
            throw new AssertionError(e.getMessage() + "\n" + logs, e);
        }
    }

    private ThreeHostCluster(Path tmp, Path home, PrivateNetwork net, boolean firstHostNamed) {
        this.firstHostNamed = firstHostNamed;
        this.tmp = tmp;
        this.home = home;
        this.installs = new Path[HOSTS];
        java.util.Arrays.fill(installs, home);
        this.net = net;
    }

    private void startAll() throws Exception {
        writeCredentials();
        basalt("admin", "tls", "create-ca", "--dir", tmp.resolve("ca").toString());
        basalt(
                "admin",
                "key",
                "cluster-key",
                "--out",
                tmp.resolve("cluster.key").toString());
        for (int i = 1; i <= HOSTS; i++) configs.add(setUpHost(i));
        for (int i = 1; i <= HOSTS; i++) startEtcd(i);
        for (int i = 1; i <= HOSTS; i++) {
            String health = "http://" + net.hostAddress(i) + ":2381/health";
            awaitOutput(i, List.of("curl", "-s", health), out -> out.contains("\"health\":\"true\""), 60);
        }
        // each member answers with TLS under its own address, the only name its certificate holds
        for (int i = 1; i <= HOSTS; i++) {
            List<String> curl = new ArrayList<>(curlTls(tls(i), tls(i)));
            curl.add("https://" + net.hostAddress(i) + ":2379/health");
            awaitOutput(i % HOSTS + 1, curl, out -> out.contains("\"health\":\"true\""), 30);
        }
        for (int i = 1; i <= HOSTS; i++) startBasalt(i);
        for (int i = 1; i <= HOSTS; i++) awaitGatewayReady(i, 180);
    }

    // ---------------------------------------------------------------- what tests use

    PrivateNetwork net() {
        return net;
    }

    /** Host i's TLS directory: ca.crt, tls.crt, tls.key of the cluster CA, naming the host's address. */
    Path tls(int host) {
        return tmp.resolve("host-" + host).resolve("tls");
    }

    Path config(int host) {
        return configs.get(host - 1);
    }

    String gateway(int host) {
        return "http://" + net.hostAddress(host) + ":9000";
    }

    /** curl trusting the CA of TLS directory {@code trust} and presenting the certificate of {@code identity}. */
    static List<String> curlTls(Path trust, Path identity) {
        return List.of(
                "curl",
                "-s",
                "--max-time",
                "10",
                "--cacert",
                trust.resolve("ca.crt").toString(),
                "--cert",
                identity.resolve("tls.crt").toString(),
                "--key",
                identity.resolve("tls.key").toString());
    }

    /** Host i's installation: the unpacked package its services start from. */
    Path install(int host) {
        return installs[host - 1];
    }

    /**
     * Switches host i to the unpacked package {@code home}, as relinking /opt/basalt does: what starts there
     * next runs it (running processes keep theirs until stopped).
     */
    void install(int host, Path home) {
        installs[host - 1] = home;
    }

    /** {@code basalt version} of host i's installation: the release it runs once (re)started. */
    String version(int host) throws Exception {
        return stdout(host, List.of(install(host).resolve("bin/basalt").toString(), "version"), basaltEnvironment())
                .strip();
    }

    /** Runs {@code basalt ARGS} from the package in the test's own namespace (admin commands needing no network). */
    void basalt(String... args) throws Exception {
        List<String> command =
                new ArrayList<>(List.of(home.resolve("bin/basalt").toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(basaltEnvironment());
        BareMetalTest.Run r = BareMetalTest.run(pb);
        assertEquals(0, r.status(), "basalt " + String.join(" ", args) + ": " + r.output());
    }

    /** Waits until every node is live and no object is degraded (healing done); that status. */
    ClusterStatus awaitHealthy(int seconds) throws Exception {
        return awaitStatus(
                1, s -> allLive(s) && s.objectsDegraded() == 0, seconds, "every node live and no object degraded");
    }

    static boolean allLive(ClusterStatus s) {
        return s.nodes().size() == HOSTS && s.nodes().stream().allMatch(n -> ClusterStatus.Node.LIVE.equals(n.state()));
    }

    /** Node {@code node}'s state in {@code s}, "absent" if the status does not list it. */
    static String state(ClusterStatus s, String node) {
        return s.nodes().stream()
                .filter(n -> n.id().equals(node))
                .map(ClusterStatus.Node::state)
                .findFirst()
                .orElse("absent");
    }

    /** {@code basalt admin status --json} run on host {@code from} with its config file. */
    ClusterStatus status(int from, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                install(from).resolve("bin/basalt").toString(),
                "admin",
                "status",
                "--json",
                "--config",
                config(from).toString()));
        command.addAll(List.of(args));
        return ClusterStatus.fromJson(stdout(from, command, basaltEnvironment()));
    }

    /** Polls {@link #status} on host {@code from} until {@code ready} holds, for up to {@code seconds}. */
    ClusterStatus awaitStatus(int from, Predicate<ClusterStatus> ready, int seconds, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        ClusterStatus last = null;
        while (System.nanoTime() < deadline) {
            try {
                last = status(from);
                if (ready.test(last)) return last;
            } catch (AssertionError e) {
                // etcd may be electing a leader: the next poll tells
            }
            Thread.sleep(1000);
        }
        throw new AssertionError(
                "not within " + seconds + " s: " + what + "; last status: " + (last == null ? "none" : last.toJson()));
    }

    /** The aws CLI in host {@code from}'s namespace against host {@code gateway}'s gateway; must succeed. */
    void s3(int from, int gateway, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("aws", "--endpoint-url", gateway(gateway)));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(net.in(from, command)).redirectErrorStream(true);
        pb.environment().putAll(awsEnvironment());
        BareMetalTest.Run r = BareMetalTest.run(pb);
        assertEquals(0, r.status(), "aws " + String.join(" ", args) + " via gateway " + gateway + ": " + r.output());
    }

    /** The S3 root key of the credentials file, for clients, as AWS_* variables. */
    Map<String, String> awsEnvironment() {
        Map<String, String> keys = PropertiesFile.read(tmp.resolve("credentials"));
        return Map.of(
                "AWS_ACCESS_KEY_ID",
                keys.get("access-key"),
                "AWS_SECRET_ACCESS_KEY",
                keys.get("secret-key"),
                "AWS_DEFAULT_REGION",
                "us-east-1",
                "AWS_CONFIG_FILE",
                "/dev/null",
                "AWS_SHARED_CREDENTIALS_FILE",
                "/dev/null",
                "HOME",
                tmp.toString());
    }

    /** Waits until host i's gateway is ready and sees every storage node. */
    void awaitGatewayReady(int host, int seconds) throws Exception {
        String ready = gateway(host) + "/minio/health/ready";
        awaitOutput(
                host, List.of("curl", "-s", "--max-time", "5", ready), out -> out.contains("nodes=" + HOSTS), seconds);
    }

    /**
     * Stops every Basalt process of host i (not its etcd member) as systemd would, SIGTERM then a wait,
     * the coordinator and gateway before the storage node; returns each one's exit status by role.
     */
    Map<String, Integer> stopBasalt(int host) throws InterruptedException {
        Map<String, Integer> exits = new LinkedHashMap<>();
        List<Service> stopping = services.stream()
                .filter(s -> s.host() == host && !s.role().equals("etcd"))
                .toList()
                .reversed();
        for (Service s : stopping) {
            s.process().destroy();
            if (!s.process().waitFor(60, TimeUnit.SECONDS)) {
                s.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            exits.put(s.role(), s.process().exitValue());
            services.remove(s);
        }
        return exits;
    }

    /** Starts host i's roles, as its config file names them, from the package: what its systemd units run. */
    void startBasalt(int host) throws IOException {
        for (String role : HostConfig.load(config(host)).roles()) {
            start(
                    host,
                    role,
                    List.of(
                            install(host).resolve("bin/basalt").toString(),
                            role,
                            "--config",
                            config(host).toString()),
                    basaltEnvironment());
        }
    }

    /** Unplugs host i: its eth0 goes down inside its namespace, so nothing leaves or reaches it but loopback. */
    void cut(int host) throws IOException {
        net.setLink(host, false);
    }

    void restore(int host) throws IOException {
        net.setLink(host, true);
    }

    /** Fails when a process of the cluster exited on its own (a stopped host's are no longer tracked). */
    void assertAllRunning() {
        for (Service s : services) {
            if (!s.process().isAlive()) {
                fail("host " + s.host() + "'s " + s.role() + " exited with status "
                        + s.process().exitValue());
            }
        }
    }

    /** Runs {@code command} in host i's namespace until its output passes {@code ready}, for up to {@code seconds}. */
    void awaitOutput(int host, List<String> command, Predicate<String> ready, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String last = "";
        while (System.nanoTime() < deadline) {
            assertAllRunning();
            last = BareMetalTest.run(new ProcessBuilder(net.in(host, command)).redirectErrorStream(true))
                    .output();
            if (ready.test(last)) return;
            Thread.sleep(500);
        }
        fail("host " + host + ": " + command + " not ready within " + seconds + " s; last output: " + last);
    }

    /** Runs {@code command} in host i's namespace; its exit status and output. */
    BareMetalTest.Run run(int host, List<String> command) throws Exception {
        return BareMetalTest.run(new ProcessBuilder(net.in(host, command)).redirectErrorStream(true));
    }

    /** The standard output alone of {@code command} in host i's namespace (the JVM's warnings go to stderr). */
    String stdout(int host, List<String> command, Map<String, String> env) throws Exception {
        Path out = Files.createTempFile(tmp, "stdout-", "");
        Path err = Files.createTempFile(tmp, "stderr-", "");
        try {
            ProcessBuilder pb = new ProcessBuilder(net.in(host, command))
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            pb.environment().putAll(env);
            Process p = pb.start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("still running: " + command);
            }
            assertEquals(0, p.exitValue(), command + ": " + Files.readString(err));
            return Files.readString(out, StandardCharsets.UTF_8);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** The last lines of every process's log, to explain a failure. */
    String logTails() {
        StringBuilder s = new StringBuilder();
        List<Path> logs;
        try (var files = Files.list(tmp)) {
            logs = files.filter(f -> f.getFileName().toString().endsWith(".log"))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            return "no logs: " + e.getMessage();
        }
        for (Path log : logs) {
            try {
                List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
                s.append("--- ").append(log.getFileName()).append('\n');
                lines.subList(Math.max(0, lines.size() - 12), lines.size())
                        .forEach(l -> s.append(l).append('\n'));
            } catch (IOException e) {
                s.append("--- ")
                        .append(log.getFileName())
                        .append(": ")
                        .append(e.getMessage())
                        .append('\n');
            }
        }
        return s.toString();
    }

    /** Stops every process, gateways and nodes before etcd (the reverse of the start order), then the network. */
    @Override
    public void close() {
        try {
            for (Service s : services.reversed()) s.process().destroy();
            for (Service s : services.reversed()) {
                try {
                    if (!s.process().waitFor(30, TimeUnit.SECONDS))
                        s.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    s.process().destroyForcibly();
                }
            }
            services.clear();
        } finally {
            net.close();
        }
    }

    // ---------------------------------------------------------------- setting the hosts up

    /** Unpacks the release package {@code archive} into {@code dir} (its bin/, lib/s...): an installation. */
    static Path unpack(Path archive, Path dir) throws Exception {
        Path opt = Files.createDirectories(dir);
        BareMetalTest.Run untar =
                BareMetalTest.run(opt, List.of("tar", "-xzf", archive.toString(), "--strip-components=1"));
        assertEquals(0, untar.status(), untar.output());
        return opt;
    }

    private void writeCredentials() throws IOException {
        String secret = HexFormat.of().formatHex(new SecureRandom().generateSeed(20));
        Path file = tmp.resolve("credentials");
        Files.writeString(file, "access-key=smoke-root\nsecret-key=" + secret + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
    }

    /**
     * Host i's directory: its certificate, and the example's config and etcd file pointed at it. The example is the
     * one of the package the cluster starts from (share/examples, deploy/bare-metal of its tree): an older release
     * refuses keys that only later examples have.
     */
    private Path setUpHost(int i) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("host-" + i));
        // as the README: the host's address only (each etcd member is checked against its own endpoint's host)
        String names = net.hostAddress(i) + (firstHostNamed ? "," + net.hostAddress(1) : "");
        basalt(
                "admin",
                "tls",
                "issue",
                "--ca",
                tmp.resolve("ca").toString(),
                "--out",
                tls(i).toString(),
                "--host",
                names);
        Map<String, String> paths = new LinkedHashMap<>();
        for (int h = 1; h <= HOSTS; h++) paths.put(EXAMPLE_ADDRESS + h, net.hostAddress(h));
        paths.put("/etc/etcd/tls", tls(i).toString());
        paths.put("/var/lib/etcd/default", dir.resolve("etcd").toString());
        paths.put("/etc/basalt/tls", tls(i).toString());
        paths.put("/etc/basalt/credentials", tmp.resolve("credentials").toString());
        paths.put("/etc/basalt/cluster.key", tmp.resolve("cluster.key").toString());
        paths.put("/var/lib/basalt", dir.resolve("data").toString());
        Path example = home.resolve("share/examples/host-" + i);
        Files.writeString(dir.resolve("etcd.env"), replace(Files.readString(example.resolve("etcd")), paths));
        Path config = dir.resolve("basalt.properties");
        Files.writeString(config, replace(Files.readString(example.resolve("basalt.properties")), paths));
        return config;
    }

    private void startEtcd(int i) throws IOException {
        start(
                i,
                "etcd",
                List.of("etcd"),
                BareMetalTest.environmentFile(tmp.resolve("host-" + i).resolve("etcd.env")));
    }

    private void start(int host, String role, List<String> command, Map<String, String> env) throws IOException {
        Path log = tmp.resolve("host-" + host + "-" + role + ".log");
        ProcessBuilder pb = new ProcessBuilder(net.in(host, command))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())); // a restart's lines follow
        pb.environment().keySet().removeIf(k -> k.startsWith("ETCD_") || k.startsWith("BASALT_"));
        pb.environment().putAll(env);
        services.add(new Service(host, role, pb.start(), log));
    }

    private Map<String, String> basaltEnvironment() {
        return Map.of(
                "JAVA_HOME", System.getProperty("java.home"),
                "BASALT_JAVA_OPTS", JAVA_OPTS,
                // never this machine's /etc/basalt/basalt.properties
                "BASALT_CONFIG", tmp.resolve("no-default-config").toString());
    }

    private static String replace(String text, Map<String, String> replacements) {
        for (Map.Entry<String, String> r : replacements.entrySet()) text = text.replace(r.getKey(), r.getValue());
        return text;
    }
}
