package io.basalt.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedWriter;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;

/**
 * An S3 client workload (AWS SDK for Java v2) run as a process inside a host's namespace, since the test's JVM
 * cannot reach the namespaces' addresses.
 *
 * <p>{@code write DIR BUCKET ENDPOINT...}: until {@code DIR/stop} exists, PUTs objects alternately small (1 B to
 * 64 KiB, stored as copies) and about 1 MB (erasure coded), each followed by a GET of an object acknowledged
 * before, round robin over the gateways. Every acknowledged PUT (200 and the MD5 as ETag) is a line {@code key md5}
 * of {@code DIR/acked}. A request that fails is retried through the next gateway for up to {@link #PATIENCE};
 * one that still fails is given up. Every failure is a line of {@code DIR/events}; the counts go to
 * {@code DIR/summary} at the end.
 *
 * <p>{@code verify DIR BUCKET ENDPOINT...}: reads every acknowledged object through each gateway and compares
 * its MD5; exits 1 when any is missing or differs.
 */
final class S3Workload {

    static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final int SMALL = 64 * 1024;
    private static final int LARGE = 1_000_000;

    private final String bucket;
    private final List<S3Client> gateways = new ArrayList<>();
    private final long[] coolUntil; // per gateway, epoch ms
    private final Map<String, Integer> errors = new TreeMap<>();
    private final BufferedWriter events;
    private final SplittableRandom random = new SplittableRandom();
    private int next;

