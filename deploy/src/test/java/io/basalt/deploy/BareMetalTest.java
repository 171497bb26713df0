package io.basalt.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.coordinator.CoordinatorMain;
import io.basalt.core.config.HostConfig;
import io.basalt.core.config.PropertiesFile;
import io.basalt.core.config.ServiceArgs;
import io.basalt.gateway.GatewayConfig;
import io.basalt.gateway.GatewayMain;
import io.basalt.storage.StorageNodeConfig;
import io.basalt.storage.StorageNodeMain;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bare-metal deployment as shipped in the release package: the systemd units (deploy/systemd), the example
 * host configs and etcd settings (deploy/bare-metal), read by the same code that reads them on a host.
 */
class BareMetalTest {

    static final Path UNITS = Path.of("systemd");
    static final Path EXAMPLES = Path.of("bare-metal");
    static final Path LAUNCHER = Path.of("docker", "basalt");
    static final List<String> ROLES = HostConfig.ROLES;

    static List<Path> hosts() throws IOException {
        try (Stream<Path> dirs = Files.list(EXAMPLES)) {
            return dirs.filter(d -> d.getFileName().toString().startsWith("host-"))
                    .sorted()
                    .toList();
        }
    }

    @Test
    void systemdAcceptsEveryUnit(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(
                onPath("systemd-analyze"), "systemd-analyze is not installed: the Java checks below run");
        // verify wants ExecStart's program to exist: point the copies at the launcher in the repository
        List<String> command = new ArrayList<>(List.of("systemd-analyze", "verify"));
        for (String role : ROLES) {
            String unit = Files.readString(unit(role))
                    .replace("/opt/basalt/bin/basalt", LAUNCHER.toAbsolutePath().toString());
            command.add(Files.writeString(tmp.resolve("basalt-" + role + ".service"), unit)
                    .toString());
        }
        Run r = run(tmp, command);
        assertEquals(0, r.status(), r.output());
        assertEquals("", r.output(), "systemd-analyze warns of nothing (an unknown key is only a warning)");
    }

    @Test
    void everyRoleHasAHardenedUnitThatRunsItFromItsHostConfig() throws IOException {
        for (String role : ROLES) {
            Map<String, List<String>> s = unitSection(unit(role), "Service");
            String name = "basalt-" + role + ".service";
            assertEquals(
                    List.of("/opt/basalt/bin/basalt " + role + " --config /etc/basalt/basalt.properties"),
                    s.get("ExecStart"),
                    name);
            assertEquals(List.of("basalt"), s.get("User"), name);
            assertEquals(List.of("on-failure"), s.get("Restart"), name);
            assertEquals(List.of("2"), s.get("RestartPreventExitStatus"), name + ": a refused config is not retried");
            assertEquals(List.of("143"), s.get("SuccessExitStatus"), name + ": the JVM's exit on SIGTERM");
            assertTrue(Integer.parseInt(s.get("LimitNOFILE").getFirst()) >= 65536, name);
            for (String hardening : List.of(
                    "NoNewPrivileges", "ProtectHome", "PrivateTmp", "PrivateDevices", "ProtectKernelTunables")) {
                assertEquals(List.of("yes"), s.get(hardening), name + " " + hardening);
            }
            assertEquals(List.of("strict"), s.get("ProtectSystem"), name);
            assertEquals(List.of(""), s.get("CapabilityBoundingSet"), name + ": no capability");
            assertEquals(
                    List.of("multi-user.target"),
                    unitSection(unit(role), "Install").get("WantedBy"),
                    name);
        }
        assertEquals(null, unitSection(unit("gateway"), "Service").get("ReadWritePaths"), "a gateway writes nothing");
        assertEquals(
                List.of("10"),
                unitSection(unit("coordinator"), "Service").get("Nice"),
                "heal and scrub yield the CPU to the foreground");
        assertEquals(null, unitSection(unit("storage-node"), "Service").get("Nice"), "a node serves the foreground");
    }

