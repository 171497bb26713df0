package io.basalt.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.basalt.core.meta.EtcdMetadataStore;
import io.basalt.testkit.TestBytes;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * A copy whose source cannot be read must fail and leave nothing behind: nine nodes,
 * so the copy's six new shards still find live nodes after three of the source's six are gone.
 */
class CopyFailureTest {

    @TempDir
    static Path dir;

    static TestCluster cluster;
    static S3Client s3;
    static EtcdMetadataStore meta;

    @BeforeAll
    static void start() throws Exception {
        cluster = new TestCluster(dir, 9, 4, 2);
        s3 = cluster.client();
        s3.createBucket(b -> b.bucket("fragile"));
        meta = cluster.metadataStore();
    }

    @AfterAll
    static void stop() {
        if (meta != null) meta.close();
        if (s3 != null) s3.close();
        if (cluster != null) cluster.close();
    }

    @Test
    void unreadableSourceFailsTheCopyAndCommitsNothing() throws Exception {
        s3.putObject(b -> b.bucket("fragile").key("src"), RequestBody.fromBytes(TestBytes.random(1, 3 << 20)));
        List<String> holders =
                meta.getObject("fragile", "src").orElseThrow().getSegments(0).getNodeIdsList();
        for (String id : holders.subList(0, 3)) cluster.stopNode(Integer.parseInt(id.substring("node-".length())) - 1);
        cluster.awaitLiveNodes(6);

        S3Exception e = assertThrows(
                S3Exception.class,
                () -> s3.copyObject(b -> b.sourceBucket("fragile")
                        .sourceKey("src")
                        .destinationBucket("fragile")
                        .destinationKey("dst")));
        assertEquals(503, e.statusCode());
        assertEquals("ServiceUnavailable", e.awsErrorDetails().errorCode());
        assertFalse(meta.getObject("fragile", "dst").isPresent());
    }
}
