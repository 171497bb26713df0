package io.basalt.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.core.meta.ClusterAdmin;
import io.basalt.core.meta.ClusterMetadata;
import io.basalt.testkit.PrometheusText;
import io.basalt.testkit.TestBytes;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A storage node that is registered but answers nothing (a frozen process, a black-holed
 * network): reads hedge around it and writes drop its shard instead of waiting out the I/O timeout.
 * The frozen node is a real TCP listener that accepts connections and never says a word.
 */
class FrozenNodeTest {

    private static final Logger log = LogManager.getLogger(FrozenNodeTest.class);
    static final String BUCKET = "frozen";

    @TempDir
    static Path dir;

    static TestCluster cluster;
    static S3Client s3;
    static BlackHole blackHole;

    @BeforeAll
    static void start() throws Exception {
        cluster = new TestCluster(dir, 6, 4, 2);
        s3 = cluster.client();
        s3.createBucket(b -> b.bucket(BUCKET));
        blackHole = new BlackHole();
    }

    @AfterAll
    static void stop() throws Exception {
        if (s3 != null) s3.close();
        if (cluster != null) cluster.close();
        if (blackHole != null) blackHole.close();
    }

    @Test
    void readsAndWritesGoAroundAFrozenNode() throws Exception {
        Map<String, byte[]> objects = new LinkedHashMap<>();
        for (int i = 0; i < 6; i++) {
            byte[] data = TestBytes.random(i, 3 * (1 << 20) + i);
            String key = "obj-" + i;
            s3.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromBytes(data));
            objects.put(key, data);
        }
        // small objects are three copies: a read whose first copy is on the frozen node asks a second one
        for (int i = 0; i < 12; i++) {
            byte[] data = TestBytes.random(50 + i, 5000 + i);
            String key = "small-" + i;
            s3.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromBytes(data));
            objects.put(key, data);
        }
        // node-3 freezes: its registration now points at the black hole.
        cluster.freezeNode(2, blackHole.address());
        cluster.awaitLiveNodes(6);

        for (Map.Entry<String, byte[]> e : objects.entrySet()) {
            long t0 = System.nanoTime();
            assertArrayEquals(
                    e.getValue(),
                    s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(e.getKey())).asByteArray(),
                    e.getKey());
            log.info("GET {} with node-3 frozen: {} ms", e.getKey(), (System.nanoTime() - t0) / 1_000_000);
        }
        // Every object has a shard on node-3 and most a data shard or the first copy: reads hedged
        // past it (later reads start elsewhere for a second after each late answer) rather than waiting out
        // the 3 s idle timeout.
        PrometheusText metrics = PrometheusText.parse(cluster.gateway.metrics().render());
        assertTrue(metrics.value("basalt_gateway_read_hedges_total") >= 1, "no read was hedged around the frozen node");
        assertTrue(metrics.value("basalt_gateway_read_hedges_won_total") >= 1);
        for (int i = 0; i < 4; i++) {
            byte[] data = TestBytes.random(100 + i, 2 * (1 << 20));
            String key = "new-" + i;
            long t0 = System.nanoTime();
            s3.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromBytes(data));
            log.info("PUT {} with node-3 frozen: {} ms", key, (System.nanoTime() - t0) / 1_000_000);
            assertArrayEquals(
                    data, s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asByteArray(), key);
        }
        // Writes keep using node-3 until its lateness has lasted over half a second (one late answer only
        // turns reads away from it): then it is suspected, which the gateway publishes for admin status.
        try (ClusterMetadata meta = cluster.metadata()) {
            List<ClusterAdmin.Suspect> suspects = meta.admin().suspects();
            for (int i = 0; suspects.isEmpty() && i < 100; i++) {
                s3.putObject(b -> b.bucket(BUCKET).key("more"), RequestBody.fromBytes(TestBytes.random(9, 100_000)));
                Thread.sleep(20);
                suspects = meta.admin().suspects();
            }
            assertEquals(1, suspects.size(), suspects.toString());
            assertEquals("node-3", suspects.getFirst().nodeId());
            assertTrue(suspects.getFirst().reporter().startsWith("gateway@"), suspects.toString());
            assertTrue(suspects.getFirst().reason().startsWith("3+ late answers in a row over "), suspects.toString());
        }
        assertEquals(
                1, PrometheusText.parse(cluster.gateway.metrics().render()).value("basalt_gateway_suspected_nodes"));
    }
}
