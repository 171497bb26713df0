package io.basalt.coordinator;

import static io.basalt.coordinator.LeaderElectionTest.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.core.cluster.Membership;
import io.basalt.core.data.DataPath;
import io.basalt.core.data.Layouts;
import io.basalt.core.meta.EtcdMetadata;
import io.basalt.core.meta.EtcdMetadataStore;
import io.basalt.core.meta.Keys;
import io.basalt.core.meta.MetadataStore.PutCondition;
import io.basalt.core.shard.ShardClients;
import io.basalt.proto.meta.BucketRecord;
import io.basalt.proto.meta.ErasureLayout;
import io.basalt.proto.meta.HealRecord;
import io.basalt.proto.meta.ObjectRecord;
import io.basalt.proto.meta.PartRecord;
import io.basalt.proto.meta.Segment;
import io.basalt.proto.meta.UploadRecord;
import io.basalt.storage.StorageNode;
import io.basalt.storage.StorageNodeConfig;
import io.basalt.testkit.EtcdProcess;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Healing against real etcd and real storage nodes: every object returns to k+m healthy shards. */
class HealerTest {

    static final Keys KEYS = Keys.defaults();
    static final ErasureLayout LAYOUT =
            ErasureLayout.newBuilder().setK(4).setM(2).setBlockSize(1 << 20).build();

    @TempDir
    Path tmp;

    EtcdProcess etcd;
    final List<StorageNode> nodes = new ArrayList<>();
    EtcdMetadataStore meta;
    Membership membership;
    ShardClients clients;
    DataPath data;
    Coordinator coordinator;

    @BeforeEach
    void start() throws Exception {
        etcd = EtcdProcess.start(tmp.resolve("etcd"));
        for (int i = 0; i < 7; i++) nodes.add(startNode(i));
        meta = EtcdMetadataStore.connect(List.of(etcd.endpoint()), KEYS);
        EtcdMetadata metadata = EtcdMetadata.over(meta.client(), KEYS);
        membership = Membership.start(metadata.nodes(), metadata.admin());
        clients = new ShardClients();
        data = new DataPath(membership, clients, LAYOUT, 0, 10_000);
        meta.createBucket(BucketRecord.newBuilder().setName("b").build());
        awaitTrue(() -> membership.live().size() == 7, "7 nodes live");
    }

    private StorageNode startNode(int i) throws IOException {
        return StorageNode.start(new StorageNodeConfig(
                "node-" + i,
                "127.0.0.1",
                0,
                List.of(tmp.resolve("node-" + i)),
                etcd.endpoint(),
                KEYS.root(),
                Duration.ofSeconds(3)));
    }

    @AfterEach
    void stop() {
        if (coordinator != null) coordinator.close();
        if (membership != null) membership.close();
        if (clients != null) clients.close();
        if (meta != null) meta.close();
        for (StorageNode n : nodes) {
            try {
                n.close();
            } catch (RuntimeException ignored) {
                // stopped by the test
            }
        }
        if (etcd != null) etcd.close();
    }

    @Test
    void rebuildsShardsMissingSinceTheWriteAndAfterANodeDies() throws Exception {
        // 4+2 over 7 nodes with two down: objects are written with 5 of 6 shards... but need 5 live
        nodes.get(6).close();
        awaitTrue(() -> membership.live().size() == 6, "node-6 gone");
        List<byte[]> bodies = new ArrayList<>();
        for (int i = 0; i < 10; i++) bodies.add(put("obj-" + i, 1_500_000 + i * 77_777, i));

        // node-0 dies; objects holding a shard there are healed after the grace period
        nodes.get(0).close();
        awaitTrue(() -> membership.live().size() == 5, "node-0 gone");
        byte[] degraded = put("written-degraded", 2_345_678, 99); // 5 shards, one missing
        assertEquals(1, segment("written-degraded").getMissingShardsCount());
        nodes.set(6, startNode(6));
        awaitTrue(() -> membership.live().size() == 6, "node-6 back");

        startCoordinator(Duration.ofSeconds(2));
        awaitTrue(() -> allHealthy(), "every object back to 6 healthy shards on live nodes");

        // With full redundancy restored, any two more nodes may go.
        nodes.get(1).close();
        nodes.get(2).close();
        awaitTrue(() -> membership.live().size() == 4, "two more nodes gone");
        for (int i = 0; i < 10; i++) assertArrayEquals(bodies.get(i), get("obj-" + i), "obj-" + i);
        assertArrayEquals(degraded, get("written-degraded"));
    }

