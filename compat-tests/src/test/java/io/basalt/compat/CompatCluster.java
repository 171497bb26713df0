package io.basalt.compat;

import io.basalt.gateway.Gateway;
import io.basalt.gateway.GatewayConfig;
import io.basalt.storage.StorageNode;
import io.basalt.storage.StorageNodeConfig;
import io.basalt.testkit.EtcdProcess;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real Basalt cluster for client-compatibility tests: an etcd process, six storage nodes
 * serving gRPC on real ports with real data directories, and one gateway (4+2), all on 127.0.0.1.
 */
final class CompatCluster implements AutoCloseable {

    static final String ACCESS_KEY = "minioadmin";
    static final String SECRET_KEY = "minioadmin";
    static final String REGION = "us-east-1";

    private final EtcdProcess etcd;
    private final List<StorageNode> nodes = new ArrayList<>();
    private final Gateway gateway;

    private CompatCluster(Path dir, int nodeCount, int k, int m) throws Exception {
        etcd = EtcdProcess.start(dir.resolve("etcd"));
        Gateway gw = null;
        try {
            for (int i = 1; i <= nodeCount; i++) {
                Path data = Files.createDirectories(dir.resolve("node-" + i));
                nodes.add(StorageNode.start(new StorageNodeConfig("node-" + i, "127.0.0.1", 0, List.of(data),
                        etcd.endpoint(), "/basalt/", Duration.ofSeconds(5))));
            }
            gw = Gateway.start(GatewayConfig.local(0, etcd.endpoint(), k, m).withIoTimeoutMs(30_000));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (gw.membership().live().size() != nodeCount) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("expected " + nodeCount + " live nodes, have "
                            + gw.membership().live().keySet());
                }
                Thread.sleep(50);
            }
        } catch (Exception | Error e) {
            if (gw != null) gw.close();
            nodes.forEach(StorageNode::close);
            etcd.close();
            throw e;
        }
        gateway = gw;
    }

    /** Six storage nodes, 4 data + 2 parity shards. */
    static CompatCluster start(Path dir) throws Exception {
        return new CompatCluster(dir, 6, 4, 2);
    }

    int port() {
        return gateway.port();
    }

    String endpoint() {
        return "http://127.0.0.1:" + gateway.port();
    }

    @Override
    public void close() {
        gateway.close();
        for (StorageNode n : nodes) {
            try {
                n.close();
            } catch (RuntimeException ignored) {
                // best effort
            }
        }
        etcd.close();
    }
}
