package io.basalt.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.core.cluster.Membership;
import io.basalt.core.data.DataPath;
import io.basalt.core.meta.EtcdMetadataStore;
import io.basalt.core.meta.Keys;
import io.basalt.core.meta.MetadataStore.PutCondition;
import io.basalt.core.shard.ShardClients;
import io.basalt.proto.meta.ErasureLayout;
import io.basalt.proto.meta.ObjectRecord;
import io.basalt.proto.meta.Segment;
import io.basalt.testkit.EtcdProcess;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shards a gateway wrote but never committed (it was killed between the two) are found and
 * deleted; committed shards, and shards queued for the GC, are left alone.
 */
class OrphanSweeperTest {

    static final Keys KEYS = LocalCluster.KEYS;
    static final ErasureLayout LAYOUT =
            ErasureLayout.newBuilder().setK(4).setM(2).setBlockSize(64 << 10).build();

    @TempDir
    Path tmp;

    LocalCluster local;
    EtcdProcess etcd;
    EtcdMetadataStore meta;
    Membership membership;
    ShardClients clients;

    @BeforeEach
    void start() throws Exception {
        local = LocalCluster.start(tmp, 6);
        etcd = local.etcd;
        meta = local.meta;
        membership = local.membership;
        clients = local.clients;
    }

    @AfterEach
    void stop() {
        if (local != null) local.close();
    }

    @Test
    void deletesUncommittedShardsOnly() throws Exception {
        DataPath data = new DataPath(membership, clients, LAYOUT, 0, 10_000);
        Random r = new Random(1);
        Set<String> kept = new TreeSet<>();
        for (int i = 0; i < 3; i++) {
            Segment seg = data.write(new ByteArrayInputStream(bytes(r, 200_000)));
            meta.putObject(
                    "b",
                    "k" + i,
                    ObjectRecord.newBuilder()
                            .setVersionId(seg.getShardSet())
                            .addSegments(seg)
                            .build(),
                    PutCondition.NONE);
            kept.add(seg.getShardSet());
        }
        // Overwriting k0 queues its first version as garbage: that is the GC's to delete, later.
        Segment replacement = data.write(new ByteArrayInputStream(bytes(r, 1000)));
        meta.putObject(
                "b",
                "k0",
                ObjectRecord.newBuilder()
                        .setVersionId(replacement.getShardSet())
                        .addSegments(replacement)
                        .build(),
                PutCondition.NONE);
        kept.add(replacement.getShardSet());
        Set<String> orphans = new TreeSet<>();
        for (int i = 0; i < 2; i++)
            orphans.add(data.write(new ByteArrayInputStream(bytes(r, 150_000))).getShardSet());
        Thread.sleep(5); // shards strictly older than the sweep's cutoff

        try (OrphanSweeper sweeper = sweeper(Duration.ZERO)) {
            long sweepTime = System.currentTimeMillis();
            int deleted = sweeper.sweep(sweepTime);
            assertEquals(12, deleted, "2 orphan shard sets x 6 shards");
            assertEquals(12, sweeper.removed.get(), "counted for basalt_orphan_shards_removed_total");
        }
        assertEquals(kept, shardSetsOnDisk());
    }

    @Test
    void queuesShardsMissingFromTheirNodeForHealing() throws Exception {
        DataPath data = new DataPath(membership, clients, LAYOUT, 0, 10_000);
        Segment seg = data.write(new ByteArrayInputStream(bytes(new Random(2), 300_000)));
        meta.putObject(
                "b",
                "lost",
                ObjectRecord.newBuilder()
                        .setVersionId(seg.getShardSet())
                        .addSegments(seg)
                        .build(),
                PutCondition.NONE);
        // a parity shard's file disappears: no read would ever notice
        String node = seg.getNodeIds(5);
        String shardId = seg.getShardSet() + ".5";
        Files.delete(shardFile(node, shardId));

        try (OrphanSweeper sweeper = sweeper(Duration.ofHours(1))) {
            long now = System.currentTimeMillis();
            assertEquals(0, sweeper.sweep(now), "nothing is old enough to be an orphan");
        }
        var kv = meta.client()
                .getKVClient()
                .get(io.etcd.jetcd.ByteSequence.from(
                        KEYS.heal(seg.getShardSet()), java.nio.charset.StandardCharsets.UTF_8))
                .get(10, java.util.concurrent.TimeUnit.SECONDS)
                .getKvs();
        assertEquals(1, kv.size(), "a heal record for the segment");
        io.basalt.proto.meta.HealRecord h =
                io.basalt.proto.meta.HealRecord.parseFrom(kv.get(0).getValue().getBytes());
        assertEquals("b", h.getBucket());
        assertEquals("lost", h.getKey());
        assertEquals(java.util.List.of(5), h.getShardsList());
    }

    @Test
    void deletesAStaleCopyOfAShardItsRecordsPlaceOnAnotherNode() throws Exception {
        DataPath data = new DataPath(membership, clients, LAYOUT, 0, 10_000);
        byte[] body = bytes(new Random(3), 300_000);
        Segment seg = data.write(new ByteArrayInputStream(body));
        meta.putObject(
                "b",
                "healed",
                ObjectRecord.newBuilder()
                        .setVersionId(seg.getShardSet())
                        .addSegments(seg)
                        .build(),
                PutCondition.NONE);
        // shard 5 was once on the node that holds shard 0 (healed away since): the GC kept that copy, as
        // its file looked newer than the garbage record, and no record names it any more
        String shardId = seg.getShardSet() + ".5";
        Path placed = shardFile(seg.getNodeIds(5), shardId);
        Path shard0 = shardFile(seg.getNodeIds(0), seg.getShardSet() + ".0");
        Path stale = shard0.resolveSibling("../" + placed.getParent().getFileName() + "/" + shardId)
                .normalize();
        Files.createDirectories(stale.getParent());
        Files.copy(placed, stale);
        // both copies written at a fixed instant, the sweep run 20 s after it: no wall clock in the outcome
        long writtenAt = 1_000_000_000_000L;
        Files.setLastModifiedTime(stale, java.nio.file.attribute.FileTime.fromMillis(writtenAt));
        Files.setLastModifiedTime(placed, java.nio.file.attribute.FileTime.fromMillis(writtenAt));

        try (OrphanSweeper sweeper = sweeper(Duration.ofSeconds(10))) {
            assertEquals(1, sweeper.sweep(writtenAt + 20_000), "the stale copy, nothing else");
        }
        assertTrue(Files.notExists(stale), "the stale copy is deleted");
        assertTrue(Files.exists(placed), "the copy the record places is kept");
        assertEquals(Set.of(seg.getShardSet()), shardSetsOnDisk());
    }

    /** The file of a shard large enough to be a file of its own (several chunks), not a pack record. */
    private Path shardFile(String node, String shardId) {
        var stored = StoredShards.get(tmp.resolve(node), shardId);
        assertTrue(!stored.packed(), shardId + " is a file");
        return stored.file();
    }

    /** A sweeper with the given grace that never runs by itself: the test calls {@code sweep}. */
    private OrphanSweeper sweeper(Duration grace) {
        return new OrphanSweeper(
                meta,
                local.metadata.heals(),
                local.metadata.garbage(),
                membership,
                clients,
                grace,
                Duration.ofHours(1));
    }

    private static byte[] bytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    private Set<String> shardSetsOnDisk() {
        Set<String> out = new TreeSet<>();
        for (int i = 0; i < 6; i++) {
            for (String id : StoredShards.ids(tmp.resolve("node-" + i))) out.add(id.substring(0, id.lastIndexOf('.')));
        }
        return out;
    }
}
