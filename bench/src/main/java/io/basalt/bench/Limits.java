package io.basalt.bench;

import com.sun.nio.file.ExtendedOpenOption;
import io.basalt.core.tls.ClusterTls;
import io.netty.handler.ssl.SslProvider;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/** What the machine allows: disk, loopback, hashing and the erasure codec (JMH), one figure each. */
final class Limits {
    record Limit(String name, String unit, double value, String how) {}

    final Map<String, Limit> all = new LinkedHashMap<>();
    List<Floor> floors = List.of();

    void add(String name, String unit, double value, String how) {
        all.put(name, new Limit(name, unit, value, how));
        Progress.message(String.format("  limit %-40s %10.2f %s", name, value, unit));
    }

    double get(String name) {
        Limit l = all.get(name);
        return l == null ? Double.NaN : l.value();
    }

    void measure(Path dataDisk, boolean quick) throws Exception {
        Files.createDirectories(dataDisk);
        disk(dataDisk, quick ? 1L << 30 : 2L << 30);
        fsyncFiles(dataDisk, quick ? 1.0 : 3.0);
        shardWrites(dataDisk, quick ? 1L << 30 : 3L << 30);
        smallCommits(dataDisk, quick ? 1.0 : 3.0);
        etcd(dataDisk, quick ? 1.0 : 3.0);
        loopback(quick ? 2L << 30 : 8L << 30);
        transport(dataDisk, quick ? 3L << 30 : 6L << 30);
        hashes(quick ? 1.0 : 3.0);
        jmh(quick);
        floors = Floor.of(this);
        for (Floor f : floors) add(f.name(), "s/GB", f.total(), f.how());
    }

