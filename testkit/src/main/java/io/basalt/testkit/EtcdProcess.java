package io.basalt.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/** A real etcd server on free loopback ports, a cluster of one or a member of {@link #startCluster}, for integration tests. */
public final class EtcdProcess implements AutoCloseable {
    private static final Logger log = LogManager.getLogger(EtcdProcess.class);
    private static final long STARTUP_TIMEOUT_MS = 20_000;

    private final Process process;
    private final int clientPort;
    private final int metricsPort;
    private final String scheme;
    private final Path dataDir;
    private final boolean deleteOnClose;

    private EtcdProcess(
            Process process, int clientPort, int metricsPort, String scheme, Path dataDir, boolean deleteOnClose) {
        this.process = process;
        this.clientPort = clientPort;
        this.metricsPort = metricsPort;
        this.scheme = scheme;
        this.dataDir = dataDir;
        this.deleteOnClose = deleteOnClose;
    }

    /** Starts etcd in a fresh temporary directory that is deleted on {@link #close()}. */
    public static EtcdProcess start() {
        try {
            return start(Files.createTempDirectory("basalt-etcd-"), true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create temp dir for etcd", e);
        }
    }

    /** Starts etcd keeping its data and log in {@code dataDir}. */
    public static EtcdProcess start(Path dataDir) {
        return start(dataDir, false, null);
    }

    /**
     * Starts etcd as a Basalt cluster runs it: TLS on its client and peer ports with the certificates in
     * {@code tlsDir} (ca.crt, tls.crt, tls.key, valid for 127.0.0.1), admitting only clients that present a
     * certificate of that CA. Its {@link #endpoint()} is https://.
     */
    public static EtcdProcess startWithTls(Path dataDir, Path tlsDir) {
        return start(dataDir, false, tlsDir);
    }

    private static EtcdProcess start(Path dataDir, boolean deleteOnClose) {
        return start(dataDir, deleteOnClose, null);
    }

    private static EtcdProcess start(Path dataDir, boolean deleteOnClose, Path tlsDir) {
        String scheme = tlsDir == null ? "http" : "https";
        int clientPort = FreePorts.allocate();
        int peerPort = FreePorts.allocate();
        EtcdProcess etcd = launch(
                "n1",
                dataDir,
                deleteOnClose,
                tlsDir,
                clientPort,
                peerPort,
                "n1=" + scheme + "://127.0.0.1:" + peerPort);
        etcd.awaitHealthyOrClose();
        return etcd;
    }

    /**
     * Starts a cluster of {@code size} members (plain HTTP), each in a fresh temporary directory deleted on
     * {@link #close()}: for tests of what a frozen or lost member does to its clients.
     */
    public static List<EtcdProcess> startCluster(int size) {
        int[] clientPorts = new int[size], peerPorts = new int[size];
        List<String> initial = new java.util.ArrayList<>();
        for (int i = 0; i < size; i++) {
            clientPorts[i] = FreePorts.allocate();
            peerPorts[i] = FreePorts.allocate();
            initial.add("m" + i + "=http://127.0.0.1:" + peerPorts[i]);
        }
        List<EtcdProcess> members = new java.util.ArrayList<>();
        try {
            // members start together: each waits for a quorum of its peers before it is healthy
            for (int i = 0; i < size; i++) {
                Path dir = Files.createTempDirectory("basalt-etcd-m" + i + "-");
                members.add(launch("m" + i, dir, true, null, clientPorts[i], peerPorts[i], String.join(",", initial)));
            }
            for (EtcdProcess m : members) m.awaitHealthy(m.dataDir.resolve("etcd.log"));
            return List.copyOf(members);
        } catch (IOException | RuntimeException e) {
            members.forEach(EtcdProcess::close);
            if (e instanceof IOException io) throw new UncheckedIOException("cannot start an etcd cluster", io);
            throw (RuntimeException) e;
        }
    }

    private static EtcdProcess launch(
            String name,
            Path dataDir,
            boolean deleteOnClose,
            Path tlsDir,
            int clientPort,
            int peerPort,
            String initialCluster) {
        Path binary = findBinary();
        int metricsPort = FreePorts.allocate();
        String scheme = tlsDir == null ? "http" : "https";
        String clientUrl = scheme + "://127.0.0.1:" + clientPort;
        String peerUrl = scheme + "://127.0.0.1:" + peerPort;
        try {
            Files.createDirectories(dataDir);
            Path logFile = dataDir.resolve("etcd.log");
            List<String> tls = tlsDir == null ? List.of() : tlsFlags(tlsDir);
            List<String> command = new java.util.ArrayList<>(List.of(
                    binary.toString(),
                    "--name",
                    name,
                    "--data-dir",
                    dataDir.toString(),
                    "--listen-client-urls",
                    clientUrl,
                    "--advertise-client-urls",
                    clientUrl,
                    "--listen-peer-urls",
                    peerUrl,
                    "--initial-advertise-peer-urls",
                    peerUrl,
                    "--initial-cluster",
                    initialCluster,
                    "--pre-vote=true", // a member back from a partition forces no election (as deploy/bare-metal)
                    // health (and metrics) on a plain port of its own: no data there, and no certificate needed
                    "--listen-metrics-urls",
                    "http://127.0.0.1:" + metricsPort));
            command.addAll(tls);
            ProcessBuilder builder =
                    new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(logFile.toFile());
            // A test JVM on a faked clock (libfaketime, see compat-tests) fakes only itself, not etcd.
            builder.environment().keySet().removeIf(n -> n.equals("LD_PRELOAD") || n.startsWith("FAKETIME"));
            Process process = builder.start();
            log.info("etcd {} starting at {} (log {})", name, clientUrl, logFile);
            return new EtcdProcess(process, clientPort, metricsPort, scheme, dataDir, deleteOnClose);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start etcd", e);
        }
    }

    private void awaitHealthyOrClose() {
        try {
            awaitHealthy(dataDir.resolve("etcd.log"));
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * etcd's flags for TLS on its client and peer ports with the certificates in {@code tlsDir} (ca.crt, tls.crt,
     * tls.key), admitting only clients and peers that present a certificate of that CA.
     */
    public static List<String> tlsFlags(Path tlsDir) {
        String cert = tlsDir.resolve("tls.crt").toString();
        String key = tlsDir.resolve("tls.key").toString();
        String ca = tlsDir.resolve("ca.crt").toString();
        return List.of(
                "--cert-file",
                cert,
                "--key-file",
                key,
                "--trusted-ca-file",
                ca,
                "--client-cert-auth",
                "--peer-cert-file",
                cert,
                "--peer-key-file",
                key,
                "--peer-trusted-ca-file",
                ca,
                "--peer-client-cert-auth");
    }

    /** The plain-HTTP port of etcd's /health and /metrics (no data, no certificate needed). */
    public int metricsPort() {
        return metricsPort;
    }

    /** The etcd process's id. */
    public long pid() {
        return process.pid();
    }

    /**
     * Stops the process (SIGSTOP) with its connections left open and silent, as a frozen or cut-off host leaves
     * them: calls to it neither fail nor answer until {@link #resume()}.
     */
    public void freeze() {
        signal("STOP");
    }

    /** Lets a {@link #freeze() frozen} process run again (SIGCONT). */
    public void resume() {
        signal("CONT");
    }

    private void signal(String sig) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + sig, Long.toString(process.pid())).start();
            if (kill.waitFor() != 0) throw new IllegalStateException("kill -" + sig + " " + process.pid() + " failed");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Where this member writes its log (gone after {@link #close()} when its directory was temporary). */
    public Path logFile() {
        return dataDir.resolve("etcd.log");
    }

    public String endpoint() {
        return scheme + "://127.0.0.1:" + clientPort;
    }

    private static Path findBinary() {
        String path = System.getenv().getOrDefault("PATH", "");
        Stream<Path> candidates = Stream.concat(
                Stream.of(path.split(java.io.File.pathSeparator))
                        .filter(s -> !s.isEmpty())
                        .map(dir -> Path.of(dir, "etcd")),
                Stream.of(Path.of("/usr/bin/etcd")));
        return candidates
                .filter(Files::isExecutable)
                .findFirst()
                .orElseThrow(
                        () -> new IllegalStateException(
                                "etcd binary not found on PATH or at /usr/bin/etcd; install etcd 3.4+ to run integration tests"));
    }

    private void awaitHealthy(Path logFile) {
        long deadline = System.currentTimeMillis() + STARTUP_TIMEOUT_MS;
        while (System.currentTimeMillis() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("etcd exited with code " + process.exitValue() + "; see " + logFile);
            }
            if (portAccepts() && healthy()) {
                return;
            }
            sleep(100);
        }
        throw new IllegalStateException("etcd not healthy at " + endpoint() + " within 20 s; see " + logFile);
    }

    private boolean portAccepts() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", clientPort), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private boolean healthy() {
        try {
            HttpURLConnection conn = (HttpURLConnection) URI.create("http://127.0.0.1:" + metricsPort + "/health")
                    .toURL()
                    .openConnection();
            conn.setConnectTimeout(1000);
            conn.setReadTimeout(1000);
            try (InputStream in = conn.getInputStream()) {
                String body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                return conn.getResponseCode() == 200 && body.contains("\"health\":\"true\"");
            } finally {
                conn.disconnect();
            }
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        if (deleteOnClose) {
            deleteTree(dataDir);
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            log.warn("cannot delete etcd dir {}: {}", root, e.toString());
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for etcd", e);
        }
    }
}
