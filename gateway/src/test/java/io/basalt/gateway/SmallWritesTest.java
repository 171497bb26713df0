package io.basalt.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.core.data.DataPath;
import io.basalt.core.data.SegmentEncoder;
import io.basalt.core.erasure.ReedSolomon;
import io.basalt.core.erasure.StripeLayout;
import io.basalt.core.meta.EtcdMetadata;
import io.basalt.core.meta.EtcdMetadataStore;
import io.basalt.core.meta.Versioned;
import io.basalt.core.shard.ShardClients;
import io.basalt.core.shard.ShardWriteException;
import io.basalt.proto.meta.ErasureLayout;
import io.basalt.proto.meta.NodeRecord;
import io.basalt.proto.meta.ObjectRecord;
import io.basalt.proto.meta.Segment;
import io.basalt.proto.shard.ReadShardRequest;
import io.basalt.proto.shard.ReadShardResponse;
import io.basalt.testkit.TestBytes;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32C;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Small PUTs take shortcuts: the first chunks go out before a shard stream is set up, the
 * acknowledgements are taken in the order they come, and a bucket seen a moment ago is not read
 * again. None of that may cost durability or correctness: every shard a PUT returned for is on
 * its node with the right bytes.
 */
class SmallWritesTest {

    private static final Logger log = LogManager.getLogger(SmallWritesTest.class);

    @TempDir
    static Path dir;

    static TestCluster cluster;
    static S3Client s3;
    static EtcdMetadataStore meta;
    static ShardClients clients;

    @BeforeAll
    static void start() throws Exception {
        cluster = new TestCluster(dir, 6, 4, 2);
        s3 = cluster.client();
        meta = cluster.metadataStore();
        clients = new ShardClients(cluster.clusterTls);
    }

    @AfterAll
    static void stop() throws Exception {
        if (clients != null) clients.close();
        if (meta != null) meta.close();
        if (s3 != null) s3.close();
        if (cluster != null) cluster.close();
    }