    private void disk(Path dir, long total) throws Exception {
        Path f = dir.resolve("bench-disk.tmp");
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
        byte[] rnd = new byte[1 << 20];
        new SplittableRandom(7).nextBytes(rnd);
        buf.put(rnd).flip();
        Progress.phase("limits: disk write 1 MiB + fsync", total >> 20);
        long t0 = System.nanoTime();
        try (FileChannel ch = FileChannel.open(
                f, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            for (long w = 0; w < total; w += 1 << 20) {
                buf.rewind();
                while (buf.hasRemaining()) ch.write(buf);
                Progress.done.incrementAndGet();
                Progress.bytes.addAndGet(1 << 20);
            }
            ch.force(true);
        }
        double wsecs = (System.nanoTime() - t0) / 1e9;
        Progress.endPhase();
        add(
                "disk sequential write + fsync",
                "GB/s",
                total / 1e9 / wsecs,
                "FileChannel, 1 MiB writes, force(true) at the end, " + Params.human(total));
        // read with O_DIRECT so the page cache does not answer
        boolean direct = ShardWriteCost.directIoWorks(dir);
        String how = direct ? "O_DIRECT, 1 MiB reads" : "buffered (page cache may answer)";
        OpenOption[] opts = direct
                ? new OpenOption[] {StandardOpenOption.READ, ExtendedOpenOption.DIRECT}
                : new OpenOption[] {StandardOpenOption.READ};
        ByteBuffer rb = ByteBuffer.allocateDirect((1 << 20) + 8192).alignedSlice(4096);
        rb.limit(1 << 20);
        long t1 = System.nanoTime();
        long read = 0;
        try (FileChannel ch = FileChannel.open(f, opts)) {
            int n;
            while (true) {
                rb.clear();
                rb.limit(1 << 20);
                n = ch.read(rb);
                if (n <= 0) break;
                read += n;
            }
        }
        double rsecs = (System.nanoTime() - t1) / 1e9;
        Files.deleteIfExists(f);
        add("disk sequential read", "GB/s", read / 1e9 / rsecs, how + ", " + Params.human(read));
    }

    private void fsyncFiles(Path dir, double seconds) throws Exception {
        Path d = Files.createDirectories(dir.resolve("bench-fsync"));
        byte[] b = new byte[64 << 10];
        long t0 = System.nanoTime();
        long end = t0 + (long) (seconds * 1e9);
        int n = 0;
        List<Path> made = new ArrayList<>();
        while (System.nanoTime() < end) {
            Path tmp = d.resolve("f" + n + ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(b));
                ch.force(true);
            }
            Path fin = d.resolve("f" + n);
            Files.move(tmp, fin, StandardCopyOption.ATOMIC_MOVE);
            made.add(fin);
            n++;
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        for (Path p : made) Files.deleteIfExists(p);
        Files.deleteIfExists(d);
        add("64 KiB file write + fsync + rename", "files/s", n / secs, "one writer");
    }

    private void shardWrites(Path dir, long total) throws Exception {
        if (!ShardWriteCost.directIoWorks(dir)) {
            Progress.message("limits: shard writes: " + dir + " does not take O_DIRECT, skipped");
            return;
        }
        String how =
                "6 threads, 4 MiB files of 256 KiB writes + fsync, kept until the end, " + Params.human(total) + ", ";
        Progress.message("limits: shard writes, CPU per GB, through the page cache and with O_DIRECT");
        String memory = ShardWriteCost.freeMemory();
        add(
                "shard writes through the page cache, CPU",
                "s/GB",
                ShardWriteCost.cpuPerGb(dir, total, false).write(),
                how + memory);
        memory = ShardWriteCost.freeMemory();
        ShardWriteCost.Cost direct = ShardWriteCost.cpuPerGb(dir, total, true);
        add(SHARD_WRITES, "s/GB", direct.write(), how + "copied into an aligned buffer first, " + memory);
        add(SHARD_READS, "s/GB", direct.read(), "the same files read back by their 6 threads, 1 MiB reads");
    }

    static final String SHARD_WRITES = "shard writes with O_DIRECT, CPU";
    static final String SHARD_READS = "shard reads with O_DIRECT, CPU";
    static final String PLAIN_SEND = "loopback send, CPU";
    static final String PLAIN_RECEIVE = "loopback receive, CPU";
    static final String TLS_SEND = "loopback TLS 1.3 send, CPU";
    static final String TLS_RECEIVE = "loopback TLS 1.3 receive, CPU";
    static final String BORINGSSL_SEND = "loopback TLS 1.3 send, BoringSSL, CPU";
    static final String BORINGSSL_RECEIVE = "loopback TLS 1.3 receive, BoringSSL, CPU";
    static final String NETTY_SEND = "Netty stream over cluster TLS, send, CPU";
    static final String NETTY_RECEIVE = "Netty stream over cluster TLS, receive, CPU";
    static final String GRPC_SEND = "gRPC stream over cluster TLS, send, CPU";
    static final String GRPC_RECEIVE = "gRPC stream over cluster TLS, receive, CPU";

    /** What the data ports' TLS costs at least to send a GB: BoringSSL's figure where it loads, else the JDK's. */
    double dataPortTlsSend() {
        return all.containsKey(BORINGSSL_SEND) ? get(BORINGSSL_SEND) : get(TLS_SEND);
    }

    /** The same for receiving. */
    double dataPortTlsReceive() {
        return all.containsKey(BORINGSSL_RECEIVE) ? get(BORINGSSL_RECEIVE) : get(TLS_RECEIVE);
    }

    /** What one hop costs the threads at its two ends, plain and with the cluster's TLS. */
    private void transport(Path scratch, long total) throws Exception {
        Progress.message(
                "limits: CPU per GB of one loopback connection: plain, TLS 1.3 (JDK, BoringSSL), Netty and gRPC over TLS");
        String how = "one connection, 256 KiB writes, median of 3 rounds of " + Params.human(total / 3);
        addBothEnds(
                PLAIN_SEND,
                PLAIN_RECEIVE,
                medianOf3(TransportCost::plain, total),
                how + ", direct buffers through SocketChannels, the sending thread",
                "the same, the receiving thread");
        try (ThrowawayTls t = ThrowawayTls.create(scratch)) {
            addBothEnds(
                    TLS_SEND,
                    TLS_RECEIVE,
                    medianOf3(bytes -> TransportCost.tls(bytes, t.tls()), total),
                    how + ", the JDK's SSLEngine (AES-GCM), records batched into 1 MiB writes, the sending thread",
                    "the same, the receiving thread");
            if (ClusterTls.DATA_PORT_PROVIDER == SslProvider.OPENSSL)
                addBothEnds(
                        BORINGSSL_SEND,
                        BORINGSSL_RECEIVE,
                        medianOf3(bytes -> TransportCost.boringSsl(bytes, t.tls()), total),
                        how + ", BoringSSL (netty-tcnative, as the data ports run it) in direct buffers, records "
                                + "batched into 1 MiB writes, the sending thread",
                        "the same, the receiving thread");
            addBothEnds(
                    NETTY_SEND,
                    NETTY_RECEIVE,
                    medianOf3(bytes -> NettyStreamCost.measure(bytes, t.tls()), total),
                    "length-prefixed 256 KiB messages over Netty's SslHandler and the data ports' TLS ("
                            + ClusterTls.DATA_PORT_PROVIDER
                            + "), no HTTP/2 or gRPC, records and frames read across reads without merging, 64 KiB wraps, the "
                            + "sending event loop, median of 3 rounds",
                    "the same, the receiving event loop");
            addBothEnds(
                    GRPC_SEND,
                    GRPC_RECEIVE,
                    medianOf3(bytes -> GrpcStreamCost.measure(bytes, t.tls()), total),
                    "one server-streaming call of 256 KiB messages over the cluster's TLS, 1 MiB flow-control "
                            + "window, the sending end's event loop and application thread, median of 3 rounds",
                    "the same, the receiving end's (messages taken as views)");
        }
    }

    private void addBothEnds(String send, String receive, TransportCost.Cost c, String sendHow, String receiveHow) {
        add(send, "s/GB", c.send(), sendHow);
        add(receive, "s/GB", c.receive(), receiveHow);
    }

    private interface Rung {
        TransportCost.Cost measure(long bytes) throws Exception;
    }

    /**
     * A warm-up of an eighth of {@code total} (compiled code, as in a server that has run a while), then three rounds
     * of a third each; the median send and the median receive cost, each on its own (one shared machine is noisy).
     */
    private static TransportCost.Cost medianOf3(Rung rung, long total) throws Exception {
        rung.measure(total / 8);
        double[] send = new double[3], receive = new double[3];
        for (int i = 0; i < 3; i++) {
            TransportCost.Cost c = rung.measure(total / 3);
            send[i] = c.send();
            receive[i] = c.receive();
        }
        java.util.Arrays.sort(send);
        java.util.Arrays.sort(receive);
        return new TransportCost.Cost(send[1], receive[1]);
    }

    private void smallCommits(Path dir, double seconds) throws Exception {
        for (int writers : new int[] {1, 16}) {
            Progress.message("limits: 4 KiB durable commits, " + writers + " writer(s)");
            add(
                    "4 KiB shard files committed, " + writers + " writers",
                    "files/s",
                    SmallCommits.perFile(dir, writers, seconds),
                    "temp file written + fsync, renamed into one of 256 dirs, dir fsync");
            add(
                    "4 KiB records group-committed, " + writers + " writers",
                    "records/s",
                    SmallCommits.groupCommit(dir, writers, seconds),
                    "appended to one file, one fdatasync for all records waiting");
        }
    }

    /**
     * What one metadata round trip costs a request, on an etcd of its own with its data on the data disk and
     * mutual TLS (as ./basalt dev runs it): a linearizable read (what a GET's record read is: the leader confirms
     * it still leads, no disk), a serializable one (the member's local state: no such proof, so a gateway cannot
     * use it for read-after-write), and a put (a raft commit: one fdatasync of etcd's WAL). One client, one at a
     * time; then etcd's own CPU per call of each kind, which on two cores every GET and PUT pays besides.
     */
    private void etcd(Path dir, double seconds) throws Exception {
        Progress.message("limits: etcd round trips");
        Path data = dir.resolve("bench-etcd");
        try (ThrowawayTls t = ThrowawayTls.create(dir);
                io.basalt.testkit.EtcdProcess etcd = io.basalt.testkit.EtcdProcess.startWithTls(data, t.dir());
                io.etcd.jetcd.Client client = io.basalt.core.meta.Etcd.connect(List.of(etcd.endpoint()), t.tls())) {
            var kv = client.getKVClient();
            var key = io.basalt.core.meta.Etcd.bs("/bench/key");
            var value = io.etcd.jetcd.ByteSequence.from(new byte[300]); // about an object record's size
            kv.put(key, value).get();
            var linearizable = io.etcd.jetcd.options.GetOption.DEFAULT;
            var serializable = io.etcd.jetcd.options.GetOption.builder()
                    .withSerializable(true)
                    .build();
            // the three in turn, so a warming JIT or a busy moment weighs on each alike
            List<Call> calls = List.of(
                    () -> kv.get(key, linearizable).get(),
                    () -> kv.get(key, serializable).get(),
                    () -> kv.put(key, value).get());
            double[] p50 = medianMillis(seconds, calls);
            add(
                    "etcd linearizable read, p50",
                    "ms",
                    p50[0],
                    "jetcd get of one 300 B key, one client, the leader's read index");
            add(
                    "etcd serializable read, p50",
                    "ms",
                    p50[1],
                    "the same from the member's local state (no read-after-write across members)");
            add("etcd put, p50", "ms", p50[2], "jetcd put of 300 B: raft commit, one WAL fdatasync");
            double[] cpu = cpuMillisPerCall(etcd.pid(), seconds, calls);
            add(
                    "etcd CPU per linearizable read",
                    "ms",
                    cpu[0],
                    "etcd's user + system CPU (/proc) over a run of such reads alone, per read");
            add("etcd CPU per serializable read", "ms", cpu[1], "the same, serializable reads");
            add("etcd CPU per put", "ms", cpu[2], "the same, puts");
        } finally {
            deleteTree(data);
        }
    }

    private interface Call {
        void run() throws Exception;
    }

    /** The CPU process {@code pid} spends per call of each kind, each run alone for {@code seconds}. */
    private static double[] cpuMillisPerCall(long pid, double seconds, List<Call> calls) throws Exception {
        double[] out = new double[calls.size()];
        for (int i = 0; i < out.length; i++) {
            long n = 0, end = System.nanoTime() + (long) (seconds * 1e9);
            double cpu0 = ProcStat.cpuSeconds(pid);
            while (System.nanoTime() < end) {
                calls.get(i).run();
                n++;
            }
            out[i] = (ProcStat.cpuSeconds(pid) - cpu0) * 1e3 / n;
        }
        return out;
    }

    /** Median latency of each call, run in turn for {@code seconds} in all after as long a warm-up. */
    private static double[] medianMillis(double seconds, List<Call> calls) throws Exception {
        List<List<Long>> nanos = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) nanos.add(new ArrayList<>());
        for (boolean warm : new boolean[] {true, false}) {
            long end = System.nanoTime() + (long) (seconds * 1e9);
            while (System.nanoTime() < end || (!warm && nanos.get(0).isEmpty())) {
                for (int i = 0; i < calls.size(); i++) {
                    long t0 = System.nanoTime();
                    calls.get(i).run();
                    if (!warm) nanos.get(i).add(System.nanoTime() - t0);
                }
            }
        }
        double[] out = new double[calls.size()];
        for (int i = 0; i < out.length; i++) {
            List<Long> l = nanos.get(i);
            java.util.Collections.sort(l);
            out[i] = l.get(l.size() / 2) / 1e6;
        }
        return out;
    }

