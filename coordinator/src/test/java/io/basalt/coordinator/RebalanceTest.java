package io.basalt.coordinator;

import static io.basalt.coordinator.LeaderElectionTest.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.coordinator.admin.AdminRequests;
import io.basalt.core.data.DataPath;
import io.basalt.core.meta.Keys;
import io.basalt.core.meta.MetadataStore.PutCondition;
import io.basalt.proto.meta.ErasureLayout;
import io.basalt.proto.meta.ObjectRecord;
import io.basalt.proto.meta.Segment;
import io.basalt.testkit.PrometheusText;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.options.GetOption;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code basalt admin rebalance} after adding an empty node: it gets its share, and nothing more moves. */
class RebalanceTest {

    static final Keys KEYS = LocalCluster.KEYS;
    static final ErasureLayout LAYOUT =
            ErasureLayout.newBuilder().setK(4).setM(2).setBlockSize(64 << 10).build();
    static final int OBJECTS = 14;

    @TempDir
    Path tmp;

    LocalCluster local;
    DataPath data;
    Coordinator coordinator;

    @BeforeEach
    void start() throws Exception {
        local = LocalCluster.start(tmp, 6);
        data = new DataPath(local.membership, local.clients, LAYOUT, 0, 10_000);
    }

    @AfterEach
    void stop() {
        if (coordinator != null) coordinator.close();
        if (local != null) local.close();
    }

    @Test
    void rebalanceAfterAddingAnEmptyNodeMovesItsShareToItAndNoMore() throws Exception {
        // Equal objects, 4+2 over 6 nodes: every node holds one equal shard of each.
        Map<String, byte[]> bodies = new TreeMap<>();
        for (int i = 0; i < OBJECTS; i++) bodies.put("obj-" + i, put("obj-" + i, 200_000, i));
        local.addNode("");
        awaitTrue(() -> local.membership.live().size() == 7, "node-6 live");
        // A new node takes new writes at once: each write uses 6 of the 7 nodes (odds of 8 misses: 1 in 6 million).
        boolean onNewNode = false;
        for (int i = 0; i < 8; i++) {
            Segment fresh = data.write(new ByteArrayInputStream(new byte[10]));
            onNewNode |= fresh.getNodeIdsList().contains("node-6");
            data.discard(fresh);
        }
        assertTrue(onNewNode, "node-6 received shards of new writes");
        Map<String, List<String>> before = placements();
        assertEquals(
                Map.of(
                        "node-0", OBJECTS, "node-1", OBJECTS, "node-2", OBJECTS, "node-3", OBJECTS, "node-4", OBJECTS,
                        "node-5", OBJECTS),
                shardsPerNode(before));

        coordinator = Coordinator.start(new Coordinator.Config(
                "c1",
                List.of(local.etcd.endpoint()),
                KEYS.root(),
                Duration.ZERO,
                Duration.ofMillis(100),
                3,
                Duration.ofHours(24),
                Duration.ofMinutes(5),
                0));
        AdminRequests.rebalance(local.metadata.admin(), 0);
        awaitTrue(() -> !requestPending(), "rebalance finished");

        Map<String, List<String>> after = placements();
        int moves = 0;
        for (var e : before.entrySet()) {
            List<String> was = e.getValue();
            List<String> now = after.get(e.getKey());
            assertEquals(6, new HashSet<>(now).size(), "six distinct nodes: " + now);
            for (int i = 0; i < was.size(); i++) {
                if (!was.get(i).equals(now.get(i))) {
                    moves++;
                    assertEquals("node-6", now.get(i), "only the new node is below the mean");
                }
            }
        }
        // 84 shards over 7 nodes is 12 each: exactly 12 moves, the fewest that even it out.
        assertEquals(12, moves);
        PrometheusText metrics = PrometheusText.parse(coordinator.metrics().render());
        assertEquals(12, metrics.value("basalt_rebalance_shards_moved_total"));
        assertEquals(0, metrics.value("basalt_rebalance_shards_failed_total"));
        assertTrue(metrics.value("basalt_rebalance_bytes_total") > 0);
        Map<String, Integer> perNode = shardsPerNode(after);
        for (int n = 0; n < 7; n++) assertEquals(12, perNode.get("node-" + n), "node-" + n + " in " + perNode);
        for (var e : bodies.entrySet()) assertArrayEquals(e.getValue(), get(e.getKey()), e.getKey());

        // Idempotent: asked again on an even cluster, it moves nothing.
        AdminRequests.rebalance(local.metadata.admin(), 0);
        awaitTrue(() -> !requestPending(), "second rebalance finished");
        assertEquals(after, placements());
    }

    private Map<String, List<String>> placements() {
        Map<String, List<String>> out = new TreeMap<>();
        for (var o : local.meta.scanObjects("b", "", true, null, 0)) {
            Segment s = o.record().getSegments(0);
            out.put(s.getShardSet(), s.getNodeIdsList());
        }
        return out;
    }

    private static Map<String, Integer> shardsPerNode(Map<String, List<String>> placements) {
        Map<String, Integer> out = new TreeMap<>();
        for (List<String> nodes : placements.values()) for (String n : nodes) out.merge(n, 1, Integer::sum);
        return out;
    }

    private boolean requestPending() {
        try {
            return local.meta
                            .client()
                            .getKVClient()
                            .get(
                                    ByteSequence.from(KEYS.adminRebalanceRequest(), StandardCharsets.UTF_8),
                                    GetOption.builder().withCountOnly(true).build())
                            .get()
                            .getCount()
                    > 0;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private byte[] put(String key, int size, long seed) throws IOException {
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

    private byte[] get(String key) throws IOException {
        ObjectRecord rec = local.meta.getObject("b", key).orElseThrow();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        data.read(rec, 0, rec.getSize(), out, (s, i) -> {});
        return out.toByteArray();
    }
}
