package io.basalt.coordinator;

import static io.basalt.coordinator.LeaderElectionTest.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.core.data.DataPath;
import io.basalt.core.meta.MetadataStore.PutCondition;
import io.basalt.proto.meta.ErasureLayout;
import io.basalt.proto.meta.HealRecord;
import io.basalt.proto.meta.NodeRecord;
import io.basalt.proto.meta.ObjectRecord;
import io.basalt.proto.meta.Segment;
import io.basalt.storage.ShardInventory;
import io.basalt.testkit.LiveDirs;
import io.basalt.testkit.PrometheusText;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One disk of one storage node goes away: the node reports every shard it held, the coordinator
 * rewrites them onto the node's other disk, and every object is back to k+m shards on disk.
 */
class DiskFailureHealTest {

    static final ErasureLayout LAYOUT =
            ErasureLayout.newBuilder().setK(4).setM(2).setBlockSize(1 << 20).build();

    @TempDir
    Path tmp;

    LocalCluster local;
    DataPath data;
    Coordinator coordinator;

    @BeforeEach
    void start() throws Exception {
        local = LocalCluster.start(tmp, 7, 2);
        data = new DataPath(local.membership, local.clients, LAYOUT, 0, 10_000);
    }

    @AfterEach
    void stop() {
        if (coordinator != null) coordinator.close();
        if (local != null) local.close();
    }

    @Test
    void shardsOfAFailedDiskAreRebuiltOntoTheNodesOtherDisk() throws Exception {
        Map<String, byte[]> bodies = new LinkedHashMap<>();
        for (int i = 0; i < 30; i++) bodies.put("obj-" + i, put("obj-" + i, 50_000 + i * 20_011, i));
        Path failed = LocalCluster.dataDirs(tmp, 0, 2).get(1);
        Path healthy = LocalCluster.dataDirs(tmp, 0, 2).get(0);
        Map<String, TreeSet<Integer>> lost = new TreeMap<>(); // shard set -> indexes on the failed disk
        for (String id : shardIds(failed)) {
            int dot = id.lastIndexOf('.');
            lost.computeIfAbsent(id.substring(0, dot), s -> new TreeSet<>())
                    .add(Integer.parseInt(id.substring(dot + 1)));
        }
        assertTrue(lost.size() >= 3, "node-0's second disk holds shards of several objects: " + lost);
        double shardIdsWrittenBefore = PrometheusText.parse(
                        local.nodes.get(0).metrics().render())
                .value("basalt_node_shard_writes_total", "code", "OK");

        LiveDirs.delete(failed);

        awaitTrue(
                () -> nodeRecord("node-0").getFailedDirsList().equals(List.of(failed.toString())),
                "node-0 reports d1 failed");
        awaitTrue(() -> healRecords().size() == lost.size(), lost.size() + " heal records");
        for (HealRecord h : healRecords()) {
            assertEquals(
                    List.copyOf(lost.get(h.getShardSet())),
                    h.getShardsList().stream().sorted().toList(),
                    h.getShardSet());
        }

        coordinator = Coordinator.start(new Coordinator.Config(
                "c1",
                List.of(local.etcd.endpoint()),
                LocalCluster.KEYS.root(),
                Duration.ofMinutes(10),
                Duration.ofMillis(200),
                3,
                Duration.ofHours(24),
                Duration.ofMinutes(5)));
        awaitTrue(() -> healRecords().isEmpty(), "heal queue drained");

        // Every segment has its 6 shards as files on the nodes its record names; the lost ones on node-0's good disk.
        List<String> onHealthy = shardIds(healthy);
        for (String key : bodies.keySet()) {
            Segment seg = segment(key);
            assertEquals(0, seg.getMissingShardsCount());
            for (int i = 0; i < 6; i++) {
                String node = seg.getNodeIds(i);
                String id = seg.getShardSet() + "." + i;
                assertTrue(shardIds(tmp.resolve(node)).contains(id), id + " on " + node);
            }
        }
        lost.forEach((set, idx) ->
                idx.forEach(i -> assertTrue(onHealthy.contains(set + "." + i), set + "." + i + " rebuilt on d0")));

        // The same story in the metrics: the coordinator's heal counters, node-0's data dir gauges.
        PrometheusText c = PrometheusText.parse(coordinator.metrics().render());
        assertEquals(1, c.value("basalt_coordinator_is_leader"));
        assertEquals(lost.size(), c.value("basalt_heal_segments_healed_total"));
        assertEquals(0, c.value("basalt_heal_segments_failed_total"));
        assertEquals(0, c.value("basalt_heal_queue_length"));
        assertTrue(c.value("basalt_heal_bytes_total") > 0);
        PrometheusText n = PrometheusText.parse(local.nodes.get(0).metrics().render());
        assertEquals(0, n.value("basalt_node_data_dir_healthy", "dir", failed.toString()));
        assertEquals(1, n.value("basalt_node_data_dir_healthy", "dir", healthy.toString()));
        assertEquals(
                lost.values().stream().mapToInt(TreeSet::size).sum(),
                n.value("basalt_node_shard_writes_total", "code", "OK") - shardIdsWrittenBefore,
                "node-0 took one write per rebuilt shard");
        assertEquals(0, local.nodes.get(0).scrubber().runPass().corrupt());

        // The object most dependent on node-0: two other holders stop, so its read needs the rebuilt shard.
        String set = lost.keySet().iterator().next();
        String key = bodies.keySet().stream()
                .filter(k -> segment(k).getShardSet().equals(set))
                .findFirst()
                .orElseThrow();
        Segment seg = segment(key);
        int stopped = 0;
        for (int i = 0; i < 6 && stopped < 2; i++) {
            String node = seg.getNodeIds(i);
            if (node.equals("node-0")) continue;
            local.nodes.get(Integer.parseInt(node.substring(5))).close();
            stopped++;
        }
        awaitTrue(() -> local.membership.live().size() == 5, "two nodes stopped");
        assertArrayEquals(bodies.get(key), get(key), key);
    }

