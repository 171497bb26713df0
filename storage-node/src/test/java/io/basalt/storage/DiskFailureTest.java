package io.basalt.storage;

import static io.basalt.storage.ShardServiceTest.randomBytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.core.meta.Keys;
import io.basalt.proto.meta.HealRecord;
import io.basalt.proto.meta.NodeRecord;
import io.basalt.proto.shard.ShardInfo;
import io.basalt.proto.shard.WriteShardRequest;
import io.basalt.proto.shard.WriteShardResponse;
import io.basalt.testkit.EtcdProcess;
import io.basalt.testkit.LiveDirs;
import io.basalt.testkit.Tmpfs;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A data dir that stops working (deleted, replaced, remounted read-only) on a real node with a
 * real gRPC port and a real etcd: it is taken out, the node goes on with its other dir, and every
 * shard the dir held is in etcd's heal queue.
 */
class DiskFailureTest {
    private static final int CHUNK = 1000;
    private static final Keys KEYS = Keys.defaults();
    private static final Duration PROBE = Duration.ofMillis(200);

    @TempDir
    Path tmp;

    EtcdProcess etcd;
    Client etcdClient;
    StorageNode node;
    ShardClient client;
    final List<Path> mounts = new ArrayList<>();
    final List<Process> hungMounts = new ArrayList<>();

    @BeforeEach
    void startEtcd() throws Exception {
        etcd = EtcdProcess.start(tmp.resolve("etcd"));
        etcdClient = Client.builder().endpoints(etcd.endpoint()).build();
    }

    @AfterEach
    void stop() throws Exception {
        // First un-hang: closing the FUSE device aborts the blocked calls, then the holder unmounts.
        for (Process p : hungMounts) {
            p.getOutputStream().close();
            if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
        }
        if (client != null) client.close();
        if (node != null) node.close();
        if (etcdClient != null) etcdClient.close();
        if (etcd != null) etcd.close();
        for (Path m : mounts) Tmpfs.unmount(m);
    }

    private void startNode(List<Path> dirs) throws Exception {
        startNode(dirs, StorageNodeConfig.DEFAULT_DISK_PROBE_TIMEOUT);
    }

    @Test
    void deletedDirIsTakenOutAndEveryShardOnItIsQueuedForHealing() throws Exception {
        Path d1 = tmp.resolve("d1");
        Path d2 = tmp.resolve("d2");
        startNode(List.of(d1, d2));
        // 250 shard sets, so the report needs several transactions
        Map<String, byte[]> onD1 = new TreeMap<>();
        Map<String, TreeSet<Integer>> setsOnD2 = new TreeMap<>();
        List<String> idsOnD2 = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            String id = String.format("set%03d.%d", i % 250, i / 250 * 3);
            byte[] data = randomBytes(1500 + i, i);
            ShardInfo info = client.write(id, data, CHUNK);
            if (Path.of(info.getDataDir()).equals(d2)) {
                setsOnD2.computeIfAbsent(id.substring(0, id.indexOf('.')), s -> new TreeSet<>())
                        .add(i / 250 * 3);
                idsOnD2.add(id);
            } else {
                onD1.put(id, data);
            }
        }
        assertTrue(
                idsOnD2.size() > 150 && onD1.size() > 150,
                "writes spread over both dirs: " + idsOnD2.size() + " on d2");
        long revisionBefore = revision();

        LiveDirs.delete(d2);