    @Test
    void theExampleHostConfigsStartEveryRoleTheyName(@TempDir Path tmp) throws IOException {
        Path credentials = Files.copy(EXAMPLES.resolve("credentials.example"), tmp.resolve("credentials"));
        Files.setPosixFilePermissions(credentials, PosixFilePermissions.fromString("rw-r-----"));
        List<String> readWrite = unitSection(unit("storage-node"), "Service").get("ReadWritePaths");
        Set<String> nodeIds = new TreeSet<>();
        List<Path> hosts = hosts();
        assertEquals(3, hosts.size(), "the guide's three hosts");
        for (Path host : hosts) {
            Path file = host.resolve("basalt.properties");
            HostConfig config = HostConfig.load(file);
            assertEquals(Set.of("etcd", "cluster-tls"), config.shared().keySet(), file.toString());
            for (String role : config.roles()) {
                String[] args = {"--config", file.toString()};
                switch (role) {
                    case "gateway" -> {
                        // the example's credentials file, where /etc/basalt/credentials would be on the host
                        GatewayConfig g = ServiceArgs.parse(
                                GatewayMain.FLAGS,
                                new String[] {"--config", file.toString(), "--credentials", credentials.toString()},
                                a -> GatewayMain.config(a, Map.<String, String>of()::get));
                        assertEquals("0.0.0.0", g.host());
                        assertEquals(9000, g.port());
                        assertEquals(2, g.dataShards(), file + ": the example is 2+1");
                        assertTrue(
                                g.dataShards() + g.parityShards() <= hosts.size(),
                                file + ": k+m fits the example's storage nodes");
                    }
                    case "storage-node" -> {
                        StorageNodeConfig n = ServiceArgs.parse(StorageNodeMain.FLAGS, args, StorageNodeMain::parse);
                        assertTrue(nodeIds.add(n.nodeId()), "node ids differ across hosts: " + n.nodeId());
                        assertEquals(Path.of("/etc/basalt/tls"), n.clusterTls(), file + ": TLS inside the cluster");
                        for (Path dir : n.dataDirs()) {
                            assertTrue(
                                    readWrite.stream().anyMatch(rw -> dir.startsWith(rw)),
                                    dir + " of " + file + " is writable under the unit's ReadWritePaths " + readWrite);
                        }
                        assertEquals(
                                host(config.keys().get("storage-node.advertise")), etcdHost(host), file.toString());
                        // fixed, so the hosts' firewalls can admit the gateways' and coordinators' shard reads
                        assertEquals(9101, n.dataPort(), file + ": the data port");
                        assertEquals(host(n.advertise()) + ":" + n.dataPort(), n.advertiseData(), file.toString());
                    }
                    case "coordinator" ->
                        assertFalse(ServiceArgs.parse(CoordinatorMain.FLAGS, args, CoordinatorMain::parse)
                                .id()
                                .isBlank());
                    default -> throw new AssertionError(role);
                }
            }
        }
        long coordinators = hosts.stream()
                .filter(h ->
                        HostConfig.load(h.resolve("basalt.properties")).roles().contains("coordinator"))
                .count();
        assertTrue(coordinators >= 2, "a second coordinator takes over when the leader's host goes");
    }

    @Test
    void theEtcdRecipeIsOneClusterOfTheHostsBasaltDials() throws Exception {
        List<Path> hosts = hosts();
        Set<String> etcdFlags = etcdFlags();
        String initialCluster = null;
        for (Path host : hosts) {
            Map<String, String> env = environmentFile(host.resolve("etcd"));
            for (String variable : env.keySet()) {
                assertTrue(variable.startsWith("ETCD_"), variable);
                String flag = variable.substring("ETCD_".length())
                        .toLowerCase(java.util.Locale.ROOT)
                        .replace('_', '-');
                if (etcdFlags != null) assertTrue(etcdFlags.contains(flag), variable + ": etcd has no --" + flag);
            }
            String ip = etcdHost(host);
            String name = env.get("ETCD_NAME");
            if (initialCluster == null) initialCluster = env.get("ETCD_INITIAL_CLUSTER");
            assertEquals(
                    initialCluster, env.get("ETCD_INITIAL_CLUSTER"), host + ": every member starts the same cluster");
            assertTrue(initialCluster.contains(name + "=https://" + ip + ":2380"), host + " is in " + initialCluster);
            assertEquals("https://" + ip + ":2380", env.get("ETCD_INITIAL_ADVERTISE_PEER_URLS"), host.toString());
            assertEquals("true", env.get("ETCD_CLIENT_CERT_AUTH"), host + ": only clients of the cluster CA");
            assertEquals("true", env.get("ETCD_PEER_CLIENT_CERT_AUTH"), host + ": only peers of the cluster CA");
            assertEquals("true", env.get("ETCD_PRE_VOTE"), host + ": a member back from a cut-off forces no election");
            // every Basalt host dials this member
            for (Path other : hosts) {
                String etcd = HostConfig.load(other.resolve("basalt.properties"))
                        .shared()
                        .get("etcd");
                assertTrue(
                        List.of(etcd.split(",")).contains(env.get("ETCD_ADVERTISE_CLIENT_URLS")), other + ": " + etcd);
            }
        }
        assertEquals(hosts.size(), initialCluster.split(",").length, initialCluster);
    }