    @Test
    void healsManySegmentsAtOnceUnthrottledAndEveryObjectReadsBackExact() throws Exception {
        List<byte[]> bodies = new ArrayList<>();
        for (int i = 0; i < 40; i++) bodies.add(put("many-" + i, 300_000 + i * 61_111, 1000 + i));
        // the settings an operator would give for a fast heal: many segments at once, no byte cap
        putSetting("heal-parallelism", "8");
        putSetting("heal-rate-mbps", "0");
        nodes.get(0).close();
        awaitTrue(() -> membership.live().size() == 6, "node-0 gone");

        startCoordinator(Duration.ofSeconds(1));
        awaitTrue(() -> allHealthy(), "every object back to 6 healthy shards on live nodes");
        awaitTrue(this::healQueueEmpty, "heal queue empty");

        // Full redundancy for real: with two more nodes gone every object still reads back exact.
        nodes.get(1).close();
        nodes.get(2).close();
        awaitTrue(() -> membership.live().size() == 4, "two more nodes gone");
        for (int i = 0; i < 40; i++) assertArrayEquals(bodies.get(i), get("many-" + i), "many-" + i);
    }

    @Test
    void healsObjectsStoredAsCopiesBackToThreeCopies() throws Exception {
        // what a gateway with --small-object-threshold writes: 1+2 up to the threshold, 4+2 above
        DataPath sized = new DataPath(membership, clients, new Layouts(LAYOUT, 100_000), 0, 10_000);
        List<byte[]> bodies = new ArrayList<>();
        for (int i = 0; i < 24; i++) bodies.add(put(sized, "sized-" + i, i < 20 ? 1 + i * 5_000 : 300_000 + i, i));
        for (int i = 0; i < 24; i++)
            assertEquals(i < 20 ? 1 : 4, segment("sized-" + i).getLayout().getK());
        nodes.get(0).close();
        awaitTrue(() -> membership.live().size() == 6, "node-0 gone");

        startCoordinator(Duration.ofSeconds(1));
        awaitTrue(() -> allHealthy(), "every object back to k+m healthy shards on live nodes");
        awaitTrue(this::healQueueEmpty, "heal queue empty");
        for (int i = 0; i < 20; i++) {
            Segment seg = segment("sized-" + i);
            for (int copy = 0; copy < 3; copy++) {
                assertTrue(StoredShards.find(nodeDir(nodeIndex(seg.getNodeIds(copy))), seg.getShardSet() + "." + copy)
                        .isPresent());
            }
        }
        // three copies for real: with two more nodes gone every object still reads back exact
        nodes.get(1).close();
        nodes.get(2).close();
        awaitTrue(() -> membership.live().size() == 4, "two more nodes gone");
        for (int i = 0; i < 24; i++) assertArrayEquals(bodies.get(i), get("sized-" + i), "sized-" + i);
    }

    /** A coordinator collecting garbage after 10 min, every 200 ms, with a 3 s lease and this heal grace. */
    private void startCoordinator(Duration healGrace) {
        coordinator = Coordinator.start(new Coordinator.Config(
                "c1",
                List.of(etcd.endpoint()),
                KEYS.root(),
                Duration.ofMinutes(10),
                Duration.ofMillis(200),
                3,
                Duration.ofHours(24),
                healGrace));
    }

    private void putSetting(String name, String value) throws Exception {
        meta.client()
                .getKVClient()
                .put(
                        io.etcd.jetcd.ByteSequence.from(KEYS.config(name), java.nio.charset.StandardCharsets.UTF_8),
                        io.etcd.jetcd.ByteSequence.from(value, java.nio.charset.StandardCharsets.UTF_8))
                .get();
    }

