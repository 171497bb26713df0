package io.basalt.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.basalt.testkit.TestBytes;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** With up to m shards of every object gone or rotten, every object still reads back byte-exact. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DegradedReadsTest {

    static final int MIB = 1 << 20;
    static final String BUCKET = "degraded";

    @TempDir
    static Path dir;

    static TestCluster cluster;
    static S3Client s3;
    static final Map<String, byte[]> objects = new LinkedHashMap<>();

    @BeforeAll
    static void start() throws Exception {
        cluster = new TestCluster(dir, 6, 4, 2);
        s3 = cluster.client();
        s3.createBucket(b -> b.bucket(BUCKET));
        int[] sizes = {1, 100, MIB - 1, MIB + 1, 5 * MIB + 3, 12 * MIB};
        for (int size : sizes) {
            byte[] data = TestBytes.random(size * 31L, size);
            objects.put("obj-" + size, data);
            s3.putObject(b -> b.bucket(BUCKET).key("obj-" + size), RequestBody.fromBytes(data));
        }
    }

    @AfterAll
    static void stop() {
        if (s3 != null) s3.close();
        if (cluster != null) cluster.close();
    }

    @Test
    @Order(1)
    void readsWithMNodesStoppedAndWritesWithMMinusOne() throws Exception {
        cluster.stopNode(1);
        cluster.awaitLiveNodes(5);
        // m-1 nodes down: writes go on at the write quorum (k+1) and are queued for healing.
        byte[] written = TestBytes.random(77, 3 * MIB + 1);
        s3.putObject(b -> b.bucket(BUCKET).key("while-degraded"), RequestBody.fromBytes(written));
        objects.put("while-degraded", written);
        assertEquals(1, healRecords(), "the missing shard is recorded for healing");

        cluster.stopNode(4);
        cluster.awaitLiveNodes(4);
        assertAllReadable();

        // Below the write quorum a PUT is refused and nothing becomes visible.
        S3Exception e = assertThrows(
                S3Exception.class,
                () -> s3.putObject(
                        b -> b.bucket(BUCKET).key("no-room"), RequestBody.fromBytes(TestBytes.random(5, 2 * MIB))));
        assertEquals(503, e.statusCode());
        assertThrows(
                S3Exception.class, () -> s3.headObject(b -> b.bucket(BUCKET).key("no-room")));

        cluster.restartNode(1);
        cluster.restartNode(4);
        cluster.awaitLiveNodes(6);
        assertAllReadable();
        // Until healing rebuilds its missing shard it tolerates only m-1 more losses, fewer than
        // the next test inflicts.
        objects.remove("while-degraded");
    }

    @Test
    @Order(2)
    void readsWithShardFilesCorruptedOnMNodes() throws Exception {
        int corrupted = 0;
        for (int node : new int[] {0, 3}) {
            for (var shard : cluster.shards(node)) {
                if (shard.corrupt(1, new java.util.Random(corrupted))) corrupted++;
            }
        }
        assertFalse(corrupted == 0, "no shard files found to corrupt");
        assertAllReadable();
    }

    @Test
    @Order(3)
    void moreThanMLostIsAnErrorNotWrongBytes() throws Exception {
        // Shards on nodes 0 and 3 are already corrupt; stopping a third node leaves fewer than k.
        cluster.stopNode(5);
        cluster.awaitLiveNodes(5);
        byte[] data = objects.get("obj-" + (12 * MIB));
        // Either an error status or a body cut short: never a complete body of wrong bytes.
        try {
            byte[] got = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("obj-" + (12 * MIB)))
                    .asByteArray();
            assertArrayEquals(data, got, "a full-length answer must be the right bytes");
        } catch (RuntimeException expected) {
            // the gateway refused or cut the connection
        }
    }

    private static int healRecords() throws Exception {
        try (io.etcd.jetcd.Client etcd = cluster.etcdClient()) {
            return etcd.getKVClient()
                                    .get(
                                            io.etcd.jetcd.ByteSequence.from(
                                                    "/basalt/heal/", java.nio.charset.StandardCharsets.UTF_8),
                                            io.etcd.jetcd.options.GetOption.builder()
                                                    .isPrefix(true)
                                                    .withCountOnly(true)
                                                    .build())
                                    .get()
                                    .getCount()
                            > 0
                    ? 1
                    : 0;
        }
    }

    private static void assertAllReadable() {
        for (Map.Entry<String, byte[]> e : objects.entrySet()) {
            byte[] got =
                    s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(e.getKey())).asByteArray();
            assertArrayEquals(e.getValue(), got, e.getKey());
            int size = e.getValue().length;
            if (size > 10) {
                // ranges that start and end inside chunks, and on both sides of chunk and stripe edges:
                // read from the data shards alone until one fails, then decoded from there on
                int chunk = MIB / 4;
                int[][] ranges = {
                    {size / 3, size - size / 5},
                    {1, size - 2},
                    {chunk - 1, chunk},
                    {chunk + 1, MIB + 1},
                    {MIB - 1, 2 * MIB},
                    {size - chunk - 3, size - 1},
                    {MIB - 1, MIB - 1}, // last byte of a stripe
                    {MIB, MIB}, // first byte of the next
                    {MIB / 2 + 3, MIB / 2 + 2 + MIB}, // Milvus's lazy load: 1 MiB across two stripes
                    {chunk + 7, chunk + 7 + MIB - 1} // 1 MiB starting inside a data chunk
                };
                for (int[] r : ranges) {
                    int from = Math.max(0, r[0]), to = Math.min(size - 1, r[1]);
                    if (from > to) continue;
                    byte[] part = s3.getObjectAsBytes(
                                    b -> b.bucket(BUCKET).key(e.getKey()).range("bytes=" + from + "-" + to))
                            .asByteArray();
                    assertArrayEquals(
                            Arrays.copyOfRange(e.getValue(), from, to + 1),
                            part,
                            e.getKey() + " range " + from + "-" + to);
                }
                for (int n : new int[] {1, chunk + 1, MIB + 5}) {
                    int from = Math.max(0, size - n);
                    byte[] tail = s3.getObjectAsBytes(
                                    b -> b.bucket(BUCKET).key(e.getKey()).range("bytes=-" + n))
                            .asByteArray();
                    assertArrayEquals(
                            Arrays.copyOfRange(e.getValue(), from, size), tail, e.getKey() + " last " + n + " bytes");
                }
            }
        }
    }
}
