package io.basalt.bench;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.HdrHistogram.Histogram;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Object;

/** The workloads. Each runs against one target and returns its figures; objects it leaves are cleaned by {@link #cleanup}. */
final class Workloads {
    static final List<String> ALL =
            List.of("put", "get", "mixed", "list", "multipart", "small", "milvus", "heal", "faults");

    /** Random, incompressible payload shared by every upload (bodies are windows into it, never copied). */
    private static final byte[] DATA = new byte[64 << 20];

    static {
        new SplittableRandom(42).nextBytes(DATA);
    }

    final Params p;

    Workloads(Params p) {
        this.p = p;
    }

    static RequestBody body(long size) {
        if (size <= DATA.length) {
            int off = (int) ((size * 7919) % Math.max(1, DATA.length - size + 1));
            ContentStreamProvider csp = () -> new ByteArrayInputStream(DATA, off, (int) size);
            return RequestBody.fromContentProvider(csp, size, "application/octet-stream");
        }
        ContentStreamProvider csp = () -> new RepeatingStream(size);
        return RequestBody.fromContentProvider(csp, size, "application/octet-stream");
    }

    static void ensureBucket(Target t) {
        try {
            t.s3.headBucket(b -> b.bucket(t.bucket));
        } catch (NoSuchBucketException e) {
            t.s3.createBucket(b -> b.bucket(t.bucket));
        } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
            if (e.statusCode() != 404) throw e;
            t.s3.createBucket(b -> b.bucket(t.bucket));
        }
    }

    static long put(Target t, String key, long size) {
        (size == 0 ? t.s3WholeBody : t.s3)
                .putObject(b -> b.bucket(t.bucket).key(key).contentLength(size), body(size));
        return size;
    }

    private static final ThreadLocal<byte[]> SINK = ThreadLocal.withInitial(() -> new byte[1 << 20]);

    static long get(Target t, String key, String range) {
        try (ResponseInputStream<GetObjectResponse> in =
                t.s3.getObject(b -> b.bucket(t.bucket).key(key).range(range))) {
            return drain(in);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static long drain(InputStream in) throws java.io.IOException {
        byte[] buf = SINK.get();
        long n = 0;
        int r;
        while ((r = in.read(buf)) > 0) n += r;
        return n;
    }

    /**
     * What a workload needs in place before it is measured: the CPU meter and the GB of payload count
     * from after this, so a GET's figures never include writing the objects it reads.
     */
    void prepare(String workload, Target t, int rep) throws Exception {
        ensureBucket(t);
        if (workload.equals("get")) prepareGet(t, rep);
        if (workload.equals("faults")) new FaultsWorkload(p).prepare(t, rep);
    }

    Figures run(String workload, Target t, int rep) throws Exception {
        ensureBucket(t);
        return switch (workload) {
            case "put" -> put(t, rep);
            case "get" -> get(t, rep);
            case "mixed" -> mixed(t, rep);
            case "list" -> list(t, rep);
            case "multipart" -> multipart(t, rep);
            case "small" -> small(t, rep);
            case "milvus" -> milvus(t, rep);
            case "heal" -> new HealWorkload(p).run(t, rep);
            case "faults" -> new FaultsWorkload(p).run(t, rep);
            default -> throw new IllegalArgumentException("unknown workload " + workload);
        };
    }

    /** Objects each workload leaves behind, removed once the workload is done on every repetition. */
    static String prefixOf(String workload) {
        return workload.equals("get") ? "put/" : workload + "/";
    }

    // ------------------------------------------------------------------ put / get

    private Figures put(Target t, int rep) {
        long size = p.size("put.size");
        int count = p.integer("put.count");
        Ops.Result r = Ops.run(
                t.name + " put " + Params.human(size),
                p.integer("put.concurrency"),
                count,
                i -> put(t, "put/" + rep + "/" + i, size));
        Figures f = new Figures();
        f.throughput("PUT ", r);
        f.opsPerSec("PUT ops/s", r);
        f.latency("PUT ", r.latencyMicros(), 50, 99, 99.9);
        f.add("errors", "count", false, r.errors());
        return f;
    }

    /**
     * How many objects get reads, in turn: {@code get.objects}, or 0 for one per GET ({@code get.count}). Fewer objects
     * than GETs make a long read-only load (a profile of GET alone) without writing an object per GET first.
     */
    private int getObjects() {
        int objects = p.integer("get.objects");
        return objects > 0 ? Math.min(objects, p.integer("get.count")) : p.integer("get.count");
    }

    /** The objects get reads are put's same repetition's when put ran with the same sizes; else written here. */
    private void prepareGet(Target t, int rep) {
        long size = p.size("get.size");
        int objects = getObjects();
        String prefix = "put/" + rep + "/";
        try {
            if (t.s3.headObject(b -> b.bucket(t.bucket).key(prefix + (objects - 1)))
                            .contentLength()
                    == size) return;
        } catch (Exception e) {
            // not there: write them
        }
        Ops.run(t.name + " get: prepare", p.integer("get.concurrency"), objects, i -> put(t, prefix + i, size));
    }

    private Figures get(Target t, int rep) {
        long size = p.size("get.size");
        int count = p.integer("get.count");
        int conc = p.integer("get.concurrency");
        String prefix = "put/" + rep + "/";
        int objects = getObjects();
        long range = Math.min(p.size("get.range"), size); // 0: whole objects
        String what = range > 0 ? Params.human(range) + " ranges of " + Params.human(size) : Params.human(size);
        Ops.Result r = Ops.run(t.name + " get " + what, conc, count, i -> {
            if (range == 0) return get(t, prefix + i % objects, null);
            // anywhere in the object, as Milvus's lazy loads read: most ranges cross a stripe and a chunk boundary
            long off = ThreadLocalRandom.current().nextLong(0, size - range + 1);
            return get(t, prefix + i % objects, "bytes=" + off + "-" + (off + range - 1));
        });
        Figures f = new Figures();
        f.throughput("GET ", r);
        f.opsPerSec("GET ops/s", r);
        f.latency("GET ", r.latencyMicros(), 50, 99, 99.9);
        f.add("errors", "count", false, r.errors());
        return f;
    }

    // ------------------------------------------------------------------ mixed (warp-like)

    private Figures mixed(Target t, int rep) {
        Figures f = new Figures();
        mixedRun(
                t,
                "mixed/" + rep + "/",
                p.size("mixed.size"),
                p.integer("mixed.objects"),
                p.integer("mixed.ops"),
                p.integer("mixed.concurrency"),
                "",
                f);
        return f;
    }

    /**
     * Warp's mix over {@code objects} objects of {@code size}: 45% GET, 15% PUT, 10% DELETE, 30% STAT, {@code ops}
     * of them from {@code conc} clients. Adds ops/s, throughput, per-operation p50/p99 and errors to {@code f}, each
     * figure's name starting with {@code label}.
     */
    private void mixedRun(Target t, String prefix, long size, int objects, int ops, int conc, String label, Figures f) {
        Ops.run(t.name + " mixed: prepare", conc, objects, i -> put(t, prefix + i, size));
        List<String> live = Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < objects; i++) live.add(prefix + i);
        Map<String, Histogram> hists = new ConcurrentHashMap<>();
        for (String op : List.of("GET", "PUT", "DELETE", "STAT")) hists.put(op, new Histogram(3_600_000_000L, 3));
        java.util.concurrent.atomic.AtomicInteger nextKey = new java.util.concurrent.atomic.AtomicInteger(objects);
        Ops.Result r = Ops.run(t.name + " mixed " + Params.human(size), conc, ops, i -> {
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            int dice = rnd.nextInt(100);
            long t0 = System.nanoTime();
            String op;
            long moved = 0;
            if (dice < 45) {
                op = "GET";
                String key = pick(live, rnd);
                try {
                    if (key != null) moved = get(t, key, null);
                } catch (software.amazon.awssdk.services.s3.model.NoSuchKeyException raced) {
                    // a concurrent DELETE removed the key after it was picked: the answer is right
                }
            } else if (dice < 60) {
                op = "PUT";
                String key = prefix + nextKey.getAndIncrement();
                moved = put(t, key, size);
                live.add(key);
            } else if (dice < 70) {
                op = "DELETE";
                String key = null;
                synchronized (live) {
                    if (live.size() > objects / 2) key = live.remove(rnd.nextInt(live.size()));
                }
                if (key != null) {
                    String k = key;
                    t.s3.deleteObject(b -> b.bucket(t.bucket).key(k));
                }
            } else {
                op = "STAT";
                String key = pick(live, rnd);
                try {
                    if (key != null) t.s3.headObject(b -> b.bucket(t.bucket).key(key));
                } catch (software.amazon.awssdk.services.s3.model.NoSuchKeyException raced) {
                    // deleted concurrently, as above
                }
            }
            Histogram h = hists.get(op);
            synchronized (h) {
                h.recordValue(Math.max(1, (System.nanoTime() - t0) / 1000));
            }
            return moved;
        });
        f.opsPerSec(label + "ops/s", r);
        f.throughput(label, r);
        for (String op : List.of("GET", "PUT", "DELETE", "STAT")) f.latency(label + op + " ", hists.get(op), 50, 99);
        f.add(label + "errors", "count", false, r.errors());
    }

    private static String pick(List<String> live, ThreadLocalRandom rnd) {
        synchronized (live) {
            return live.isEmpty() ? null : live.get(rnd.nextInt(live.size()));
        }
    }

    // ------------------------------------------------------------------ list

    private Figures list(Target t, int rep) {
        int objects = p.integer("list.objects");
        int pageSize = p.integer("list.page");
        int listings = p.integer("list.listings");
        long size = p.size("list.size");
        String prefix = "list/" + rep + "/";
        Ops.Result w = Ops.run(
                t.name + " list: prepare " + Params.human(size),
                16,
                objects,
                i -> put(t, prefix + String.format("%08d", i), size));
        Histogram pages = new Histogram(3_600_000_000L, 3);
        long expected = w.ops(); // PUTs that failed even after the SDK's retries are not listed
        Ops.Result r = Ops.run(t.name + " list " + objects + " keys", p.integer("list.concurrency"), listings, i -> {
            String token = null;
            long n = 0;
            do {
                String tok = token;
                long t0 = System.nanoTime();
                ListObjectsV2Response resp = t.s3.listObjectsV2(
                        b -> b.bucket(t.bucket).prefix(prefix).maxKeys(pageSize).continuationToken(tok));
                long us = (System.nanoTime() - t0) / 1000;
                synchronized (pages) {
                    pages.recordValue(Math.max(1, us));
                }
                n += resp.contents().size();
                token = resp.isTruncated() ? resp.nextContinuationToken() : null;
            } while (token != null);
            if (n != expected) throw new IllegalStateException("listed " + n + " of " + expected);
            return 0;
        });
        Figures f = new Figures();
        f.add("PUT " + Params.human(size) + " ops/s", "ops/s", true, w.opsPerSec());
        f.add("objects listed/s", "objects/s", true, (double) expected * r.ops() / r.secs());
        f.latency("page of " + pageSize + " ", pages, 50, 99);
        f.add("errors", "count", false, r.errors() + w.errors());
        return f;
    }

    // ------------------------------------------------------------------ multipart

    /** Uploads one object as parts of partSize, partConcurrency at a time; records part latencies. */
    long multipartUpload(
            Target t, String key, long size, long partSize, int partConcurrency, Histogram parts, Histogram complete) {
        String id = t.s3.createMultipartUpload(b -> b.bucket(t.bucket).key(key)).uploadId();
        int n = (int) Math.max(1, (size + partSize - 1) / partSize);
        CompletedPart[] done = new CompletedPart[n];
        try {
            Ops.Op part = i -> {
                long len = Math.min(partSize, size - i * partSize);
                long t0 = System.nanoTime();
                String etag = t.s3.uploadPart(
                                b -> b.bucket(t.bucket)
                                        .key(key)
                                        .uploadId(id)
                                        .partNumber(i + 1)
                                        .contentLength(len),
                                body(len))
                        .eTag();
                if (parts != null) {
                    synchronized (parts) {
                        parts.recordValue(Math.max(1, (System.nanoTime() - t0) / 1000));
                    }
                }
                done[i] = CompletedPart.builder().partNumber(i + 1).eTag(etag).build();
                return len;
            };
            if (partConcurrency <= 1 || n == 1) {
                for (int i = 0; i < n; i++) part.run(i);
            } else {
                var pool = java.util.concurrent.Executors.newFixedThreadPool(Math.min(n, partConcurrency));
                try {
                    List<java.util.concurrent.Future<Long>> fs = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        int ii = i;
                        fs.add(pool.submit(() -> part.run(ii)));
                    }
                    for (var fu : fs) fu.get();
                } finally {
                    pool.shutdownNow();
                }
            }
            long t0 = System.nanoTime();
            t.s3.completeMultipartUpload(b -> b.bucket(t.bucket)
                    .key(key)
                    .uploadId(id)
                    .multipartUpload(
                            CompletedMultipartUpload.builder().parts(done).build()));
            if (complete != null) {
                synchronized (complete) {
                    complete.recordValue(Math.max(1, (System.nanoTime() - t0) / 1000));
                }
            }
            return size;
        } catch (Exception e) {
            try {
                t.s3.abortMultipartUpload(b -> b.bucket(t.bucket).key(key).uploadId(id));
            } catch (Exception ignored) {
                // best effort
            }
            throw e instanceof RuntimeException re ? re : new RuntimeException(e);
        }
    }

    private Figures multipart(Target t, int rep) {
        long size = p.size("multipart.size");
        long partSize = p.size("multipart.part");
        int partConc = p.integer("multipart.concurrency");
        Histogram parts = new Histogram(3_600_000_000L, 3);
        Histogram complete = new Histogram(3_600_000_000L, 3);
        Ops.Result r = Ops.run(
                t.name + " multipart " + Params.human(size),
                1,
                p.integer("multipart.count"),
                i -> multipartUpload(t, "multipart/" + rep + "/" + i, size, partSize, partConc, parts, complete));
        Figures f = new Figures();
        f.throughput("upload ", r);
        f.latency("object ", r.latencyMicros(), 50);
        f.latency("part " + Params.human(partSize) + " ", parts, 50, 99);
        f.latency("complete ", complete, 50, 99);
        f.add("errors", "count", false, r.errors());
        return f;
    }

    // ------------------------------------------------------------------ small objects

    private Figures small(Target t, int rep) throws Exception {
        Figures f = new Figures();
        long errors = 0;
        for (String s : p.list("small.sizes")) {
            long size = Params.parseSize(s);
            Map<String, long[]> marker = markFootprintStart(t);
            long written = 0;
            for (String c : p.list("small.concurrency")) {
                int conc = Integer.parseInt(c);
                int count = p.integer("small.count");
                String prefix = "small/" + rep + "/" + s + "/c" + c + "/";
                String tag = Params.human(size) + " c" + conc + " ";
                Ops.Result w = Ops.run(t.name + " small PUT " + tag, conc, count, i -> put(t, prefix + i, size));
                written += size * count;
                Ops.Result r = Ops.run(t.name + " small GET " + tag, conc, count, i -> get(t, prefix + i, null));
                f.add("PUT ops/s " + tag.trim(), "ops/s", true, w.opsPerSec());
                f.add("GET ops/s " + tag.trim(), "ops/s", true, r.opsPerSec());
                f.latency("PUT " + tag, w.latencyMicros(), 50, 99);
                f.latency("GET " + tag, r.latencyMicros(), 50, 99, 99.9);
                errors += w.errors() + r.errors();
            }
            // disk blocks of the files the PUTs created (shards, headers, file system blocks) per byte written
            Footprint fp = footprint(t, marker);
            if (fp != null && written > 0) {
                f.add(
                        "footprint " + Params.human(size) + " (disk/logical)",
                        "x",
                        false,
                        (double) fp.allocated / written);
            }
        }
        f.add("errors", "count", false, errors);
        // many clients at once on small objects, as Milvus's flushes and lazy index loads go (0 ops: none)
        long mixedSize = p.size("small.mixed.size");
        if (p.integer("small.mixed.ops") > 0)
            mixedRun(
                    t,
                    "small/" + rep + "/mixed/",
                    mixedSize,
                    p.integer("small.mixed.objects"),
                    p.integer("small.mixed.ops"),
                    p.integer("small.mixed.concurrency"),
                    "mixed " + Params.human(mixedSize) + " c" + p.integer("small.mixed.concurrency") + " ",
                    f);
        return f;
    }

    // ------------------------------------------------------------------ Milvus 2.6

    private Figures milvus(Target t, int rep) throws Exception {
        int rows = p.integer("milvus.rows");
        int dim = p.integer("milvus.dim");
        int batch = p.integer("milvus.batch");
        int conc = p.integer("milvus.concurrency");
        long partSize = p.size("milvus.part");
        long sliceSize = p.size("milvus.slice");
        String root = "milvus/" + rep + "/files/";
        long collection = 451_000_000_000_000_000L + rep;

        // 1. insert binlogs: one sync per batch of rows; per field one binlog, plus the pk stats log.
        record Obj(String key, long size, boolean multipart) {}
        List<Obj> inserts = new ArrayList<>();
        long logId = 451_000_000_000_001_000L;
        for (int start = 0, seg = 0; start < rows; start += batch, seg++) {
            int n = Math.min(batch, rows - start);
            String segDir = collection + "/" + (collection + 1) + "/" + (collection + 100 + seg / 4) + "/";
            // field ids as Milvus numbers them: 0 rowID, 1 timestamp, 100 pk, 101 vector
            inserts.add(new Obj(root + "insert_log/" + segDir + "0/" + logId++, 8L * n + 400, true));
            inserts.add(new Obj(root + "insert_log/" + segDir + "1/" + logId++, 8L * n + 400, true));
            inserts.add(new Obj(root + "insert_log/" + segDir + "100/" + logId++, 8L * n + 400, true));
            inserts.add(new Obj(root + "insert_log/" + segDir + "101/" + logId++, 4L * dim * n + 1000, true));
            // pk stats log (bloom filter + min/max), ~100 KB per 5000 rows, single minio-go PUT
            inserts.add(new Obj(root + "stats_log/" + segDir + "100/" + logId++, Math.max(4096, 20L * n), false));
        }
        Map<String, long[]> marker = markFootprintStart(t);
        Ops.Result ins = Ops.run(t.name + " milvus insert binlogs", conc, inserts.size(), i -> {
            Obj o = inserts.get(i);
            return o.multipart()
                    ? multipartUpload(t, o.key(), o.size(), partSize, 1, null, null)
                    : put(t, o.key(), o.size());
        });

        // 2. index files: HNSW (vectors + graph, M=16 -> ~128 B/row of links) uploaded as 16 MiB slices
        long indexBytes = (long) rows * (4L * dim + 128);
        int slices = (int) ((indexBytes + sliceSize - 1) / sliceSize);
        List<Obj> index = new ArrayList<>();
        String idxDir =
                root + "index_files/" + (collection + 9000) + "/1/" + (collection + 1) + "/" + (collection + 100) + "/";
        for (int s = 0; s < slices; s++) {
            long len = Math.min(sliceSize, indexBytes - s * sliceSize);
            index.add(new Obj(idxDir + "HNSW_" + s, len, len > sliceSize)); // 16 MiB slices: single PUTs
        }
        index.add(new Obj(idxDir + "index_meta", 2048, false));
        Ops.Result idx = Ops.run(
                t.name + " milvus index slices",
                conc,
                index.size(),
                i -> put(t, index.get(i).key(), index.get(i).size()));
        Footprint fp = footprint(t, marker);

        // 3. cold load: HEAD + whole GET of every object, 8 at a time
        List<Obj> everything = new ArrayList<>(inserts);
        everything.addAll(index);
        long logical = everything.stream().mapToLong(Obj::size).sum();
        Ops.Result load = Ops.run(t.name + " milvus cold load", conc, everything.size(), i -> {
            String k = everything.get(i).key();
            t.s3.headObject(b -> b.bucket(t.bucket).key(k));
            return get(t, k, null);
        });

        // 4. lazy loading during search: random ranged reads in vector binlogs and index slices
        List<Obj> big = everything.stream()
                .filter(o -> o.size() >= p.size("milvus.range"))
                .toList();
        long range = p.size("milvus.range");
        Ops.Result ranged =
                Ops.run(t.name + " milvus ranged " + Params.human(range), conc, p.integer("milvus.ranges"), i -> {
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    Obj o = big.get(rnd.nextInt(big.size()));
                    long off = rnd.nextLong(0, o.size() - range + 1);
                    return get(t, o.key(), "bytes=" + off + "-" + (off + range - 1));
                });

        Figures f = new Figures();
        f.throughput("insert binlogs ", ins);
        f.latency("insert binlog ", ins.latencyMicros(), 50, 99);
        f.throughput("index upload ", idx);
        f.throughput("cold load ", load);
        f.add("cold load s", "s", false, load.secs());
        f.latency("ranged " + Params.human(range) + " ", ranged.latencyMicros(), 50, 99);
        if (fp != null) {
            f.add("footprint (disk/logical)", "x", false, (double) fp.allocated / logical);
        }
        f.add("objects", "count", true, everything.size());
        f.add("logical MB", "MB", true, logical / 1e6);
        f.add("errors", "count", false, ins.errors() + idx.errors() + load.errors() + ranged.errors());
        return f;
    }

    record Footprint(long allocated, long apparent) {}

    /** The target's files and their allocated bytes when a footprint measure starts; null when not local. */
    private static Map<String, long[]> markFootprintStart(Target t) throws Exception {
        if (t.dataDirs.isEmpty()) return null;
        return files(t);
    }

    /**
     * What the files of the target grew by since the mark: new files whole, files that existed (a
     * pack file appended to, a log) by their growth; files removed meanwhile (GC of older data) do not count.
     */
    private static Footprint footprint(Target t, Map<String, long[]> before) throws Exception {
        if (before == null) return null;
        long blocks = 0, bytes = 0;
        for (var e : files(t).entrySet()) {
            long[] was = before.getOrDefault(e.getKey(), new long[2]);
            blocks += Math.max(0, e.getValue()[0] - was[0]);
            bytes += Math.max(0, e.getValue()[1] - was[1]);
        }
        return new Footprint(blocks, bytes);
    }

    /** path -> {allocated bytes, apparent size} of every file under the target's data dirs (find's %b is 512-byte blocks). */
    private static Map<String, long[]> files(Target t) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("find"));
        for (Path d : t.dataDirs) cmd.add(d.toString());
        cmd.addAll(List.of("-type", "f", "-printf", "%b %s %p\\n"));
        Process pr = new ProcessBuilder(cmd)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        Map<String, long[]> out = new HashMap<>();
        for (String line : new String(pr.getInputStream().readAllBytes()).split("\n")) {
            String[] a = line.split(" ", 3);
            if (a.length == 3) out.put(a[2], new long[] {Long.parseLong(a[0]) * 512, Long.parseLong(a[1])});
        }
        pr.waitFor();
        return out;
    }

    // ------------------------------------------------------------------ cleanup

    /** Deletes every object under prefix (batches of 1000, single deletes when batches are refused). */
    static void cleanup(Target t, String prefix) {
        try {
            List<String> keys = new ArrayList<>();
            String token = null;
            do {
                String tok = token;
                ListObjectsV2Response r = t.s3.listObjectsV2(
                        b -> b.bucket(t.bucket).prefix(prefix).continuationToken(tok));
                for (S3Object o : r.contents()) keys.add(o.key());
                token = r.isTruncated() ? r.nextContinuationToken() : null;
            } while (token != null);
            if (keys.isEmpty()) return;
            try {
                for (int i = 0; i < keys.size(); i += 1000) {
                    List<ObjectIdentifier> ids = keys.subList(i, Math.min(keys.size(), i + 1000)).stream()
                            .map(k -> ObjectIdentifier.builder().key(k).build())
                            .toList();
                    t.s3.deleteObjects(b -> b.bucket(t.bucket)
                            .delete(Delete.builder().objects(ids).quiet(true).build()));
                }
            } catch (Exception e) {
                Ops.run(t.name + " cleanup " + prefix, 8, keys.size(), i -> {
                    t.s3.deleteObject(b -> b.bucket(t.bucket).key(keys.get(i)));
                    return 0;
                });
            }
        } catch (Exception e) {
            Progress.message("  cleanup of " + prefix + " on " + t.name + " failed: " + e);
        }
    }

    /** An endless window over DATA, for bodies larger than it. */
    private static final class RepeatingStream extends InputStream {
        private long left;
        private int pos;

        RepeatingStream(long size) {
            this.left = size;
        }

        @Override
        public int read() {
            if (left <= 0) return -1;
            left--;
            int b = DATA[pos] & 0xff;
            pos = (pos + 1) % DATA.length;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (left <= 0) return -1;
            int n = (int) Math.min(Math.min(len, left), DATA.length - pos);
            System.arraycopy(DATA, pos, b, off, n);
            pos = (pos + n) % DATA.length;
            left -= n;
            return n;
        }
    }

    static Map<String, String> defaults(boolean quick) {
        Map<String, String> d = new TreeMap<>();
        d.put("put.size", "16MiB");
        d.put("put.count", quick ? "40" : "100");
        d.put("put.concurrency", "4");
        d.put("get.size", "16MiB");
        d.put("get.count", quick ? "40" : "100");
        d.put("get.objects", "0");
        d.put("get.range", "0");
        d.put("get.concurrency", "4");
        d.put("mixed.size", "1MiB");
        d.put("mixed.objects", quick ? "100" : "300");
        d.put("mixed.ops", quick ? "600" : "3000");
        d.put("mixed.concurrency", "8");
        d.put("list.objects", quick ? "1000" : "5000");
        d.put("list.size", "0");
        d.put("list.page", "100");
        d.put("list.listings", quick ? "20" : "50");
        d.put("list.concurrency", "4");
        d.put("multipart.size", "64MiB");
        d.put("multipart.part", "8MiB");
        d.put("multipart.count", quick ? "3" : "8");
        d.put("multipart.concurrency", "4");
        d.put("small.sizes", "4KiB,64KiB");
        d.put("small.count", quick ? "500" : "2000");
        d.put("small.concurrency", "1,16");
        d.put("small.mixed.size", "4KiB");
        d.put("small.mixed.objects", quick ? "200" : "500");
        d.put("small.mixed.ops", quick ? "1000" : "4000");
        d.put("small.mixed.concurrency", "16");
        d.put("milvus.rows", quick ? "20000" : "100000");
        d.put("milvus.dim", "768");
        d.put("milvus.batch", "5000");
        d.put("milvus.concurrency", "8");
        d.put("milvus.part", "10MiB");
        d.put("milvus.slice", "16MiB");
        d.put("milvus.range", "1MiB");
        d.put("milvus.ranges", quick ? "200" : "1000");
        d.putAll(HealWorkload.defaults(quick));
        d.putAll(FaultsWorkload.defaults(quick));
        return d;
    }
}