    @Test
    void healsAShardWhoseWriteFailedOntoItsNodeWhenEveryLiveNodeHoldsAShard() throws Exception {
        // exactly k+m nodes live, and a slot recorded missing still names the node whose write failed
        // (it was paused or its disk full): that node is the only place the shard can go
        nodes.get(6).close();
        awaitTrue(() -> membership.live().size() == 6, "node-6 gone");
        byte[] body = new byte[1_234_567];
        new Random(7).nextBytes(body);
        Segment written = data.write(new ByteArrayInputStream(body));
        int slot = 5;
        String node = written.getNodeIds(slot);
        assertTrue(StoredShards.get(nodeDir(Integer.parseInt(node.substring(5))), written.getShardSet() + "." + slot)
                .lose());
        Segment seg = written.toBuilder().addMissingShards(slot).build();
        meta.putObject(
                "b",
                "failed-write",
                ObjectRecord.newBuilder()
                        .setVersionId(seg.getShardSet())
                        .setSize(body.length)
                        .setEtag(seg.getMd5Hex())
                        .addSegments(seg)
                        .build(),
                PutCondition.NONE);
        meta.queueHeal(HealRecord.newBuilder()
                .setBucket("b")
                .setKey("failed-write")
                .setShardSet(seg.getShardSet())
                .addShards(slot)
                .setReason("written below full redundancy")
                .build());

        startCoordinator(Duration.ofSeconds(2));
        awaitTrue(
                () -> healQueueEmpty() && segment("failed-write").getMissingShardsCount() == 0,
                "the missing shard healed");
        assertEquals(node, segment("failed-write").getNodeIds(slot), "written to the node that had failed it");
        assertTrue(StoredShards.find(nodeDir(Integer.parseInt(node.substring(5))), seg.getShardSet() + "." + slot)
                .isPresent());
        assertArrayEquals(body, get("failed-write"));
    }

    @Test
    void healsNoncurrentVersionsOfAVersionedBucketToo() throws Exception {
        assertTrue(meta.setVersioning("b", true));
        byte[] v1 = put("versioned", 1_300_000, 41);
        String v1Id = meta.getVersion("b", "versioned", null).orElseThrow().getVersionId();
        byte[] v2 = put("versioned", 1_100_000, 42);
        assertEquals(2, meta.versionsWithData("b", "versioned").size(), "the first is noncurrent now");

        nodes.get(0).close();
        awaitTrue(() -> membership.live().size() == 6, "node-0 gone");
        startCoordinator(Duration.ofSeconds(2));
        awaitTrue(
                () -> meta.versionsWithData("b", "versioned").stream()
                        .map(r -> r.getSegments(0))
                        .allMatch(seg -> seg.getMissingShardsCount() == 0
                                && seg.getNodeIdsList().stream().allMatch(membership.live()::containsKey)),
                "both versions back on live nodes");
        nodes.get(1).close();
        nodes.get(2).close();
        awaitTrue(() -> membership.live().size() == 4, "two more nodes gone");
        assertArrayEquals(v2, get("versioned"));
        ObjectRecord old = meta.getVersion("b", "versioned", v1Id).orElseThrow();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        data.read(old, 0, old.getSize(), out, (s, i) -> {});
        assertArrayEquals(v1, out.toByteArray(), "the noncurrent version reads back exact");
    }

    @Test
    void rewritesACorruptShardInPlace() throws Exception {
        byte[] body = put("rot", 3_000_000, 5);
        Segment seg = segment("rot");
        int victim = 2;
        StoredShards.rot(
                nodeDir(Integer.parseInt(seg.getNodeIds(victim).substring(5))), seg.getShardSet() + "." + victim);
        meta.queueHeal(HealRecord.newBuilder()
                .setBucket("b")
                .setKey("rot")
                .setShardSet(seg.getShardSet())
                .addShards(victim)
                .setReason("test")
                .build());
        startCoordinator(Duration.ofSeconds(2));
        awaitTrue(() -> healQueueEmpty(), "heal record processed");
        assertEquals(seg.getNodeIds(victim), segment("rot").getNodeIds(victim), "rewritten on the same node");
        // The other data shards can now go: the rewritten shard must be good.
        for (int i = 0; i < 4; i++) {
            if (i != victim)
                nodes.get(Integer.parseInt(seg.getNodeIds(i).substring(5))).close();
            if (i == 1) break;
        }
        assertArrayEquals(body, get("rot"));
    }

