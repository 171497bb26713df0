package io.basalt.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.proto.meta.NodeRecord;
import io.basalt.testkit.EtcdProcess;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.kv.GetResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node's membership record in a real etcd. */
class NodeRegistrationTest {
    private static EtcdProcess etcd;
    private static Client etcdClient;

    @BeforeAll
    static void startEtcd() {
        etcd = EtcdProcess.start();
        etcdClient = Client.builder().endpoints(etcd.endpoint()).build();
    }

    @AfterAll
    static void stopEtcd() {
        etcdClient.close();
        etcd.close();
    }

    @Test
    void nodeRecordLivesWhileTheNodeRuns(@TempDir Path dir1, @TempDir Path dir2) throws Exception {
        var config = new StorageNodeConfig(
                "node-a", "127.0.0.1", 0, List.of(dir1, dir2), etcd.endpoint(), "/basalt/", Duration.ofSeconds(5));
        StorageNode node = StorageNode.start(config);
        NodeRecord record;
        try {
            GetResponse got = get("/basalt/nodes/node-a");
            assertEquals(1, got.getKvs().size());
            record = NodeRecord.parseFrom(got.getKvs().get(0).getValue().getBytes());
            assertTrue(got.getKvs().get(0).getLease() != 0, "key must be held under a lease");
        } finally {
            node.close();
        }
        assertEquals("node-a", record.getNodeId());
        assertEquals(node.address(), record.getAddress());
        assertEquals("127.0.0.1:" + node.port(), record.getAddress());
        assertEquals(
                List.of(
                        dir1.toAbsolutePath().normalize().toString(),
                        dir2.toAbsolutePath().normalize().toString()),
                record.getDataDirsList());
        assertTrue(record.getTotalBytes() > 0 && record.getFreeBytes() <= record.getTotalBytes());
        assertTrue(record.getStartedUnixMs() > 0);

        assertEquals(0, get("/basalt/nodes/node-a").getKvs().size(), "lease revoked on close");
    }

    @Test
    void customPrefix(@TempDir Path dir) throws Exception {
        var config = new StorageNodeConfig("node-b", null, 0, List.of(dir), etcd.endpoint(), "/test/x/", null);
        try (StorageNode node = StorageNode.start(config)) {
            GetResponse got = get("/test/x/nodes/node-b");
            assertEquals(1, got.getKvs().size());
            assertEquals(
                    node.address(),
                    NodeRecord.parseFrom(got.getKvs().get(0).getValue().getBytes())
                            .getAddress());
        }
        assertEquals(0, get("/test/x/nodes/node-b").getKvs().size());
    }

    @Test
    void advertisedAddressIsRegistered(@TempDir Path dir) throws Exception {
        // e.g. a fault proxy in front of the node: peers must dial it, not the listen port
        var config = StorageNodeConfig.local("node-d", List.of(dir))
                .withEtcd(etcd.endpoint())
                .withAdvertise("127.0.0.1:1");
        try (StorageNode node = StorageNode.start(config)) {
            assertEquals("127.0.0.1:1", node.address());
            GetResponse got = get("/basalt/nodes/node-d");
            assertEquals(
                    "127.0.0.1:1",
                    NodeRecord.parseFrom(got.getKvs().get(0).getValue().getBytes())
                            .getAddress());
            assertTrue(node.port() > 1, "still listening on its own port");
        }
    }

    @Test
    void lostLeaseIsReplaced(@TempDir Path dir) throws Exception {
        var config = StorageNodeConfig.local("node-c", List.of(dir)).withEtcd(etcd.endpoint());
        try (StorageNode node = StorageNode.start(config)) {
            long lease = get("/basalt/nodes/node-c").getKvs().get(0).getLease();
            // as if etcd had expired the lease while the node was cut off
            etcdClient.getLeaseClient().revoke(lease).get(10, TimeUnit.SECONDS);

            ShardFailureTest.awaitTrue(
                    () -> {
                        try {
                            var kvs = get("/basalt/nodes/node-c").getKvs();
                            return kvs.size() == 1 && kvs.get(0).getLease() != lease;
                        } catch (Exception e) {
                            throw new AssertionError(e);
                        }
                    },
                    "node never re-registered under a new lease");
            var kvs = get("/basalt/nodes/node-c").getKvs();
            assertEquals(
                    node.address(),
                    NodeRecord.parseFrom(kvs.get(0).getValue().getBytes()).getAddress());
        }
        assertEquals(0, get("/basalt/nodes/node-c").getKvs().size());
    }

    private static GetResponse get(String key) throws Exception {
        return etcdClient
                .getKVClient()
                .get(ByteSequence.from(key, StandardCharsets.UTF_8))
                .get(10, TimeUnit.SECONDS);
    }
}
