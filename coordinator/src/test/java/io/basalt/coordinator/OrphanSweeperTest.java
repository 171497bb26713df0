package io.basalt.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
import java.util.stream.Stream;
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

        try (OrphanSweeper sweeper = new OrphanSweeper(
                meta,
                local.metadata.heals(),
                local.metadata.garbage(),
                membership,
                clients,
                Duration.ZERO,
                Duration.ofHours(1))) {
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
        Path file;
        try (Stream<Path> s = Files.walk(tmp.resolve(node).resolve("shards"))) {
            file = s.filter(p -> p.getFileName().toString().equals(shardId))
                    .findFirst()
                    .orElseThrow();
        }
        Files.delete(file);

        try (OrphanSweeper sweeper = new OrphanSweeper(
                meta,
                local.metadata.heals(),
                local.metadata.garbage(),
                membership,
                clients,
                Duration.ofHours(1),
                Duration.ofHours(1))) {
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

    private static byte[] bytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    private Set<String> shardSetsOnDisk() throws Exception {
        Set<String> out = new TreeSet<>();
        for (int i = 0; i < 6; i++) {
            Path shards = tmp.resolve("node-" + i).resolve("shards");
            if (!Files.exists(shards)) continue;
            try (Stream<Path> s = Files.walk(shards)) {
                s.filter(Files::isRegularFile).forEach(p -> {
                    String id = p.getFileName().toString();
                    out.add(id.substring(0, id.lastIndexOf('.')));
                });
            }
        }
        return out;
    }
}
