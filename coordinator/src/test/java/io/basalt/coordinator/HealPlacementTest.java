package io.basalt.coordinator;

import static io.basalt.coordinator.LeaderElectionTest.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.core.data.DataPath;
import io.basalt.core.meta.Keys;
import io.basalt.core.meta.MetadataStore.PutCondition;
import io.basalt.proto.meta.ErasureLayout;
import io.basalt.proto.meta.NodeRecord;
import io.basalt.proto.meta.ObjectRecord;
import io.basalt.proto.meta.PartRecord;
import io.basalt.proto.meta.Segment;
import io.basalt.proto.meta.UploadRecord;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where healing puts rebuilt shards (zones), and what its full scan covers (parts of uploads in progress). */
class HealPlacementTest {

    static final Keys KEYS = LocalCluster.KEYS;

    @TempDir
    Path tmp;

    LocalCluster local;
    Coordinator coordinator;

    @AfterEach
    void stop() {
        if (coordinator != null) coordinator.close();
        if (local != null) local.close();
    }

    private void startCoordinator() {
        coordinator = Coordinator.start(new Coordinator.Config(
                "c1",
                List.of(local.etcd.endpoint()),
                KEYS.root(),
                Duration.ofMinutes(10),
                Duration.ofMillis(200),
                3,
                Duration.ofHours(24),
                Duration.ofSeconds(1),
                0));
    }

    @Test
    void healKeepsEveryObjectSpreadOverAsManyZonesAsItHasShards() throws Exception {
        // 4 zones of 2 nodes, 2+2: every object has one shard per zone.
        local = LocalCluster.start(tmp, List.of("z0", "z0", "z1", "z1", "z2", "z2", "z3", "z3"));
        DataPath data = new DataPath(
                local.membership,
                local.clients,
                ErasureLayout.newBuilder()
                        .setK(2)
                        .setM(2)
                        .setBlockSize(64 << 10)
                        .build(),
                0,
                10_000);
        List<byte[]> bodies = new ArrayList<>();
        for (int i = 0; i < 12; i++) bodies.add(put(data, "obj-" + i, 90_000 + i * 1000, i));
        Map<String, NodeRecord> all = local.membership.live();
        for (int i = 0; i < 12; i++)
            assertEquals(4, zones(segment("obj-" + i), all).size(), "written spread over 4 zones");
        int held = 0;
        for (int i = 0; i < 12; i++) if (segment("obj-" + i).getNodeIdsList().contains("node-0")) held++;
        assertTrue(held > 0, "node-0 holds shards");

        startCoordinator();
        local.nodes.get(0).close();
        awaitTrue(() -> healed("node-0"), "every object healed off node-0");
        // Zone z0 is left with node-1 only: each healed shard must have gone there, not into a zone already holding
        // one.
        for (int i = 0; i < 12; i++) {
            Segment s = segment("obj-" + i);
            assertEquals(Set.of("z0", "z1", "z2", "z3"), zones(s, all), "obj-" + i + " on " + s.getNodeIdsList());
        }
        // Any two more nodes (here a whole zone) may now fail.
        local.nodes.get(2).close();
        local.nodes.get(3).close();
        awaitTrue(() -> local.membership.live().size() == 5, "zone z1 down");
        for (int i = 0; i < 12; i++) assertArrayEquals(bodies.get(i), get(data, "obj-" + i), "obj-" + i);
    }

    @Test
    void fullScanHealsPartsOfUploadsInProgress() throws Exception {
        local = LocalCluster.start(tmp, 7);
        DataPath data = new DataPath(
                local.membership,
                local.clients,
                ErasureLayout.newBuilder()
                        .setK(4)
                        .setM(2)
                        .setBlockSize(64 << 10)
                        .build(),
                0,
                10_000);
        assertTrue(local.meta.createUpload(UploadRecord.newBuilder()
                .setUploadId("up-1")
                .setBucket("b")
                .setKey("big")
                .setInitiatedUnixMs(System.currentTimeMillis())
                .build()));
        List<byte[]> parts = new ArrayList<>();
        for (int p = 1; p <= 3; p++) {
            byte[] body = random(120_000 + p * 999, p);
            Segment seg = data.write(new ByteArrayInputStream(body));
            assertTrue(local.meta.putPart(
                    local.meta.getUpload("b", "up-1").orElseThrow(),
                    PartRecord.newBuilder().setPartNumber(p).setSegment(seg).build()));
            parts.add(body);
        }
        String victim = partSegments().get(0).getNodeIds(0);

        startCoordinator();
        local.nodes.get(Integer.parseInt(victim.substring("node-".length()))).close();
        awaitTrue(
                () -> partSegments().stream().noneMatch(s -> s.getNodeIdsList().contains(victim))
                        && partSegments().stream().allMatch(s -> new HashSet<>(s.getNodeIdsList()).size() == 6),
                "every part healed off " + victim);
        // Two more holders of part 1 stop: reading it needs the rebuilt shard.
        Segment first = partSegments().get(0);
        local.nodes.get(Integer.parseInt(first.getNodeIds(1).substring(5))).close();
        local.nodes.get(Integer.parseInt(first.getNodeIds(2).substring(5))).close();
        List<Segment> now = partSegments();
        for (int p = 0; p < 3; p++) assertArrayEquals(parts.get(p), read(data, now.get(p)), "part " + (p + 1));
    }

    private boolean healed(String gone) {
        Map<String, NodeRecord> live = local.membership.live();
        for (var o : local.meta.scanObjects("b", "", true, null, 0)) {
            Segment s = o.record().getSegments(0);
            if (s.getNodeIdsList().contains(gone) || s.getMissingShardsCount() > 0) return false;
            for (String n : s.getNodeIdsList()) if (!live.containsKey(n)) return false;
        }
        return true;
    }

    private List<Segment> partSegments() {
        return local.meta.getUploadState("b", "up-1").orElseThrow().parts().stream()
                .map(PartRecord::getSegment)
                .toList();
    }

    private static Set<String> zones(Segment s, Map<String, NodeRecord> nodes) {
        Set<String> out = new HashSet<>();
        for (String n : s.getNodeIdsList()) out.add(nodes.get(n).getZone());
        return out;
    }

    private Segment segment(String key) {
        return local.meta.getObject("b", key).orElseThrow().getSegments(0);
    }

    private byte[] put(DataPath data, String key, int size, long seed) throws IOException {
        byte[] body = random(size, seed);
        Segment seg = data.write(new ByteArrayInputStream(body));
        local.meta.putObject(
                "b",
                key,
                ObjectRecord.newBuilder()
                        .setVersionId(seg.getShardSet())
                        .setSize(size)
                        .setEtag(seg.getMd5Hex())
                        .addSegments(seg)
                        .build(),
                PutCondition.NONE);
        return body;
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private byte[] get(DataPath data, String key) throws IOException {
        ObjectRecord rec = local.meta.getObject("b", key).orElseThrow();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        data.read(rec, 0, rec.getSize(), out, (s, i) -> {});
        return out.toByteArray();
    }

    private static byte[] read(DataPath data, Segment seg) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        data.read(
                ObjectRecord.newBuilder()
                        .setSize(seg.getSize())
                        .addSegments(seg)
                        .build(),
                0,
                seg.getSize(),
                out,
                (s, i) -> {});
        return out.toByteArray();
    }
}