    @Test
    void theLauncherListsTheUnitsOfTheRolesAHostRuns() throws Exception {
        Assumptions.assumeTrue(onPath("sh"), "no sh");
        for (Path host : hosts()) {
            Path file = host.resolve("basalt.properties");
            Run r = run(Path.of("."), List.of("sh", LAUNCHER.toString(), "units", "--config", file.toString()));
            assertEquals(0, r.status(), r.output());
            List<String> expected = HostConfig.load(file).roles().stream()
                    .map(role -> "basalt-" + role + ".service")
                    .toList();
            assertEquals(expected, r.output().lines().toList(), file.toString());
            for (String unit : expected) assertTrue(Files.isRegularFile(UNITS.resolve(unit)), unit);
        }
    }

    @Test
    void theLauncherRefusesAJavaOlderThan21AndSaysSo() throws Exception {
        Path java17 = Path.of("/usr/lib/jvm/java-17-openjdk-amd64");
        Assumptions.assumeTrue(Files.isExecutable(java17.resolve("bin/java")), "no JDK 17 here to try");
        ProcessBuilder pb = new ProcessBuilder("sh", LAUNCHER.toString(), "admin", "status").redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", java17.toString());
        pb.environment().put("BASALT_HOME", Path.of("").toAbsolutePath().toString());
        Run r = run(pb);
        assertEquals(2, r.status(), r.output());
        assertTrue(r.output().contains("is Java 17; Basalt needs 21 or newer"), r.output());
    }

    // ---------------------------------------------------------------- helpers

    static Path unit(String role) {
        return UNITS.resolve("basalt-" + role + ".service");
    }

    /** A section of a unit file: key -> values in order (a key may repeat). */
    static Map<String, List<String>> unitSection(Path unit, String section) throws IOException {
        Map<String, List<String>> keys = new LinkedHashMap<>();
        String current = null;
        for (String line : Files.readAllLines(unit, StandardCharsets.UTF_8)) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#") || l.startsWith(";")) continue;
            if (l.startsWith("[")) {
                current = l.substring(1, l.length() - 1);
                continue;
            }
            if (!section.equals(current)) continue;
            int eq = l.indexOf('=');
            keys.computeIfAbsent(l.substring(0, eq), k -> new ArrayList<>()).add(l.substring(eq + 1));
        }
        return keys;
    }

    /** An EnvironmentFile as systemd reads the example's: NAME="value" lines. */
    static Map<String, String> environmentFile(Path file) throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        PropertiesFile.parse(Files.readString(file), file.toString()).forEach((k, v) -> {
            assertTrue(v.startsWith("\"") && v.endsWith("\""), file + ": " + k + " is quoted");
            env.put(k, v.substring(1, v.length() - 1));
        });
        return env;
    }

    /** The address of the host's etcd member (its client URL's host). */
    static String etcdHost(Path host) throws IOException {
        return URI.create(environmentFile(host.resolve("etcd")).get("ETCD_ADVERTISE_CLIENT_URLS"))
                .getHost();
    }

    static String host(String hostPort) {
        return hostPort.substring(0, hostPort.lastIndexOf(':'));
    }

    /** The flags the installed etcd takes (`etcd --help`), null when etcd is not installed. */
    static Set<String> etcdFlags() throws Exception {
        if (!onPath("etcd")) return null;
        Run r = run(Path.of("."), List.of("etcd", "--help"));
        Set<String> flags = new TreeSet<>();
        var m = java.util.regex.Pattern.compile("^\\s+--([a-z0-9-]+)", java.util.regex.Pattern.MULTILINE)
                .matcher(r.output());
        while (m.find()) flags.add(m.group(1));
        assertTrue(flags.contains("initial-cluster"), "etcd --help lists its flags: " + r.output());
        return flags;
    }

    static boolean onPath(String command) {
        String path = System.getenv().getOrDefault("PATH", "");
        return Stream.of(path.split(":")).anyMatch(d -> Files.isExecutable(Path.of(d, command)));
    }

    record Run(int status, String output) {}

    static Run run(Path dir, List<String> command) throws Exception {
        return run(new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true));
    }

    static Run run(ProcessBuilder pb) throws Exception {
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "still running: " + pb.command());
        return new Run(p.exitValue(), out);
    }
}