    private S3Workload(String bucket, List<String> endpoints, Path eventsFile) throws IOException {
        this.bucket = bucket;
        for (String e : endpoints) gateways.add(client(e));
        this.coolUntil = new long[endpoints.size()];
        this.events = Files.newBufferedWriter(eventsFile, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Path dir = Path.of(args[1]);
        String bucket = args[2];
        List<String> endpoints = List.of(args).subList(3, args.length);
        S3Workload w = new S3Workload(bucket, endpoints, dir.resolve("events"));
        int status = switch (mode) {
            case "write" -> w.write(dir);
            case "verify" -> w.verify(dir);
            default -> throw new IllegalArgumentException(mode);
        };
        w.events.close();
        System.exit(status);
    }

    private static S3Client client(String endpoint) {
        return S3Client.builder()
                .endpointOverride(URI.create(endpoint))
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(
                        System.getenv("AWS_ACCESS_KEY_ID"), System.getenv("AWS_SECRET_ACCESS_KEY"))))
                .serviceConfiguration(
                        S3Configuration.builder().pathStyleAccessEnabled(true).build())
                // short timeouts: a cut host must cost seconds, not minutes; retries are ours, through other gateways.
                // The call's timeout is what ends a body sent into a cut host's connection (a socket timeout bounds
                // reads only), so it is kept near the read's: a third of the patience, as the retries need.
                .httpClientBuilder(ApacheHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(2))
                        .socketTimeout(Duration.ofSeconds(10)))
                .overrideConfiguration(
                        c -> c.apiCallTimeout(Duration.ofSeconds(12)).retryStrategy(r -> r.maxAttempts(1)))
                .build();
    }

    // ---------------------------------------------------------------- write

    private int write(Path dir) throws IOException {
        Map<String, String> acked = new LinkedHashMap<>();
        List<String> keys = new ArrayList<>();
        long reads = 0, gaveUp = 0, corrupt = 0;
        try (BufferedWriter ackLog =
                Files.newBufferedWriter(dir.resolve("acked"), StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            for (int seq = 0; !Files.exists(dir.resolve("stop")); seq++) {
                String key = String.format(java.util.Locale.ROOT, "obj-%06d", seq);
                byte[] body = new byte[seq % 2 == 0 ? 1 + random.nextInt(SMALL) : LARGE + random.nextInt(50_000)];
                random.nextBytes(body);
                String md5 = md5(body);
                String etag = attempt(
                        "put " + key,
                        g -> gateways.get(g)
                                .putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(body))
                                .eTag());
                if (etag == null) {
                    gaveUp++;
                } else if (!etag.replace("\"", "").equals(md5)) {
                    corrupt++;
                    event("workload", "put " + key + " acknowledged with ETag " + etag + ", not the MD5 " + md5);
                } else {
                    acked.put(key, md5);
                    keys.add(key);
                    ackLog.write(key + " " + md5 + "\n");
                    ackLog.flush();
                }
                if (keys.isEmpty()) continue;
                String old = keys.get(random.nextInt(keys.size()));
                String read = attempt(
                        "get " + old,
                        g -> md5(gateways.get(g)
                                .getObjectAsBytes(b -> b.bucket(bucket).key(old))
                                .asByteArray()));
                reads++;
                if (read == null) {
                    gaveUp++;
                } else if (!read.equals(acked.get(old))) {
                    corrupt++;
                    event("workload", "get " + old + " read MD5 " + read + ", acknowledged " + acked.get(old));
                }
            }
        }
        Properties summary = new Properties();
        summary.setProperty("acked", Integer.toString(acked.size()));
        summary.setProperty("reads", Long.toString(reads));
        summary.setProperty("gave-up", Long.toString(gaveUp));
        summary.setProperty("corrupt", Long.toString(corrupt));
        errors.forEach((g, n) -> summary.setProperty("errors." + g, Integer.toString(n)));
        try (var out = Files.newBufferedWriter(dir.resolve("summary"))) {
            summary.store(out, null);
        }
        return 0;
    }

    private interface Call {
        String on(int gateway) throws Exception;
    }

    /**
     * Runs {@code call} through the next gateway, then the following ones while it fails, for {@link #PATIENCE};
     * a gateway that just failed is passed over for 3 s while another is not. Null when it never succeeded.
     */
    private String attempt(String what, Call call) throws IOException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        int g = next++ % gateways.size();
        while (true) {
            for (int i = 0; i < gateways.size() && System.currentTimeMillis() < coolUntil[g]; i++)
                g = (g + 1) % gateways.size();
            try {
                return call.on(g);
            } catch (Exception e) {
                errors.merge("gateway-" + (g + 1), 1, Integer::sum);
                event("gateway-" + (g + 1), what + ": " + e);
                coolUntil[g] = System.currentTimeMillis() + 3000;
            }
            if (System.nanoTime() > deadline) {
                event("workload", what + ": given up after " + PATIENCE.toSeconds() + " s");
                return null;
            }
            g = (g + 1) % gateways.size();
            sleep(200);
        }
    }

    private void event(String who, String text) throws IOException {
        events.write(System.currentTimeMillis() + " " + who + " " + text.replace('\n', ' ') + "\n");
        events.flush();
    }

    // ---------------------------------------------------------------- verify

    private int verify(Path dir) throws IOException {
        Map<String, String> acked = acked(dir);
        int problems = 0;
        for (int g = 0; g < gateways.size(); g++) {
            int ok = 0;
            for (Map.Entry<String, String> e : acked.entrySet()) {
                String read = read(g, e.getKey());
                if (e.getValue().equals(read)) {
                    ok++;
                } else if (problems++ < 10) {
                    System.out.println("gateway-" + (g + 1) + " " + e.getKey() + ": acknowledged " + e.getValue()
                            + ", read " + read);
                }
            }
            System.out.println("gateway-" + (g + 1) + ": " + ok + " of " + acked.size() + " byte-exact");
        }
        return problems == 0 ? 0 : 1;
    }

    /** The MD5 of the object read through gateway g (three tries: a read needs no failover here), else why not. */
    private String read(int g, String key) {
        String why = null;
        for (int i = 0; i < 3; i++) {
            try {
                return md5(gateways.get(g)
                        .getObjectAsBytes(b -> b.bucket(bucket).key(key))
                        .asByteArray());
            } catch (Exception e) {
                why = e.toString();
                sleep(1000);
            }
        }
        return "unreadable: " + why;
    }

    // ---------------------------------------------------------------- for the test

    /** The acknowledged objects: key -> MD5. */
    static Map<String, String> acked(Path dir) throws IOException {
        Map<String, String> acked = new LinkedHashMap<>();
        Path file = dir.resolve("acked");
        if (!Files.exists(file)) return acked;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String[] f = line.split(" ");
            if (f.length == 2) acked.put(f[0], f[1]); // a line cut short by a crash is not an ack
        }
        return acked;
    }

    /** The command that runs this class in a JVM of its own with the test's classpath. */
    static List<String> command(String mode, Path dir, String bucket, List<String> endpoints) {
        List<String> c = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-Xmx256m",
                "-cp",
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                S3Workload.class.getName(),
                mode,
                dir.toString(),
                bucket));
        c.addAll(endpoints);
        return c;
    }

    private static String md5(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------- a running write workload, as the test sees it

    /** A write workload running in a host's namespace. */
    static final class Running {
        private final Path dir;
        private final Process process;
        private final String bucket;

        private Running(Path dir, Process process, String bucket) {
            this.dir = dir;
            this.process = process;
            this.bucket = bucket;
        }

        static Running start(ThreeHostCluster cluster, int host, Path dir, String bucket) throws IOException {
            Files.createDirectories(dir);
            ProcessBuilder pb = new ProcessBuilder(
                            cluster.net().in(host, command("write", dir, bucket, endpoints(cluster))))
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("out.log").toFile());
            pb.environment().putAll(cluster.awsEnvironment());
            return new Running(dir, pb.start(), bucket);
        }

        /** Objects acknowledged so far. */
        int acked() throws IOException {
            return S3Workload.acked(dir).size();
        }

        /** Waits until {@code more} objects beyond the present ones are acknowledged. */
        void awaitAcks(int more, int seconds) throws Exception {
            int target = acked() + more;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (acked() < target) {
                assertTrue(process.isAlive(), "the workload exited: " + log());
                assertTrue(
                        System.nanoTime() < deadline,
                        "fewer than " + more + " acks in " + seconds + " s; events: " + events());
                Thread.sleep(250);
            }
        }

        /** Stops the workload after its current request; its summary. */
        Properties stop() throws Exception {
            Files.createFile(dir.resolve("stop"));
            if (!process.waitFor(2 * PATIENCE.toSeconds() + 30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("the workload did not stop: " + log());
            }
            assertEquals(0, process.exitValue(), log());
            Properties summary = new Properties();
            try (var in = Files.newBufferedReader(dir.resolve("summary"))) {
                summary.load(in);
            }
            return summary;
        }

        /** Reads every acknowledged object through every gateway from {@code host}; the verifier's report. */
        String verifyFrom(ThreeHostCluster cluster, int host) throws Exception {
            return verify(cluster, host, dir, bucket);
        }

        /** {@link #verifyFrom} for the workload that wrote its acknowledgements to {@code dir}, since stopped. */
        static String verify(ThreeHostCluster cluster, int host, Path dir, String bucket) throws Exception {
            ProcessBuilder pb = new ProcessBuilder(
                            cluster.net().in(host, command("verify", dir, bucket, endpoints(cluster))))
                    .redirectErrorStream(true);
            pb.environment().putAll(cluster.awsEnvironment());
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(5, TimeUnit.MINUTES), "verify still running");
            assertEquals(
                    0, p.exitValue(), "every acknowledged object reads back byte-exact through every gateway: " + out);
            return out;
        }

        String events() throws IOException {
            Path f = dir.resolve("events");
            return Files.exists(f) ? Files.readString(f) : "";
        }

        private String log() throws IOException {
            return Files.readString(dir.resolve("out.log"));
        }

        private static List<String> endpoints(ThreeHostCluster cluster) {
            List<String> e = new ArrayList<>();
            for (int h = 1; h <= ThreeHostCluster.HOSTS; h++) e.add(cluster.gateway(h));
            return e;
        }
    }
}
