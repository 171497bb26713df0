package io.basalt.deploy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.basalt.coordinator.admin.ClusterStatus;
import io.basalt.core.config.HostConfig;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guide's three hosts, for real: three network namespaces on a private bridge (10.77.1.2, .2.2, .3.2), each
 * running what the example's host config and etcd file say (an etcd member with TLS, a storage node, a gateway,
 * coordinators on two), every process started from the release package ({@code ./basalt package}) by its
 * launcher with the host's config file, and per-host certificates issued as the README says. Then an S3 PUT
 * through each gateway read back through another host's gateway, and {@code basalt admin status} from a host.
 * Skipped, saying why, without root, iproute2 namespaces, etcd or the aws CLI.
 */
class MultiHostSmokeTest {

    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final int HOSTS = 3;
    static final String EXAMPLE_ADDRESS = "10.0.0.1"; // the example's hosts are 10.0.0.11 .. 10.0.0.13
    static final String JAVA_OPTS = "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xmx160m -XX:+ExitOnOutOfMemoryError";

    @TempDir
    Path tmp;

    private final List<Process> started = new ArrayList<>();
    private final List<Path> logs = new ArrayList<>();

    @Test
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void everyGatewayServesS3AcrossThreeHostsStartedFromTheReleasePackage() throws Exception {
        String why = PrivateNetwork.unavailable();
        Assumptions.assumeTrue(why == null, () -> "multi-host smoke test skipped: " + why);
        for (String command : List.of("etcd", "aws", "curl", "tar")) {
            Assumptions.assumeTrue(
                    BareMetalTest.onPath(command), "multi-host smoke test skipped: no " + command + " on PATH");
        }
        Path home = unpackReleasePackage();
        Path credentials = credentials();
        Path ca = tmp.resolve("ca");
        basalt(home, "admin", "tls", "create-ca", "--dir", ca.toString());
        basalt(
                home,
                "admin",
                "key",
                "cluster-key",
                "--out",
                tmp.resolve("cluster.key").toString());

        try (PrivateNetwork net = PrivateNetwork.create(HOSTS)) {
            try {
                List<Path> configs = new ArrayList<>();
                for (int i = 1; i <= HOSTS; i++) configs.add(setUpHost(home, ca, i));
                for (int i = 1; i <= HOSTS; i++) startEtcd(net, i);
                for (int i = 1; i <= HOSTS; i++) {
                    String health = "http://" + PrivateNetwork.address(i) + ":2381/health";
                    awaitOutput(net, i, List.of("curl", "-s", health), out -> out.contains("\"health\":\"true\""), 60);
                }
                // jetcd dials every member under the first endpoint's name: each must answer to it, with TLS
                String first = PrivateNetwork.address(1) + ":2379";
                for (int i = 1; i <= HOSTS; i++) {
                    Path tls = tmp.resolve("host-" + i).resolve("tls");
                    String member = PrivateNetwork.address(i) + ":2379";
                    awaitOutput(
                            net,
                            i % HOSTS + 1,
                            List.of(
                                    "curl",
                                    "-s",
                                    "--cacert",
                                    tls.resolve("ca.crt").toString(),
                                    "--cert",
                                    tls.resolve("tls.crt").toString(),
                                    "--key",
                                    tls.resolve("tls.key").toString(),
                                    "--connect-to",
                                    first + ":" + member,
                                    "https://" + first + "/health"),
                            out -> out.contains("\"health\":\"true\""),
                            30);
                }
                for (int i = 1; i <= HOSTS; i++) {
                    for (String role : HostConfig.load(configs.get(i - 1)).roles()) {
                        start(
                                net,
                                i,
                                role,
                                List.of(
                                        home.resolve("bin/basalt").toString(),
                                        role,
                                        "--config",
                                        configs.get(i - 1).toString()),
                                basaltEnvironment());
                    }
                }
                for (int i = 1; i <= HOSTS; i++) {
                    String ready = "http://" + PrivateNetwork.address(i) + ":9000/minio/health/ready";
                    awaitOutput(net, i, List.of("curl", "-s", ready), out -> out.contains("nodes=" + HOSTS), 180);
                }

                Map<String, String> aws = awsEnvironment(credentials);
                s3(net, 1, 1, aws, "s3", "mb", "s3://smoke");
                for (int g = 1; g <= HOSTS; g++) {
                    int other = g % HOSTS + 1;
                    Path object = Files.write(tmp.resolve("object-" + g), bytes(700_000 + g));
                    // written through gateway g from another host, read through the next host's gateway
                    s3(net, other, g, aws, "s3", "cp", object.toString(), "s3://smoke/object-" + g);
                    Path back = tmp.resolve("back-" + g);
                    s3(net, g, other, aws, "s3", "cp", "s3://smoke/object-" + g, back.toString());
                    assertArrayEquals(Files.readAllBytes(object), Files.readAllBytes(back), "object-" + g);
                }

                ClusterStatus status = ClusterStatus.fromJson(stdout(
                        net,
                        HOSTS,
                        List.of(
                                home.resolve("bin/basalt").toString(),
                                "admin",
                                "status",
                                "--json",
                                "--config",
                                configs.get(HOSTS - 1).toString()),
                        basaltEnvironment()));
                assertEquals(HOSTS, status.nodes().size(), status.toString());
                for (ClusterStatus.Node n : status.nodes()) {
                    assertEquals(ClusterStatus.Node.LIVE, n.state(), n.toString());
                    assertTrue(n.address().startsWith("10.77."), "registered at its host's address: " + n);
                    assertTrue(n.shards() > 0, "2+1 puts a shard of every object on every host: " + n);
                }
                assertTrue(List.of("coordinator-1", "coordinator-2").contains(status.leader()), status.leader());
            } catch (AssertionError | Exception e) {
                throw new AssertionError(e.getMessage() + "\n" + logTails(), e);
            } finally {
                stopAll();
            }
        }
    }

