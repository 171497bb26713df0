package io.basalt.coordinator;

import static io.basalt.coordinator.LeaderElectionTest.awaitTrue;

import io.basalt.core.cluster.Membership;
import io.basalt.core.meta.EtcdMetadata;
import io.basalt.core.meta.EtcdMetadataStore;
import io.basalt.core.meta.Keys;
import io.basalt.core.shard.ShardClients;
import io.basalt.proto.meta.BucketRecord;
import io.basalt.storage.StorageNode;
import io.basalt.storage.StorageNodeConfig;
import io.basalt.testkit.EtcdProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Real etcd and in-process storage nodes on real ports, with the metadata store, membership
 * view and shard clients a coordinator test drives them with, and a bucket "b". Node i is
 * "node-i" with its data in {@code dir/node-i}, in the zone given for it (none by default).
 */
final class LocalCluster implements AutoCloseable {

    static final Keys KEYS = Keys.defaults();

    final EtcdProcess etcd;
    final List<StorageNode> nodes = new ArrayList<>();
    final EtcdMetadataStore meta;
    /** The heal and garbage queues and the admin keys, over {@link #meta}'s client. */
    final EtcdMetadata metadata;

    final Membership membership;
    final ShardClients clients = new ShardClients();
    private final Path dir;

    private final int dirsPerNode;

    private LocalCluster(Path dir, List<String> zones, int dirsPerNode) throws Exception {
        this.dir = dir;
        this.dirsPerNode = dirsPerNode;
        etcd = EtcdProcess.start(dir.resolve("etcd"));
        for (String zone : zones) addNode(zone);
        meta = EtcdMetadataStore.connect(List.of(etcd.endpoint()), KEYS);
        metadata = EtcdMetadata.over(meta.client(), KEYS);
        membership = Membership.start(metadata.nodes(), metadata.admin());
        meta.createBucket(BucketRecord.newBuilder().setName("b").build());
        awaitTrue(() -> membership.live().size() == zones.size(), zones.size() + " nodes live");
    }

    static LocalCluster start(Path dir, int nodeCount) throws Exception {
        return new LocalCluster(dir, java.util.Collections.nCopies(nodeCount, ""), 1);
    }

    /** Nodes with several data dirs each, probed every 200 ms. */
    static LocalCluster start(Path dir, int nodeCount, int dirsPerNode) throws Exception {
        return new LocalCluster(dir, java.util.Collections.nCopies(nodeCount, ""), dirsPerNode);
    }

    /** One node per entry, in that zone. */
    static LocalCluster start(Path dir, List<String> zones) throws Exception {
        return new LocalCluster(dir, zones, 1);
    }

    /** {@code node-i} for one dir per node, else {@code node-i/d0}, {@code node-i/d1}, ... */
    static List<Path> dataDirs(Path dir, int node, int dirsPerNode) {
        if (dirsPerNode == 1) return List.of(dir.resolve("node-" + node));
        List<Path> dirs = new ArrayList<>();
        for (int d = 0; d < dirsPerNode; d++)
            dirs.add(dir.resolve("node-" + node).resolve("d" + d));
        return dirs;
    }

    /** Starts node-N (N = the number of nodes so far) in {@code zone}; it registers in etcd on its own. */
    StorageNode addNode(String zone) throws java.io.IOException {
        int i = nodes.size();
        StorageNode n = StorageNode.start(new StorageNodeConfig(
                        "node-" + i,
                        "127.0.0.1",
                        0,
                        dataDirs(dir, i, dirsPerNode),
                        etcd.endpoint(),
                        KEYS.root(),
                        Duration.ofSeconds(5))
                .withZone(zone)
                .withDiskProbeInterval(Duration.ofMillis(200)));
        nodes.add(n);
        return n;
    }

    Path nodeDir(int i) {
        return dir.resolve("node-" + i);
    }

    @Override
    public void close() {
        membership.close();
        clients.close();
        meta.close();
        for (StorageNode n : nodes) {
            try {
                n.close();
            } catch (RuntimeException ignored) {
                // stopped by the test already
            }
        }
        etcd.close();
    }
}