        awaitTrue(() -> nodeRecord().getFailedDirsList().equals(List.of(d2.toString())), "d2 listed as failed");
        NodeRecord record = nodeRecord();
        assertEquals(List.of(d1.toString()), record.getDataDirsList());
        assertTrue(node.healthy());
        awaitTrue(() -> healRecords().size() == setsOnD2.size(), setsOnD2.size() + " heal records");
        Map<String, List<Integer>> queued = new TreeMap<>();
        for (HealRecord h : healRecords()) {
            assertEquals("", h.getBucket());
            assertEquals("", h.getKey());
            assertTrue(h.getReason().contains(d2.toString()) && h.getReason().endsWith("on n1"), h.getReason());
            queued.put(h.getShardSet(), h.getShardsList().stream().sorted().toList());
        }
        Map<String, List<Integer>> expected = new TreeMap<>();
        setsOnD2.forEach((set, idx) -> expected.put(set, List.copyOf(idx)));
        assertEquals(expected, queued, "every shard of d2, by shard set");
        // batched: 250 sets in 3 transactions (one per 100), plus the odd registration refresh
        long revisions = revision() - revisionBefore;
        assertTrue(revisions <= 8, "etcd revisions used: " + revisions);

        // Shards on d1 still read back; shards of d2 answer NOT_FOUND at once.
        onD1.forEach((id, data) -> assertArrayEquals(data, client.read(id, 0, 0), id));
        StatusRuntimeException gone =
                assertThrows(StatusRuntimeException.class, () -> client.read(idsOnD2.get(0), 0, 0));
        assertEquals(Status.Code.NOT_FOUND, gone.getStatus().getCode());
        assertEquals(onD1.keySet(), new TreeSet<>(client.list("", "", 0)), "only d1's shards are listed");