    @AfterEach
    void stopAll() {
        // gateways and nodes before etcd, which went first: the reverse of the start order
        for (Process p : started.reversed()) p.destroy();
        for (Process p : started.reversed()) {
            try {
                if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
        started.clear();
    }

    // ---------------------------------------------------------------- the hosts

    /** Builds the release package from the modules' jars (built before this module) and unpacks it. */
    private Path unpackReleasePackage() throws Exception {
        Path archive = ReleasePackageTest.pack(tmp.resolve("dist"));
        Path opt = Files.createDirectories(tmp.resolve("opt"));
        BareMetalTest.Run untar =
                BareMetalTest.run(opt, List.of("tar", "-xzf", archive.toString(), "--strip-components=1"));
        assertEquals(0, untar.status(), untar.output());
        return opt;
    }

    private Path credentials() throws IOException {
        String secret = HexFormat.of().formatHex(new SecureRandom().generateSeed(20));
        Path file = tmp.resolve("credentials");
        Files.writeString(file, "access-key=smoke-root\nsecret-key=" + secret + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
        return file;
    }

    /** Host i's directory: its certificate, and the example's config and etcd file pointed at it. */
    private Path setUpHost(Path home, Path ca, int i) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("host-" + i));
        // as the README: the host's address, and the first etcd endpoint's host, which jetcd checks every member by
        basalt(
                home,
                "admin",
                "tls",
                "issue",
                "--ca",
                ca.toString(),
                "--out",
                dir.resolve("tls").toString(),
                "--host",
                PrivateNetwork.address(i) + "," + PrivateNetwork.address(1));
        Map<String, String> paths = new LinkedHashMap<>();
        for (int h = 1; h <= HOSTS; h++) paths.put(EXAMPLE_ADDRESS + h, PrivateNetwork.address(h));
        paths.put("/etc/etcd/tls", dir.resolve("tls").toString());
        paths.put("/var/lib/etcd/default", dir.resolve("etcd").toString());
        paths.put("/etc/basalt/tls", dir.resolve("tls").toString());
        paths.put("/etc/basalt/credentials", tmp.resolve("credentials").toString());
        paths.put("/etc/basalt/cluster.key", tmp.resolve("cluster.key").toString());
        paths.put("/var/lib/basalt", dir.resolve("data").toString());
        Path example = BareMetalTest.EXAMPLES.resolve("host-" + i);
        Files.writeString(dir.resolve("etcd.env"), replace(Files.readString(example.resolve("etcd")), paths));
        Path config = dir.resolve("basalt.properties");
        Files.writeString(config, replace(Files.readString(example.resolve("basalt.properties")), paths));
        return config;
    }

    private void startEtcd(PrivateNetwork net, int i) throws IOException {
        Map<String, String> env =
                BareMetalTest.environmentFile(tmp.resolve("host-" + i).resolve("etcd.env"));
        start(net, i, "etcd", List.of("etcd"), env);
    }

    private void start(PrivateNetwork net, int host, String name, List<String> command, Map<String, String> env)
            throws IOException {
        Path log = tmp.resolve("host-" + host + "-" + name + ".log");
        ProcessBuilder pb = new ProcessBuilder(net.in(host, command))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("ETCD_") || k.startsWith("BASALT_"));
        pb.environment().putAll(env);
        started.add(pb.start());
        logs.add(log);
    }

