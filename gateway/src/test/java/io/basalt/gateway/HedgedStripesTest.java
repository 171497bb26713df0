package io.basalt.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.core.meta.EtcdMetadataStore;
import io.basalt.proto.meta.Segment;
import io.basalt.testkit.PrometheusText;
import io.basalt.testkit.TestBytes;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A read that has to decode, with a parity shard it starts on held by a frozen node: the stripe
 * reader opens the other parity shard beside the silent one once the hedge delay passes, instead
 * of waiting out the idle timeout, and goes on without the frozen one for the rest of the object.
 */
class HedgedStripesTest {

    static final String BUCKET = "hedged";

    @TempDir
    static Path dir;

    static TestCluster cluster;
    static S3Client s3;
    static EtcdMetadataStore meta;
    static BlackHole blackHole;

    @BeforeAll
    static void start() throws Exception {
        cluster = new TestCluster(dir, 6, 4, 2);
        s3 = cluster.client();
        s3.createBucket(b -> b.bucket(BUCKET));
        meta = cluster.metadataStore();
        blackHole = new BlackHole();
    }

    @AfterAll
    static void stop() throws Exception {
        if (meta != null) meta.close();
        if (s3 != null) s3.close();
        if (cluster != null) cluster.close();
        if (blackHole != null) blackHole.close();
    }

    @Test
    void aFrozenParityShardIsHedgedAroundOnEveryStripe() throws Exception {
        byte[] data = TestBytes.random(7, 8 * (1 << 20) + 12_345); // nine stripes, the last one short
        s3.putObject(b -> b.bucket(BUCKET).key("obj"), RequestBody.fromBytes(data));
        Segment seg = meta.getObject(BUCKET, "obj").orElseThrow().getSegments(0);
        assertEquals(6, seg.getNodeIdsCount());
        // Data shard 0's node is down, so the read decodes from the start: it opens data shards 1-3
        // and parity shard 4, the first parity, whose node is frozen.
        cluster.stopNode(nodeIndex(seg.getNodeIds(0)));
        cluster.freezeNode(nodeIndex(seg.getNodeIds(4)), blackHole.address());
        cluster.awaitLiveNodes(5);

        PrometheusText before = PrometheusText.parse(cluster.gateway.metrics().render());
        assertArrayEquals(
                data, s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("obj")).asByteArray());
        PrometheusText after = PrometheusText.parse(cluster.gateway.metrics().render());
        // Without a hedge the frozen shard would be failed after the idle timeout, not hedged around.
        assertTrue(
                after.value("basalt_gateway_read_hedges_won_total")
                        > before.value("basalt_gateway_read_hedges_won_total"),
                "the read waited on the frozen parity shard instead of hedging around it");

        // Ranged reads of the decoded object, one inside a stripe and one across several.
        assertArrayEquals(Arrays.copyOfRange(data, 100, 5000), range(100, 4999));
        assertArrayEquals(Arrays.copyOfRange(data, 700_000, 3_900_000), range(700_000, 3_899_999));
    }

    private static byte[] range(long first, long last) {
        return s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("obj").range("bytes=" + first + "-" + last))
                .asByteArray();
    }

    private static int nodeIndex(String nodeId) {
        return Integer.parseInt(nodeId.substring("node-".length())) - 1;
    }
}