        // New writes, including a rewrite of a lost shard (what healing does), go to d1.
        for (int i = 0; i < 20; i++) {
            String id = i == 0 ? idsOnD2.get(0) : "new" + i + ".0";
            byte[] data = randomBytes(2000, 1000 + i);
            assertEquals(d1.toString(), client.write(id, data, CHUNK).getDataDir());
            assertArrayEquals(data, client.read(id, 0, 0));
        }
        assertFalse(Files.exists(d2.resolve("shards")), "nothing written to the failed dir");
    }

    @Test
    void shardsDirReplacedByAFileFailsTheDirOnTheNextProbe() throws Exception {
        Path d1 = tmp.resolve("d1");
        Path d2 = tmp.resolve("d2");
        startNode(List.of(d1, d2));
        List<String> onD2 = new ArrayList<>();
        for (int i = 0; onD2.size() < 5; i++) {
            String id = "x" + i + ".1";
            if (Path.of(client.write(id, randomBytes(100, i), CHUNK).getDataDir())
                    .equals(d2)) onD2.add(id);
        }
        LiveDirs.delete(d2.resolve("shards"));
        Files.writeString(d2.resolve("shards"), "not a directory");
        awaitTrue(() -> nodeRecord().getFailedDirsList().equals(List.of(d2.toString())), "d2 failed");
        awaitTrue(() -> healRecords().size() == 5, "5 heal records");
        for (HealRecord h : healRecords()) assertEquals(List.of(1), h.getShardsList());
    }

    @Test
    void writeInFlightOnAFailingDirFailsCleanlyAndTheRetryLandsOnTheOtherDir() throws Exception {
        Path d1 = tmp.resolve("d1");
        Path d2 = tmp.resolve("d2");
        // no periodic probe: the failed write itself must find the bad disk
        node = StorageNode.start(new StorageNodeConfig(
                        "n1",
                        "127.0.0.1",
                        0,
                        List.of(d1, d2),
                        etcd.endpoint(),
                        KEYS.root(),
                        Duration.ofSeconds(5),
                        Scrubber.Config.DISABLED)
                .withDiskProbeInterval(Duration.ZERO));
        client = new ShardClient(node.port());
        String id = null;
        for (int i = 0; id == null; i++) {
            String candidate = "w" + i + ".2";
            try (ShardFileWriter probe = node.store().newWriter(candidate, CHUNK)) { // closing drops its temp file
                if (probe.dataDir().root().equals(d2)) id = candidate;
            }
        }
        String writing = id;
        byte[] data = randomBytes(3 * CHUNK, 7);
        CompletableFuture<WriteShardResponse> result = new CompletableFuture<>();
        StreamObserver<WriteShardRequest> requests = client.async.writeShard(ShardClient.observer(result));
        requests.onNext(ShardClient.header(id, CHUNK));
        requests.onNext(ShardClient.chunk(data, 0, CHUNK, ShardClient.crc(data, 0, CHUNK)));
        // a second chunk: the shard is not one for packing, its file is written as the chunks come
        requests.onNext(ShardClient.chunk(data, CHUNK, 2 * CHUNK, ShardClient.crc(data, CHUNK, 2 * CHUNK)));
        awaitTrue(() -> countFiles(d2.resolve("tmp"), writing) == 1, "the temp file of the write exists");
        LiveDirs.delete(d2);
        requests.onNext(ShardClient.chunk(data, 2 * CHUNK, 3 * CHUNK, ShardClient.crc(data, 2 * CHUNK, 3 * CHUNK)));
        requests.onCompleted();
        Exception e = assertThrows(Exception.class, () -> result.get(10, TimeUnit.SECONDS));
        assertEquals(Status.Code.UNAVAILABLE, Status.fromThrowable(e.getCause()).getCode(), e.toString());

        awaitTrue(() -> nodeRecord().getFailedDirsList().equals(List.of(d2.toString())), "d2 failed");
        assertEquals(d1.toString(), client.write(id, data, CHUNK).getDataDir());
        assertArrayEquals(data, client.read(id, 0, 0));
    }

    @Test
    void nodeWithEveryDirFailedStaysUpButRefusesWrites() throws Exception {
        Path d1 = tmp.resolve("d1");
        startNode(List.of(d1));
        client.write("a.0", randomBytes(100, 1), CHUNK);
        LiveDirs.delete(d1);
        awaitTrue(() -> nodeRecord().getFailedDirsList().equals(List.of(d1.toString())), "d1 failed");
        NodeRecord record = nodeRecord();
        assertEquals(0, record.getDataDirsCount());
        assertEquals(0, record.getFreeBytes());
        assertEquals(0, record.getTotalBytes());
        assertFalse(node.healthy());
        StatusRuntimeException refused =
                assertThrows(StatusRuntimeException.class, () -> client.write("b.0", randomBytes(100, 2), CHUNK));
        assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode());
        assertEquals(List.of(), client.list("", "", 0));
        awaitTrue(() -> healRecords().size() == 1, "a.0 queued");
        assertEquals(List.of(0), healRecords().get(0).getShardsList());
    }

    @Test
    void tmpfsRemountedReadOnlyIsTakenOutAndNoLongerCounted() throws Exception {
        Path d1 = mountTmpfs("m1");
        Path d2 = mountTmpfs("m2");
        startNode(List.of(d1, d2));
        List<String> onD2 = new ArrayList<>();
        Map<String, byte[]> onD1 = new TreeMap<>();
        for (int i = 0; i < 40; i++) {
            String id = "t" + i + ".5";
            byte[] data = randomBytes(5000, i);
            if (Path.of(client.write(id, data, CHUNK).getDataDir()).equals(d2)) onD2.add(id);
            else onD1.put(id, data);
        }
        assertTrue(!onD2.isEmpty() && !onD1.isEmpty());
        FileStore fs1 = Files.getFileStore(d1);
        awaitTrue(
                () -> nodeRecord().getTotalBytes()
                        == fs1.getTotalSpace() + Files.getFileStore(d2).getTotalSpace(),
                "both tmpfs counted");

        run("mount", "-o", "remount,ro", d2.toString());

        awaitTrue(() -> nodeRecord().getFailedDirsList().equals(List.of(d2.toString())), "d2 failed");
        assertEquals(fs1.getTotalSpace(), nodeRecord().getTotalBytes(), "only d1's space is counted");
        awaitTrue(() -> healRecords().size() == onD2.size(), onD2.size() + " heal records");
        for (HealRecord h : healRecords()) assertEquals(List.of(5), h.getShardsList());
        onD1.forEach((id, data) -> assertArrayEquals(data, client.read(id, 0, 0)));
        assertEquals(
                Status.Code.NOT_FOUND,
                assertThrows(StatusRuntimeException.class, () -> client.read(onD2.get(0), 0, 0))
                        .getStatus()
                        .getCode(),
                "a read-only disk is not trusted either");
        assertEquals(
                d1.toString(),
                client.write("after.0", randomBytes(5000, 99), CHUNK).getDataDir());
    }

    /**
     * A full disk is not a broken one: its probes cannot write, yet it answers, so it stays in, nothing is queued for
     * healing, every shard on it stays readable, and a write is refused as RESOURCE_EXHAUSTED until room is freed.
     */
    @Test
    void fullDiskStaysInServesItsShardsAndRefusesWritesUntilThereIsRoom() throws Exception {
        Path d1 = mountTmpfs("full");
        startNode(List.of(d1));
        Map<String, byte[]> stored = new TreeMap<>();
        for (int i = 0; i < 10; i++) {
            stored.put("full" + i + ".0", randomBytes(5000, i));
        }
        stored.forEach((id, data) -> client.write(id, data, CHUNK));
        for (int i = 0; i < 10; i++) stored.put("small" + i + ".0", randomBytes(700, 20 + i)); // one chunk: packed
        stored.forEach((id, data) -> client.write(id, data, CHUNK));
        Path filler = d1.resolve("filler");
        Tmpfs.fill(filler);

        byte[] more = randomBytes(200_000, 77);
        byte[] small = randomBytes(CHUNK, 78);
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, failure(() -> client.write("more.0", more, CHUNK)));
        for (int i = 0; i < 3; i++) { // the pack log's batch is refused, not the log
            assertEquals(Status.Code.RESOURCE_EXHAUSTED, failure(() -> client.write("small.0", small, CHUNK)));
        }
        Thread.sleep(PROBE.toMillis() * 10); // ten periodic probes

        assertEquals(List.of(), nodeRecord().getFailedDirsList(), "a full dir is not a failed one");
        assertEquals(List.of(), healRecords(), "nothing to heal");
        stored.forEach((id, data) -> assertArrayEquals(data, client.read(id, 0, 0), id));
        Files.delete(filler);
        assertEquals(d1.toString(), client.write("more.0", more, CHUNK).getDataDir());
        assertArrayEquals(more, client.read("more.0", 0, 0));
        assertEquals(d1.toString(), client.write("small.0", small, CHUNK).getDataDir());
        assertArrayEquals(small, client.read("small.0", 0, 0));
        assertTrue(client.delete("small3.0"));
        assertEquals(Status.Code.NOT_FOUND, failure(() -> client.read("small3.0", 0, 0)));
    }

    /**
     * A node with one full dir of two refuses no write: new shards, packed or files, go to the dir with room, however
     * close the two disks' sizes (the dirs here tie on free space but for the one that has none).
     */
    @Test
    void aFullDirOfTwoTakesNoNewShardsAndTheNodeRefusesNone() throws Exception {
        Path d1 = mountTmpfs("full");
        Path d2 = mountTmpfs("room");
        startNode(List.of(d1, d2));
        Tmpfs.fill(d1.resolve("filler"));
        awaitTrue(() -> node.store().space(dir(d1)).freeBytes() == 0, "the full dir's free space read as none");

        for (int i = 0; i < 40; i++) {
            String id = "new" + i + ".0";
            byte[] data = randomBytes(i % 2 == 0 ? 700 : 3000, 300 + i); // packed and files alike
            assertEquals(
                    d2.toString(), finishes(() -> client.write(id, data, CHUNK)).getDataDir(), id);
            assertArrayEquals(data, client.read(id, 0, 0), id);
        }
        assertEquals(List.of(), nodeRecord().getFailedDirsList());
    }

    /**
     * A disk that hangs: every call into the dir blocks in the kernel and never returns, as on a
     * dead NFS server or a stuck NVMe. Done for real by mounting over the dir a FUSE file system
     * whose daemon never answers; the node's threads stay blocked until the test releases it.
     */
    @Test
    void hungDiskIsTakenOutWhenItsProbeOverrunsTheTimeout() throws Exception {
        Duration timeout = Duration.ofSeconds(1);
        Spread spread = startWithShardsOnTwoDirs(timeout);
        Path d1 = spread.d1();
        Path d2 = spread.d2();
        List<String> onD2 = spread.onD2();
        Map<String, byte[]> onD1 = spread.onD1();

        long hungAt = System.nanoTime();
        hang(d2);

        awaitTrue(() -> node.store().failedRoots().equals(List.of(d2)), "d2 failed");
        long detectedMs = (System.nanoTime() - hungAt) / 1_000_000;
        // a probe starts within one interval and is given up on after the timeout; the rest is a loaded machine's slack
        long boundMs = PROBE.toMillis() + timeout.toMillis() + 3_000;
        assertTrue(detectedMs <= boundMs, "d2 failed after " + detectedMs + " ms, expected <= " + boundMs);
        System.out.println("hung data dir taken out after " + detectedMs + " ms (probe every " + PROBE.toMillis()
                + " ms, timeout " + timeout.toMillis() + " ms)");
        awaitTrue(() -> nodeRecord().getFailedDirsList().equals(List.of(d2.toString())), "d2 listed as failed in etcd");
        assertEquals(List.of(d1.toString()), nodeRecord().getDataDirsList());
        assertEquals(
                Files.getFileStore(d1).getTotalSpace(), nodeRecord().getTotalBytes(), "only d1's space is counted");
        awaitTrue(() -> healRecords().size() == onD2.size(), onD2.size() + " heal records");
        var metrics = io.basalt.testkit.PrometheusText.parse(node.metrics().render());
        assertEquals(0, metrics.value("basalt_node_data_dir_healthy", "dir", d2.toString()));
        assertEquals(1, metrics.value("basalt_node_data_dir_healthy", "dir", d1.toString()));

        // Nothing touches the hung dir any more: its shards are NOT_FOUND, not a call that never returns.
        for (String id : onD2) {
            CompletableFuture<Status.Code> read = CompletableFuture.supplyAsync(() -> {
                try {
                    client.read(id, 0, 0);
                    return Status.Code.OK;
                } catch (StatusRuntimeException e) {
                    return e.getStatus().getCode();
                }
            });
            assertEquals(Status.Code.NOT_FOUND, read.get(10, TimeUnit.SECONDS), id);
        }
        onD1.forEach((id, data) -> assertArrayEquals(data, client.read(id, 0, 0), id));
        for (int i = 0; i < 10; i++) {
            String id = i == 0 ? onD2.get(0) : "after" + i + ".0";
            byte[] data = randomBytes(2000, 100 + i);
            assertEquals(d1.toString(), client.write(id, data, CHUNK).getDataDir());
            assertArrayEquals(data, client.read(id, 0, 0));
        }
        assertEquals(
                new TreeSet<>(onD1.keySet()).size() + 10, client.list("", "", 0).size(), "only d1's shards are listed");
    }

    /**
     * Without the periodic probe, the node record's periodic refresh (free space of every dir, on the
     * thread that keeps the node registered) meets the hung disk first: it must give up on it, not hang.
     */
    @Test
    void nodeRecordRefreshFailsAHungDiskInsteadOfHanging() throws Exception {
        Path d1 = mountTmpfs("m1"); // another file system than d2's, or the record would count only one of them
        Path d2 = tmp.resolve("d2");
        node = StorageNode.start(new StorageNodeConfig(
                        "n1",
                        "127.0.0.1",
                        0,
                        List.of(d1, d2),
                        etcd.endpoint(),
                        KEYS.root(),
                        Duration.ofSeconds(5),
                        Scrubber.Config.DISABLED)
                .withDiskProbeInterval(Duration.ZERO)
                .withDiskProbeTimeout(Duration.ofSeconds(1)));
        client = new ShardClient(node.port());
        hang(d2);
        // the refresh runs every 10 s (EtcdNodeRegistration.REFRESH_INTERVAL); awaitTrue allows 20
        awaitTrue(() -> nodeRecord().getFailedDirsList().equals(List.of(d2.toString())), "d2 listed as failed in etcd");
        assertEquals(List.of(d1.toString()), nodeRecord().getDataDirsList());
        assertEquals(
                d1.toString(),
                client.write("after.0", randomBytes(100, 1), CHUNK).getDataDir());
    }

    /**
     * A disk that hangs for real (FUSE, as above), with a probe timeout long enough that the dir stays
     * healthy for the whole test: nothing but that dir's own shards waits on it. Once its probe is
     * overdue it is suspect: new shards go to d1, its own shards fail at once, and every call on d1
     * completes while d2's probe is still blocked in the kernel.
     */
    @Test
    void hungDiskBlocksNoRequestForShardsOnTheOtherDir() throws Exception {
        Spread spread = startWithShardsOnTwoDirs(Duration.ofSeconds(120));
        Path d2 = spread.d2();

        hang(d2);
        awaitTrue(() -> node.store().suspect(dir(d2)), "d2 suspect");

        assertOtherDirServesEverything(spread);
        assertEquals(List.of(), node.store().failedRoots(), "d2 is suspect, not failed: its probe has not timed out");
        assertTrue(node.store().suspect(dir(d2)), "d2 stays suspect: no probe has passed");
    }

    /**
     * In the moments after a disk hangs and before anything has noticed (no probe or free-space read
     * overdue yet), a new shard meant for the other dir is written there without a look into the
     * hung one: the store's index, not a stat of every dir, says the shard is new.
     */
    @Test
    void aNewShardForTheOtherDirNeverLooksIntoAHungDirNotYetSuspect() throws Exception {
        Spread spread = startWithShardsOnTwoDirs(Duration.ofSeconds(120));
        Path d1 = spread.d1(), d2 = spread.d2();
        hang(d2);
        ExecutorService writes = Executors.newSingleThreadExecutor();
        try {
            int written = 0;
            for (int i = 0; written < 5; i++) {
                String id = "fresh" + i + ".0";
                // both dirs on one file system tie on free space: the shard's hash picks d1 or d2
                if (Math.floorMod(ShardId.hash(id), 2) != 0) continue;
                byte[] data = randomBytes(2000, 500 + i);
                // a generous bound that only a write blocked in the kernel on d2 reaches
                ShardInfo info =
                        writes.submit(() -> client.write(id, data, CHUNK)).get(60, TimeUnit.SECONDS);
                assertEquals(d1, Path.of(info.getDataDir()), id);
                assertArrayEquals(data, client.read(id, 0, 0), id);
                written++;
            }
        } finally {
            writes.shutdownNow();
        }
    }

    /**
     * The same through the test seam at the dir's disk boundary, which can also let go: d2's probes and
     * free-space reads wait on a latch (its files stay real). Released, a probe passes and d2 takes new
     * shards again.
     */
    @Test
    void suspectDirTakesNewShardsAgainOnceAProbePasses() throws Exception {
        Spread spread = startWithShardsOnTwoDirs(Duration.ofSeconds(120));
        Path d1 = spread.d1();
        Path d2 = spread.d2();

        CountDownLatch release = new CountDownLatch(1);
        dir(d2).beforeBackgroundCall(() -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        awaitTrue(() -> node.store().suspect(dir(d2)), "d2 suspect");
        assertOtherDirServesEverything(spread);
        var metrics = io.basalt.testkit.PrometheusText.parse(node.metrics().render());
        assertEquals(1, metrics.value("basalt_node_data_dir_suspect", "dir", d2.toString()));
        assertEquals(0, metrics.value("basalt_node_data_dir_suspect", "dir", d1.toString()));
        assertEquals(1, release.getCount(), "d2's call is still blocked");

        release.countDown();
        awaitTrue(() -> !node.store().suspect(dir(d2)), "d2 answers again");
        assertEquals(List.of(), node.store().failedRoots());
        int newOnD2 = 0;
        for (int i = 0; i < 20; i++) {
            byte[] data = randomBytes(2000, 300 + i);
            String id = "again" + i + ".0";
            if (Path.of(client.write(id, data, CHUNK).getDataDir()).equals(d2)) newOnD2++;
            assertArrayEquals(data, client.read(id, 0, 0), id);
        }
        assertTrue(newOnD2 > 0, "d2 takes new shards again");
        for (String id : spread.onD2()) assertEquals(3000, client.read(id, 0, 0).length, id);
        assertEquals(40 + 20, client.list("", "", 0).size());
    }

    private void startNode(List<Path> dirs, Duration probeTimeout) throws Exception {
        node = StorageNode.start(new StorageNodeConfig(
                        "n1",
                        "127.0.0.1",
                        0,
                        dirs,
                        etcd.endpoint(),
                        KEYS.root(),
                        Duration.ofSeconds(5),
                        Scrubber.Config.DISABLED)
                .withDiskProbeInterval(PROBE)
                .withDiskProbeTimeout(probeTimeout));
        client = new ShardClient(node.port());
    }

    /** Two dirs and which of 40 shards of 3000 bytes went to each. */
    private record Spread(Path d1, Path d2, Map<String, byte[]> onD1, List<String> onD2) {}

    /** A node on two dirs holding 40 shards spread over both. */
    private Spread startWithShardsOnTwoDirs(Duration probeTimeout) throws Exception {
        Path d1 = tmp.resolve("d1");
        Path d2 = tmp.resolve("d2");
        startNode(List.of(d1, d2), probeTimeout);
        Map<String, byte[]> onD1 = new TreeMap<>();
        List<String> onD2 = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            String id = "s" + i + ".1";
            byte[] data = randomBytes(3000, i);
            if (Path.of(client.write(id, data, CHUNK).getDataDir()).equals(d2)) onD2.add(id);
            else onD1.put(id, data);
        }
        assertTrue(!onD2.isEmpty() && !onD1.isEmpty(), onD2.size() + " of 40 shards on d2");
        return new Spread(d1, d2, onD1, onD2);
    }

    /** With d2 suspect: every call finishes (a hang fails the test), d1 does all the work, d2's shards fail fast. */
    private void assertOtherDirServesEverything(Spread spread) throws Exception {
        Path d1 = spread.d1();
        Map<String, byte[]> onD1 = spread.onD1();
        List<String> onD2 = spread.onD2();
        for (int i = 0; i < 20; i++) {
            String id = "new" + i + ".0";
            byte[] data = randomBytes(2000, 100 + i);
            assertEquals(
                    d1.toString(), finishes(() -> client.write(id, data, CHUNK)).getDataDir(), id);
            assertArrayEquals(data, finishes(() -> client.read(id, 0, 0)), id);
            assertTrue(finishes(() -> client.delete(id)), id);
        }
        for (var e : onD1.entrySet()) {
            assertArrayEquals(e.getValue(), finishes(() -> client.read(e.getKey(), 0, 0)), e.getKey());
            assertEquals(3000, finishes(() -> client.stat(e.getKey())).getLength(), e.getKey());
        }
        assertEquals(Status.Code.NOT_FOUND, failure(() -> client.read("absent.0", 0, 0)));
        assertEquals(Status.Code.UNAVAILABLE, failure(() -> client.read(onD2.get(0), 0, 0)));
        assertEquals(Status.Code.UNAVAILABLE, failure(() -> client.delete(onD2.get(0))));
        assertEquals(Status.Code.UNAVAILABLE, failure(() -> client.list("", "", 0)), "a listing without d2 would lie");
    }

    /** The call's result; fails the test if it has not finished in 10 s, which only a hang explains. */
    private static <T> T finishes(java.util.function.Supplier<T> call) throws Exception {
        return CompletableFuture.supplyAsync(call).get(10, TimeUnit.SECONDS);
    }

    private static Status.Code failure(java.util.function.Supplier<?> call) throws Exception {
        return finishes(() -> {
            try {
                call.get();
                return Status.Code.OK;
            } catch (StatusRuntimeException e) {
                return e.getStatus().getCode();
            }
        });
    }

    private DataDir dir(Path root) {
        return node.store().dirs().stream()
                .filter(d -> d.root().equals(root))
                .findFirst()
                .orElseThrow();
    }

    /** Mounts over {@code dir} a FUSE file system that never answers; the test is skipped where that is not permitted. */
    private void hang(Path dir) throws Exception {
        Assumptions.assumeTrue(Files.exists(Path.of("/dev/fuse")), "no /dev/fuse here");
        // The holder keeps the FUSE device open without ever reading it, and unmounts when the test
        // closes its stdin (or in 10 minutes, should the test JVM die without doing so). mount -i: with fuse3
        // installed, mount would hand the source to /sbin/mount.fuse, which runs it as the file system's program.
        String script =
                "exec 3<>/dev/fuse || exit 1; mount -i -t fuse -o fd=3,rootmode=40000,user_id=0,group_id=0 basalt-hung "
                        + "\"$1\" || exit 1; echo mounted; read -t 600 _; umount -l \"$1\"";
        Process p = new ProcessBuilder("bash", "-c", script, "hang", dir.toString())
                .redirectErrorStream(true)
                .start();
        String first = new java.io.BufferedReader(
                        new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))
                .readLine();
        if (!"mounted".equals(first)) {
            p.destroyForcibly().waitFor();
            Assumptions.abort("cannot mount a FUSE file system here: " + first);
        }
        hungMounts.add(p);
    }

    private Path mountTmpfs(String name) throws Exception {
        Path dir = tmp.resolve(name);
        Assumptions.assumeTrue(Tmpfs.mount(dir, "8m"), "mounting a tmpfs is not permitted here");
        mounts.add(dir);
        return dir;
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, String.join(" ", command) + ": " + out);
    }

    private NodeRecord nodeRecord() throws Exception {
        List<KeyValue> kvs = etcdClient
                .getKVClient()
                .get(ByteSequence.from(KEYS.root() + "nodes/n1", StandardCharsets.UTF_8))
                .get(5, TimeUnit.SECONDS)
                .getKvs();
        return kvs.isEmpty()
                ? NodeRecord.getDefaultInstance()
                : NodeRecord.parseFrom(kvs.get(0).getValue().getBytes());
    }

    private List<HealRecord> healRecords() throws Exception {
        List<KeyValue> kvs = etcdClient
                .getKVClient()
                .get(
                        ByteSequence.from(KEYS.healPrefix(), StandardCharsets.UTF_8),
                        GetOption.builder().isPrefix(true).build())
                .get(5, TimeUnit.SECONDS)
                .getKvs();
        List<HealRecord> out = new ArrayList<>();
        for (KeyValue kv : kvs) out.add(HealRecord.parseFrom(kv.getValue().getBytes()));
        return out;
    }

    private long revision() throws Exception {
        return etcdClient
                .getKVClient()
                .get(ByteSequence.from("/", StandardCharsets.UTF_8))
                .get(5, TimeUnit.SECONDS)
                .getHeader()
                .getRevision();
    }

    private static long countFiles(Path dir, String prefix) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(prefix)).count();
        } catch (Exception e) {
            return 0;
        }
    }

    @FunctionalInterface
    interface Check {
        boolean ok() throws Exception;
    }

    static void awaitTrue(Check check, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!check.ok()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for: " + what);
            Thread.sleep(50);
        }
    }
}