    @Test
    void everyShardOfConcurrentSmallPutsIsDurableWithTheRightBytes() throws Exception {
        s3.createBucket(b -> b.bucket("small"));
        int[] sizes = {0, 1, 4096, 4097, 65_536, 200_000};
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<byte[]>> done = new ArrayList<>();
            for (int i = 0; i < 48; i++) {
                int n = i;
                byte[] data = TestBytes.random(1000 + n, sizes[n % sizes.length]);
                done.add(pool.submit(() -> {
                    s3.putObject(b -> b.bucket("small").key("obj-" + n), RequestBody.fromBytes(data));
                    // The PUT returned: each shard it recorded must already be on its node, or, left behind
                    // after the quorum (a node slow beyond the grace under this load), queued for healing.
                    assertShardsStored(meta.getObject("small", "obj-" + n).orElseThrow(), data);
                    return data;
                }));
            }
            for (int i = 0; i < done.size(); i++) {
                byte[] data = done.get(i).get();
                int n = i;
                assertArrayEquals(
                        data,
                        s3.getObjectAsBytes(b -> b.bucket("small").key("obj-" + n))
                                .asByteArray());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aFrozenNodeCostsASmallPutTheGraceAfterItsQuorumNotATimeout() throws Exception {
        // Both timeouts far beyond the grace's ceiling (1 s): only the grace can end this write soon.
        long stallMs = 30_000, ackMs = 60_000;
        try (BlackHole blackHole = new BlackHole()) {
            List<NodeRecord> targets = frozenFirst(blackHole);
            byte[] data = TestBytes.random(77, 4096);
            List<String> failed = new ArrayList<>(), late = new ArrayList<>();
            long t0 = System.nanoTime();
            Segment seg = new SegmentEncoder(clients, stallMs, ackMs, failed::add, late::add, node -> {})
                    .write(DataPath.newShardSetId(), new ByteArrayInputStream(data), LAYOUT_4_2, targets, 5);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            log.info("4 KiB write with shard 0 on a frozen node: {} ms", ms);
            // Dropped as late (after the quorum, when the grace ran out), not failed by a timeout; how long
            // that takes is the bench's to measure (faults workload), not a test's.
            assertEquals(List.of(0), seg.getMissingShardsList());
            assertEquals(List.of("frozen"), late);
            assertEquals(List.of(), failed);
            assertShardsStored(ObjectRecord.newBuilder().addSegments(seg).build(), data);
        }
    }

    @Test
    void aFrozenNodeIsLeftBehindByAMultiStripeWriteWithinTheGraceNotTheStallTimeout() throws Exception {
        // Eight stripes: shard 0's stream fills its flow-control window and then takes nothing more,
        // so the write waits for room mid-body, with a stall timeout far beyond the grace (≤ 3 s).
        long stallMs = 30_000, ackMs = 60_000;
        try (BlackHole blackHole = new BlackHole()) {
            List<NodeRecord> targets = frozenFirst(blackHole);
            byte[] data = TestBytes.random(78, 8 << 20);
            List<String> failed = new ArrayList<>(), late = new ArrayList<>();
            long t0 = System.nanoTime();
            Segment seg = new SegmentEncoder(clients, stallMs, ackMs, failed::add, late::add, node -> {})
                    .write(DataPath.newShardSetId(), new ByteArrayInputStream(data), LAYOUT_4_2, targets, 5);
            log.info("8 MiB write with shard 0 on a frozen node: {} ms", (System.nanoTime() - t0) / 1_000_000);
            // left behind as late (the write had a shard to spare), not failed after the stall timeout
            assertEquals(List.of(0), seg.getMissingShardsList());
            assertEquals(List.of("frozen"), late);
            assertEquals(List.of(), failed);
            assertShardsStored(ObjectRecord.newBuilder().addSegments(seg).build(), data);
        }
    }

    @Test
    void aNodeTheQuorumCannotDoWithoutIsWaitedForNotDropped() throws Exception {
        try (BlackHole blackHole = new BlackHole()) {
            List<NodeRecord> targets = frozenFirst(blackHole);
            List<String> failed = new ArrayList<>(), late = new ArrayList<>();
            long ackMs = 2_000;
            // a quorum of all six: the frozen node's shard is needed, so the write waits the ack timeout and fails
            assertThrows(
                    ShardWriteException.class,
                    () -> new SegmentEncoder(clients, 30_000, ackMs, failed::add, late::add, node -> {})
                            .write(
                                    DataPath.newShardSetId(),
                                    new ByteArrayInputStream(TestBytes.random(78, 4096)),
                                    LAYOUT_4_2,
                                    targets,
                                    6));
            // reported failed (given up before a quorum existed, by the ack timeout), never dropped as late
            assertEquals(List.of("frozen"), failed);
            assertEquals(List.of(), late);
        }
    }

    @Test
    void aPutIntoABucketDeletedAMomentAgoFailsAndLeavesNothing() throws Exception {
        s3.createBucket(b -> b.bucket("gone"));
        s3.putObject(
                b -> b.bucket("gone").key("first"),
                RequestBody.fromBytes(new byte[10])); // the gateway now knows "gone"
        s3.deleteObject(b -> b.bucket("gone").key("first"));
        assertTrue(meta.getBucket("gone").isPresent());
        s3.deleteBucket(b -> b.bucket("gone"));
        int before = shardFileCount();
        S3Exception e = assertThrows(
                S3Exception.class,
                () -> s3.putObject(
                        b -> b.bucket("gone").key("late"), RequestBody.fromBytes(TestBytes.random(5, 4096))));
        assertEquals(404, e.statusCode());
        assertEquals("NoSuchBucket", e.awsErrorDetails().errorCode());
        assertFalse(meta.getObject("gone", "late").isPresent());
        // The shards written before the commit found the bucket gone are discarded (asynchronously).
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (shardFileCount() > before && System.nanoTime() < deadline) Thread.sleep(50);
        assertTrue(shardFileCount() <= before, "shards of the refused PUT were left behind");
        // Once the gateway has seen the bucket missing, it no longer takes a body for it at all.
        assertEquals(
                404,
                assertThrows(
                                S3Exception.class,
                                () -> s3.putObject(
                                        b -> b.bucket("gone").key("later"), RequestBody.fromBytes(new byte[1])))
                        .statusCode());
    }

    static final ErasureLayout LAYOUT_4_2 =
            ErasureLayout.newBuilder().setK(4).setM(2).setBlockSize(1 << 20).build();

    /** Six targets: shard 0 on the black hole (its stream never becomes ready, never answers), then five live nodes. */
    private static List<NodeRecord> frozenFirst(BlackHole blackHole) {
        List<NodeRecord> targets = new ArrayList<>();
        targets.add(NodeRecord.newBuilder()
                .setNodeId("frozen")
                .setAddress(blackHole.address())
                .build());
        Iterator<NodeRecord> live = cluster.gateway.membership().live().values().iterator();
        for (int i = 1; i < 6; i++) targets.add(live.next());
        return targets;
    }

    private static int shardFileCount() throws Exception {
        int n = 0;
        for (int i = 0; i < cluster.nodes.size(); i++) n += cluster.shards(i).size();
        return n;
    }

    /** The shards of {@code shardSet} queued for healing now, read once. */
    private static java.util.Set<Integer> queuedForHealing(String shardSet) {
        try (EtcdMetadata heals = cluster.metadata()) {
            java.util.Set<Integer> queued = new java.util.HashSet<>();
            heals.heals().first(0).stream()
                    .map(Versioned::value)
                    .filter(h -> h != null && h.getShardSet().equals(shardSet))
                    .forEach(h -> queued.addAll(h.getShardsList()));
            return queued;
        }
    }

    /** Reads every shard the record lists from its node and compares it with the body's encoding. */
    static void assertShardsStored(ObjectRecord rec, byte[] data) throws Exception {
        if (data.length == 0) {
            assertEquals(0, rec.getSegments(0).getSize());
            return;
        }
        Segment seg = rec.getSegments(0);
        StripeLayout layout = StripeLayout.of(seg.getLayout(), seg.getSize());
        int k = layout.k(), n = layout.totalShards();
        ByteArrayOutputStream[] expected = new ByteArrayOutputStream[n];
        for (int i = 0; i < n; i++) expected[i] = new ByteArrayOutputStream();
        for (long s = 0; s < layout.stripeCount(); s++) {
            int chunk = layout.chunkLength(s), start = (int) layout.stripeStart(s), len = layout.stripeLength(s);
            byte[][] shards = new byte[n][chunk];
            for (int i = 0; i < k; i++) {
                int from = i * chunk;
                if (from < len) System.arraycopy(data, start + from, shards[i], 0, Math.min(chunk, len - from));
            }
            ReedSolomon.create(k, layout.m()).encode(shards, 0, chunk);
            for (int i = 0; i < n; i++) expected[i].writeBytes(shards[i]);
        }
        var live = cluster.gateway.membership().live();
        java.util.Set<Integer> leftBehind = queuedForHealing(seg.getShardSet()); // after the PUT's quorum
        for (int i = 0; i < n; i++) {
            if (seg.getMissingShardsList().contains(i)) continue;
            if (leftBehind.contains(i)) continue;
            NodeRecord node = live.get(seg.getNodeIds(i));
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            Iterator<ReadShardResponse> it = clients.blocking(node.getAddress())
                    .readShard(ReadShardRequest.newBuilder()
                            .setShardId(SegmentEncoder.shardId(seg.getShardSet(), i))
                            .build());
            it.forEachRemaining(r -> got.writeBytes(r.getData().toByteArray()));
            byte[] want = expected[i].toByteArray();
            assertArrayEquals(want, got.toByteArray(), "shard " + i + " of " + seg.getShardSet());
            CRC32C crc = new CRC32C();
            crc.update(want);
            assertEquals((int) crc.getValue(), seg.getShardCrc32C(i), "recorded CRC of shard " + i);
        }
    }
}