    @Test
    void healsWhatTheScrubFindsAndDropsReportsOfUnreferencedShards() throws Exception {
        byte[] body = put("rot", 3_000_000, 7);
        Segment seg = segment("rot");
        int victim = 1;
        int victimNode = nodeIndex(seg.getNodeIds(victim));
        StoredShards.rot(nodeDir(victimNode), seg.getShardSet() + "." + victim);

        // a part of an upload in progress, and a shard set no record references (a failed PUT's)
        meta.createUpload(UploadRecord.newBuilder()
                .setUploadId("up-1")
                .setBucket("b")
                .setKey("big")
                .setInitiatedUnixMs(System.currentTimeMillis())
                .build());
        byte[] partBody = new byte[1_200_000];
        new Random(8).nextBytes(partBody);
        Segment part = data.write(new ByteArrayInputStream(partBody));
        assertTrue(meta.putPart(
                meta.getUpload("b", "up-1").orElseThrow(),
                PartRecord.newBuilder().setPartNumber(1).setSegment(part).build()));
        assertEquals(1, meta.listUploads("b").size());
        assertEquals(1, meta.getUploadState("b", "up-1").orElseThrow().parts().size());
        int partNode = nodeIndex(part.getNodeIds(4));
        StoredShards.rot(nodeDir(partNode), part.getShardSet() + ".4");
        Segment orphan = data.write(new ByteArrayInputStream(new byte[500_000]));
        StoredShards.rot(nodeDir(nodeIndex(orphan.getNodeIds(0))), orphan.getShardSet() + ".0");

        long corrupt = 0;
        for (StorageNode n : nodes) corrupt += n.scrubber().runPass().corrupt();
        assertEquals(3, corrupt);
        HealRecord queued = HealRecord.parseFrom(meta.client()
                .getKVClient()
                .get(io.etcd.jetcd.ByteSequence.from(
                        KEYS.heal(seg.getShardSet()), java.nio.charset.StandardCharsets.UTF_8))
                .get()
                .getKvs()
                .get(0)
                .getValue()
                .getBytes());
        assertEquals("", queued.getBucket());
        assertEquals(List.of(victim), queued.getShardsList());
        assertTrue(
                queued.getReason().matches("scrub found corrupt chunk \\d+ on node-" + victimNode), queued.getReason());

        startCoordinator(Duration.ofSeconds(2));
        awaitTrue(() -> healQueueEmpty(), "scrub reports processed");
        assertEquals(seg.getNodeIds(victim), segment("rot").getNodeIds(victim), "rewritten on the same node");

        // Only the unreferenced shard is still corrupt: the object's and the part's were rewritten.
        corrupt = 0;
        for (StorageNode n : nodes) corrupt += n.scrubber().runPass().corrupt();
        assertEquals(1, corrupt);

        // m = 2 other holders of the object stop: the read needs the rewritten shard.
        int stopped = 0;
        for (int i = 0; i < 6 && stopped < 2; i++) {
            if (i == victim) continue;
            nodes.get(nodeIndex(seg.getNodeIds(i))).close();
            stopped++;
        }
        assertArrayEquals(body, get("rot"));
    }

    private static int nodeIndex(String nodeId) {
        return Integer.parseInt(nodeId.substring("node-".length()));
    }

    private byte[] put(String key, int size, long seed) throws IOException {
        return put(data, key, size, seed);
    }

    private byte[] put(DataPath data, String key, int size, long seed) throws IOException {
        byte[] body = new byte[size];
        new Random(seed).nextBytes(body);
        Segment seg = data.write(new ByteArrayInputStream(body), size);
        ObjectRecord rec = ObjectRecord.newBuilder()
                .setVersionId(seg.getShardSet())
                .setSize(size)
                .setEtag(seg.getMd5Hex())
                .addSegments(seg)
                .build();
        meta.putObject("b", key, rec, PutCondition.NONE);
        return body;
    }

    private byte[] get(String key) throws IOException {
        ObjectRecord rec = meta.getObject("b", key).orElseThrow();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        data.read(rec, 0, rec.getSize(), out, (s, i) -> {});
        return out.toByteArray();
    }

    private Segment segment(String key) {
        return meta.getObject("b", key).orElseThrow().getSegments(0);
    }

    private boolean allHealthy() {
        var live = membership.live();
        for (var o : meta.scanObjects("b", "", true, null, 1000)) {
            Segment s = o.record().getSegments(0);
            if (s.getMissingShardsCount() > 0) return false;
            if (new HashSet<>(s.getNodeIdsList()).size()
                    != s.getLayout().getK() + s.getLayout().getM()) return false;
            for (String n : s.getNodeIdsList()) if (!live.containsKey(n)) return false;
        }
        return true;
    }

    private boolean healQueueEmpty() {
        try {
            return meta.client()
                            .getKVClient()
                            .get(
                                    io.etcd.jetcd.ByteSequence.from(
                                            KEYS.healPrefix(), java.nio.charset.StandardCharsets.UTF_8),
                                    io.etcd.jetcd.options.GetOption.builder()
                                            .isPrefix(true)
                                            .withCountOnly(true)
                                            .build())
                            .get()
                            .getCount()
                    == 0;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private Path nodeDir(int node) {
        return tmp.resolve("node-" + node);
    }
}
