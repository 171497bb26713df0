package io.basalt.bench;

import io.basalt.core.erasure.StripeLayout;
import io.basalt.core.meta.EtcdMetadata;
import io.basalt.core.meta.Keys;
import io.basalt.core.meta.MetadataStore;
import io.basalt.core.tls.ClusterTls;
import io.basalt.proto.meta.BucketRecord;
import io.basalt.proto.meta.Segment;
import java.util.List;
import java.util.Set;

/**
 * Reads a cluster's redundancy straight from etcd, as {@code basalt admin status} does: which storage
 * nodes hold a live lease, and how many object segments lack a shard (one on a node without a lease,
 * never written, or recorded missing). Zero degraded segments is full redundancy.
 */
final class RedundancyProbe implements AutoCloseable {

    /** One look: live nodes, degraded segments, and the bytes of their lost shards. */
    /** {@code readBytes}: what rebuilding the lost shards reads, k shard bytes per lost byte of each segment's layout. */
    record State(Set<String> live, long segments, long degraded, long lostShardBytes, long readBytes) {}

    private static final int PAGE = 500;
    private final ClusterTls tls; // null for a plaintext etcd
    private final EtcdMetadata etcd;

    /** @param tlsDir the dev cluster's certificates, used when {@code etcdUrl} is https:// */
    RedundancyProbe(String etcdUrl, java.nio.file.Path tlsDir) throws java.io.IOException {
        this.tls = etcdUrl.startsWith("https://") ? ClusterTls.open(tlsDir) : null;
        this.etcd = EtcdMetadata.connect(List.of(etcdUrl), new Keys("/basalt/"), tls);
    }

    State look() {
        Set<String> live = etcd.nodes().live().byId().keySet();
        MetadataStore store = etcd.store();
        long segments = 0, degraded = 0, lost = 0, read = 0;
        for (BucketRecord b : store.listBuckets()) {
            String from = "";
            boolean inclusive = true;
            while (true) {
                List<MetadataStore.ListedObject> page = store.scanObjects(b.getName(), from, inclusive, null, PAGE);
                for (MetadataStore.ListedObject o : page) {
                    for (Segment s : o.record().getSegmentsList()) {
                        segments++;
                        int missing = lostShards(s, live);
                        if (missing > 0) {
                            degraded++;
                            long bytes = missing
                                    * StripeLayout.of(s.getLayout(), s.getSize())
                                            .shardLength();
                            lost += bytes;
                            read += bytes * s.getLayout().getK();
                        }
                    }
                }
                if (page.size() < PAGE) break;
                from = page.get(page.size() - 1).key();
                inclusive = false;
            }
        }
        return new State(live, segments, degraded, lost, read);
    }

    private static int lostShards(Segment s, Set<String> live) {
        int shards = (int) (s.getLayout().getK() + s.getLayout().getM());
        int lost = Math.max(0, shards - s.getNodeIdsCount());
        for (int i = 0; i < s.getNodeIdsCount(); i++) {
            String node = s.getNodeIds(i);
            if (node.isEmpty()
                    || !live.contains(node)
                    || s.getMissingShardsList().contains(i)) lost++;
        }
        return lost;
    }

    @Override
    public void close() {
        etcd.close();
        if (tls != null) tls.close();
    }
}