    static void deleteTree(Path root) throws java.io.IOException {
        if (!Files.exists(root)) return;
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    private void loopback(long total) throws Exception {
        try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread reader = Thread.ofPlatform().start(() -> {
                try (Socket s = ss.accept();
                        InputStream in = s.getInputStream()) {
                    byte[] buf = new byte[1 << 20];
                    while (in.read(buf) > 0) {
                        // discard
                    }
                } catch (Exception ignored) {
                    // done
                }
            });
            long t0 = System.nanoTime();
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), ss.getLocalPort());
                    OutputStream out = s.getOutputStream()) {
                byte[] buf = new byte[1 << 20];
                for (long w = 0; w < total; w += buf.length) out.write(buf);
            }
            reader.join();
            double secs = (System.nanoTime() - t0) / 1e9;
            add(
                    "loopback TCP, one stream",
                    "GB/s",
                    total / 1e9 / secs,
                    "Java socket pair, 1 MiB writes, " + Params.human(total));
        }
    }

    private void hashes(double seconds) throws Exception {
        byte[] data = new byte[16 << 20];
        new SplittableRandom(3).nextBytes(data);
        for (String alg : List.of("MD5", "SHA-256")) {
            MessageDigest md = MessageDigest.getInstance(alg);
            hashLoop(alg, data, seconds, () -> {
                md.update(data);
                md.digest();
            });
        }
        CRC32C crc = new CRC32C();
        hashLoop("CRC32C", data, seconds, () -> {
            crc.reset();
            crc.update(data);
        });
    }

    private void hashLoop(String name, byte[] data, double seconds, Runnable r) {
        for (int i = 0; i < 3; i++) r.run(); // warm up
        long t0 = System.nanoTime();
        long end = t0 + (long) (seconds * 1e9);
        long n = 0;
        while (System.nanoTime() < end || n == 0) {
            r.run();
            n++;
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        add(name + ", one core", "GB/s", n * data.length / 1e9 / secs, "JDK, 16 MiB buffers");
    }

    /** Runs CodecBenchmark in a JMH fork and reads its JSON result. */
    private void jmh(boolean quick) throws Exception {
        Path json = Files.createTempFile("jmh", ".json");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                "--add-modules=jdk.incubator.vector",
                "org.openjdk.jmh.Main",
                CodecBenchmark.class.getName(),
                "-f",
                "1",
                "-wi",
                quick ? "2" : "3",
                "-i",
                quick ? "3" : "5",
                "-w",
                "1s",
                "-r",
                "1s",
                "-rf",
                "json",
                "-rff",
                json.toString()));
        Progress.phase("limits: JMH codec (" + (quick ? "quick" : "full") + ")", 16);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("# Benchmark:")) Progress.done.incrementAndGet();
            }
        }
        int rc = p.waitFor();
        Progress.endPhase();
        if (rc != 0) {
            Progress.message("  JMH failed with exit code " + rc);
            return;
        }
        String s = Files.readString(json);
        Files.deleteIfExists(json);
        // each result: "benchmark" : "...CodecBenchmark.encode", ... "params" : { "codec" : "vector", "shape" : "4+2"
        // },
        // "primaryMetric" : { "score" : N
        Pattern pat = Pattern.compile(
                "\"benchmark\"\\s*:\\s*\"[^\"]*\\.(encode|decode)\"(.*?)\"score\"\\s*:\\s*([0-9.eE+-]+)",
                Pattern.DOTALL);
        Pattern codecPat = Pattern.compile("\"codec\"\\s*:\\s*\"(\\w+)\"");
        Pattern shapePat = Pattern.compile("\"shape\"\\s*:\\s*\"([0-9+]+)\"");
        Matcher m = pat.matcher(s);
        while (m.find()) {
            Matcher cm = codecPat.matcher(m.group(2));
            Matcher sm = shapePat.matcher(m.group(2));
            if (!cm.find() || !sm.find()) continue;
            String shape = sm.group(1);
            // the vector kernel is what the services run (their JVMs get jdk.incubator.vector): its figures keep the
            // plain names the report reads; the scalar kernel's are marked
            String suffix = cm.group(1).equals("vector") ? "" : " (" + cm.group(1) + ")";
            double opsPerSec = Double.parseDouble(m.group(3));
            double gbs = opsPerSec * CodecBenchmark.bytesPerOp(shape) / 1e9;
            int mm = Integer.parseInt(shape.split("\\+")[1]);
            String what =
                    (m.group(1).equals("encode") ? "RS encode " + shape : "RS decode " + shape + " (" + mm + " lost)")
                            + suffix;
            add(what, "GB/s", gbs, "JMH, 1 MiB stripes, GB/s of data, 1 fork, " + (quick ? "2+3" : "3+5") + " x 1 s");
        }
    }
}
