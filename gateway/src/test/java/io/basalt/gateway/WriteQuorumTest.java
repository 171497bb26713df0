package io.basalt.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.basalt.testkit.TestBytes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** The gateway's --write-quorum: how many durable shards a PUT needs, between k and k+m. */
class WriteQuorumTest {

    @TempDir
    Path dir;

    @Test
    void quorumOfKAcceptsWritesWithMNodesDown() throws Exception {
        try (TestCluster cluster = new TestCluster(dir, 6, 4, 2, c -> c.withWriteQuorum(4));
                S3Client s3 = cluster.client()) {
            s3.createBucket(b -> b.bucket("quorum"));
            cluster.stopNode(0);
            cluster.stopNode(3);
            cluster.awaitLiveNodes(4);
            assertEquals(200, ready(cluster), "4 writable nodes meet a quorum of 4: the gateway stays in its Service");
            // the default quorum (k+1 = 5) would refuse this with 503 (DegradedReadsTest)
            byte[] data = TestBytes.random(9, 2 * 1024 * 1024 + 7);
            s3.putObject(b -> b.bucket("quorum").key("k-only"), RequestBody.fromBytes(data));
            assertArrayEquals(
                    data,
                    s3.getObjectAsBytes(b -> b.bucket("quorum").key("k-only")).asByteArray());
        }
    }

    @Test
    void quorumOfAllRefusesWritesWithOneNodeDown() throws Exception {
        try (TestCluster cluster = new TestCluster(dir, 6, 4, 2, c -> c.withWriteQuorum(6));
                S3Client s3 = cluster.client()) {
            s3.createBucket(b -> b.bucket("quorum"));
            byte[] data = TestBytes.random(10, 300_000); // above the small-object threshold: 4+2
            s3.putObject(b -> b.bucket("quorum").key("all-up"), RequestBody.fromBytes(data));
            cluster.stopNode(2);
            cluster.awaitLiveNodes(5);
            assertEquals(503, ready(cluster), "5 writable nodes cannot meet a quorum of 6");
            S3Exception e = assertThrows(
                    S3Exception.class,
                    () -> s3.putObject(b -> b.bucket("quorum").key("one-down"), RequestBody.fromBytes(data)));
            assertEquals(503, e.statusCode());
            assertEquals(
                    404,
                    assertThrows(
                                    S3Exception.class,
                                    () -> s3.headObject(b -> b.bucket("quorum").key("one-down")))
                            .statusCode());
            assertArrayEquals(
                    data,
                    s3.getObjectAsBytes(b -> b.bucket("quorum").key("all-up")).asByteArray());
            // a small object needs all of its three copies, and five live nodes have room for them
            byte[] small = TestBytes.random(11, 1000);
            s3.putObject(b -> b.bucket("quorum").key("small"), RequestBody.fromBytes(small));
            assertArrayEquals(
                    small,
                    s3.getObjectAsBytes(b -> b.bucket("quorum").key("small")).asByteArray());
        }
    }

    /** The readiness probe's status (Kubernetes takes a gateway out of its Service on 503). */
    private static int ready(TestCluster cluster) throws Exception {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(cluster.endpoint() + "/minio/health/ready"))
                                .build(),
                        HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    @Test
    void quorumOutsideKToKPlusMIsRejectedAtStart() {
        GatewayConfig cfg = GatewayConfig.local(0, "http://127.0.0.1:1", 4, 2);
        assertThrows(IllegalArgumentException.class, () -> cfg.withWriteQuorum(7));
        assertThrows(IllegalArgumentException.class, () -> cfg.withWriteQuorum(3));
        assertEquals(6, cfg.withWriteQuorum(6).writeQuorum());
    }
}
