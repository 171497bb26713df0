package io.basalt.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.core.meta.EtcdMetadata;
import io.basalt.core.meta.EtcdMetadataStore;
import io.basalt.core.meta.Versioned;
import io.basalt.proto.meta.Segment;
import io.basalt.testkit.FreePorts;
import io.basalt.testkit.PrometheusText;
import io.basalt.testkit.TestBytes;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A node paused for a second or so (SIGSTOP, a long GC, a stalled disk) and then back. The writes that meet the
 * pause after it was noticed are answered without waiting for it, and they wait for its shards after the answer
 * longer than the grace, so the node writes them when it resumes and nothing is left to heal.
 */
class PausedNodeTest {

    @TempDir
    Path dir;

    private TestCluster cluster;
    private S3Client s3;
    private PausableProxy node3;
    private EtcdMetadata meta;
    private EtcdMetadataStore records;

    /** Six nodes, 4+2, bucket "paused"; node-3's data port (which shard writes use) is reached through a relay. */
    @BeforeEach
    void start() throws Exception {
        int dataPort = FreePorts.allocate();
        node3 = new PausableProxy(dataPort);
        UnaryOperator<io.basalt.storage.StorageNodeConfig> relayNode3 =
                c -> c.nodeId().equals("node-3") ? c.withDataPort(dataPort).withAdvertiseData(node3.address()) : c;
        cluster = new TestCluster(dir, 6, 4, 2, UnaryOperator.identity(), relayNode3);
        s3 = cluster.client();
        meta = cluster.metadata();
        records = cluster.metadataStore();
        s3.createBucket(b -> b.bucket("paused"));
    }

    @AfterEach
    @SuppressWarnings("try") // the resources are only there to be closed, in reverse order, the cluster last
    void close() throws Exception {
        try (TestCluster c = cluster;
                S3Client client = s3;
                PausableProxy p = node3;
                EtcdMetadata m = meta;
                EtcdMetadataStore r = records) {}
    }

    @Test
    void aWriteAnsweredWhileItsNodeWasPausedGetsThatNodesShardWhenItResumes() throws Exception {
        s3.putObject(b -> b.bucket("paused").key("warm"), RequestBody.fromBytes(TestBytes.random(1, 300_000)));
        node3.pause();
        // The first writes wait the grace for node-3 (every 4+2 write of six nodes has a shard there) and give its
        // shard up, which marks it late; the next one is answered without waiting for it.
        String key = null;
        byte[] data = null;
        for (int i = 0; i < 10 && key == null; i++) {
            double before = metric("basalt_gateway_write_settled_after_answer_total");
            String name = "obj-" + i;
            byte[] bytes = TestBytes.random(100 + i, 300_000);
            s3.putObject(b -> b.bucket("paused").key(name), RequestBody.fromBytes(bytes));
            if (metric("basalt_gateway_write_settled_after_answer_total") > before) {
                key = name;
                data = bytes;
            }
        }
        assertNotNull(key, "no write was answered before its shard on the paused node settled");
        Thread.sleep(1_200); // longer than any grace (1 s at most): only a longer wait keeps the shard
        double keptBefore = metric("basalt_gateway_write_shards_kept_late_total");
        assertTrue(
                metric("basalt_gateway_body_memory_lingering_bytes") >= 300_000 / 4,
                "the waiting write holds what it sent node-3 in its own budget");
        node3.resume();

        awaitMetric("basalt_gateway_write_shards_kept_late_total", v -> v > keptBefore, "a shard kept");
        awaitMetric("basalt_gateway_body_memory_lingering_bytes", v -> v == 0, "the waits' memory given back");
        Segment seg = records.getObject("paused", key).orElseThrow().getSegments(0);
        int onNode3 = seg.getNodeIdsList().indexOf("node-3");
        assertTrue(onNode3 >= 0 && !seg.getMissingShardsList().contains(onNode3), "node-3's shard: " + seg);
        Thread.sleep(200); // a shard given up would be queued for healing at once
        String shardSet = seg.getShardSet();
        assertTrue(
                meta.heals().first(0).stream()
                        .map(Versioned::value)
                        .noneMatch(h -> h != null && h.getShardSet().equals(shardSet)),
                "the shard kept was queued for healing");
        // Its bytes are on node-3: with two other holders stopped, the object reads from four shards, node-3's one
        for (int i = 0, stopped = 0; stopped < 2; i++) {
            String node = seg.getNodeIds(i);
            if (node.equals("node-3")) continue;
            cluster.stopNode(Integer.parseInt(node.substring("node-".length())) - 1);
            stopped++;
        }
        String k = key;
        assertArrayEquals(
                data, s3.getObjectAsBytes(b -> b.bucket("paused").key(k)).asByteArray());
        assertEquals(data.length, s3.headObject(b -> b.bucket("paused").key(k)).contentLength());
    }

    /**
     * Polls until the gateway's {@code name} satisfies {@code condition}. The bound only ends a test that would
     * otherwise hang: what it waits for takes milliseconds, so it is generous for a shared, loaded machine.
     */
    private void awaitMetric(String name, java.util.function.DoublePredicate condition, String what)
            throws InterruptedException {
        for (int polls = 0; !condition.test(metric(name)); polls++) {
            if (polls == 3_000) throw new AssertionError("not seen in 3,000 polls (60 s or more): " + what);
            Thread.sleep(20);
        }
    }

    private double metric(String name) {
        return PrometheusText.parse(cluster.gateway.metrics().render()).value(name);
    }
}