    private Map<String, String> basaltEnvironment() {
        return Map.of(
                "JAVA_HOME", System.getProperty("java.home"),
                "BASALT_JAVA_OPTS", JAVA_OPTS,
                // never this machine's /etc/basalt/basalt.properties
                "BASALT_CONFIG", tmp.resolve("no-default-config").toString());
    }

    private Map<String, String> awsEnvironment(Path credentials) {
        Map<String, String> keys = io.basalt.core.config.PropertiesFile.read(credentials);
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

    /** The aws CLI in host {@code from}'s namespace against host {@code gateway}'s gateway. */
    private void s3(PrivateNetwork net, int from, int gateway, Map<String, String> env, String... args)
            throws Exception {
        List<String> command = new ArrayList<>(
                List.of("aws", "--endpoint-url", "http://" + PrivateNetwork.address(gateway) + ":9000"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(net.in(from, command)).redirectErrorStream(true);
        pb.environment().putAll(env);
        BareMetalTest.Run r = BareMetalTest.run(pb);
        assertEquals(0, r.status(), "aws " + String.join(" ", args) + " via gateway " + gateway + ": " + r.output());
    }

    // ---------------------------------------------------------------- helpers

    private void basalt(Path home, String... args) throws Exception {
        List<String> command =
                new ArrayList<>(List.of(home.resolve("bin/basalt").toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(basaltEnvironment());
        BareMetalTest.Run r = BareMetalTest.run(pb);
        assertEquals(0, r.status(), "basalt " + String.join(" ", args) + ": " + r.output());
    }

    /** Runs {@code command} in host i's namespace until its output passes {@code ready}, for up to {@code seconds}. */
    private void awaitOutput(PrivateNetwork net, int host, List<String> command, Predicate<String> ready, int seconds)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String last = "";
        while (System.nanoTime() < deadline) {
            for (Process p : started) {
                if (!p.isAlive()) fail("a process exited (status " + p.exitValue() + ") while waiting for " + command);
            }
            last = BareMetalTest.run(new ProcessBuilder(net.in(host, command)).redirectErrorStream(true))
                    .output();
            if (ready.test(last)) return;
            Thread.sleep(500);
        }
        fail("host " + host + ": " + command + " not ready within " + seconds + " s; last output: " + last);
    }

    /** The standard output alone of {@code command} in host i's namespace (the JVM's warnings go to stderr). */
    private String stdout(PrivateNetwork net, int host, List<String> command, Map<String, String> env)
            throws Exception {
        Path out = tmp.resolve("stdout-" + System.nanoTime());
        Path err = tmp.resolve("stderr-" + System.nanoTime());
        ProcessBuilder pb = new ProcessBuilder(net.in(host, command))
                .redirectOutput(out.toFile())
                .redirectError(err.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "still running: " + command);
        assertEquals(0, p.exitValue(), command + ": " + Files.readString(err));
        return Files.readString(out, StandardCharsets.UTF_8);
    }

    private static String replace(String text, Map<String, String> replacements) {
        for (Map.Entry<String, String> r : replacements.entrySet()) text = text.replace(r.getKey(), r.getValue());
        return text;
    }

    private static byte[] bytes(int size) {
        byte[] b = new byte[size];
        new SecureRandom().nextBytes(b);
        return b;
    }

    private String logTails() {
        StringBuilder s = new StringBuilder();
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
}