    private byte[] put(String key, int size, long seed) throws Exception {
        byte[] body = new byte[size];
        new Random(seed).nextBytes(body);
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

    private byte[] get(String key) throws Exception {
        ObjectRecord rec = local.meta.getObject("b", key).orElseThrow();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        data.read(rec, 0, rec.getSize(), out, (s, i) -> {});
        return out.toByteArray();
    }

    private Segment segment(String key) {
        return local.meta.getObject("b", key).orElseThrow().getSegments(0);
    }

    private NodeRecord nodeRecord(String id) {
        try {
            List<KeyValue> kvs = local.meta
                    .client()
                    .getKVClient()
                    .get(ByteSequence.from(LocalCluster.KEYS.root() + "nodes/" + id, StandardCharsets.UTF_8))
                    .get()
                    .getKvs();
            return kvs.isEmpty()
                    ? NodeRecord.getDefaultInstance()
                    : NodeRecord.parseFrom(kvs.get(0).getValue().getBytes());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private List<HealRecord> healRecords() {
        try {
            List<HealRecord> out = new ArrayList<>();
            for (KeyValue kv : local.meta
                    .client()
                    .getKVClient()
                    .get(
                            ByteSequence.from(LocalCluster.KEYS.healPrefix(), StandardCharsets.UTF_8),
                            GetOption.builder().isPrefix(true).build())
                    .get()
                    .getKvs()) {
                out.add(HealRecord.parseFrom(kv.getValue().getBytes()));
            }
            return out;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Committed shards (files and packed) of every data dir at or below {@code root}. */
    private static List<String> shardIds(Path root) throws Exception {
        if (!Files.exists(root)) return List.of();
        List<Path> dataDirs;
        try (Stream<Path> s = Files.walk(root)) {
            dataDirs = s.filter(p -> Files.isDirectory(p)
                            && (p.getFileName().toString().equals("shards")
                                    || p.getFileName().toString().equals("packs")))
                    .map(Path::getParent)
                    .distinct()
                    .toList();
        }
        List<String> out = new ArrayList<>();
        for (Path d : dataDirs) for (var shard : ShardInventory.of(d)) out.add(shard.id());
        return out;
    }
}
