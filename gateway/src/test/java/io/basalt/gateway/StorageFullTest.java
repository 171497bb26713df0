package io.basalt.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.basalt.testkit.TestBytes;
import io.basalt.testkit.Tmpfs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Storage nodes whose disks are full, for real (tmpfs file systems filled with a file): a write the full nodes leave
 * below its quorum is answered 507 XBasaltStorageFull, not retried by the SDK as a 503 would be, and leaves no object;
 * once room is freed the same write goes through.
 */
class StorageFullTest {

    @TempDir
    Path dir;

    private final List<Path> mounts = new ArrayList<>();

    @AfterEach
    void unmount() throws Exception {
        for (Path m : mounts)
            new ProcessBuilder("umount", "-l", m.toString()).inheritIO().start().waitFor();
    }

    @Test
    void aWriteTheFullNodesLeaveBelowItsQuorumIs507AndLeavesNoObject() throws Exception {
        // nodes 1 and 2 on small file systems of their own: with them full a 4+2 write has 4 shards, below 5
        Path full1 = mountTmpfs(dir.resolve("node-1"));
        Path full2 = mountTmpfs(dir.resolve("node-2"));
        try (TestCluster cluster = new TestCluster(dir, 6, 4, 2);
                S3Client s3 = cluster.client()) {
            s3.createBucket(b -> b.bucket("full"));
            byte[] before = TestBytes.random(1, 300_000); // above the small-object threshold: 4+2
            s3.putObject(b -> b.bucket("full").key("before"), RequestBody.fromBytes(before));
            Tmpfs.fill(full1.resolve("filler"));
            Tmpfs.fill(full2.resolve("filler"));

            byte[] data = TestBytes.random(2, 300_000);
            S3Exception e = assertThrows(
                    S3Exception.class,
                    () -> s3.putObject(b -> b.bucket("full").key("refused"), RequestBody.fromBytes(data)));
            assertEquals(507, e.statusCode());
            assertEquals("XBasaltStorageFull", e.awsErrorDetails().errorCode());
            assertEquals(1, e.numAttempts(), "a full cluster is not retried");
            assertEquals(
                    404,
                    assertThrows(
                                    S3Exception.class,
                                    () -> s3.headObject(b -> b.bucket("full").key("refused")))
                            .statusCode());
            assertArrayEquals(
                    before,
                    s3.getObjectAsBytes(b -> b.bucket("full").key("before")).asByteArray());

            Files.delete(full1.resolve("filler"));
            Files.delete(full2.resolve("filler"));
            s3.putObject(b -> b.bucket("full").key("refused"), RequestBody.fromBytes(data));
            assertArrayEquals(
                    data,
                    s3.getObjectAsBytes(b -> b.bucket("full").key("refused")).asByteArray());
        }
    }

    /** A 16 MiB tmpfs at {@code at}; the test is skipped where mounting is not permitted. */
    private Path mountTmpfs(Path at) throws Exception {
        Assumptions.assumeTrue(Tmpfs.mount(at, "16m"), "mounting a tmpfs is not permitted here");
        mounts.add(at);
        return at;
    }
}
