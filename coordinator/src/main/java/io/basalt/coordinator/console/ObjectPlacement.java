package io.basalt.coordinator.console;

import io.basalt.core.meta.ClusterMetadata;
import io.basalt.proto.meta.ObjectRecord;
import io.basalt.proto.meta.Segment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where an object's shards are, from its metadata record in etcd and the nodes' leases: per segment its
 * layout k+m, and per shard the node holding it and whether that shard can be read now.
 */
final class ObjectPlacement {

    /**
     * @param node the node holding the shard, "" when none does (lost at write time)
     * @param healthy the shard was written and its node holds its lease
     */
    record Shard(int index, String node, boolean parity, boolean healthy, String nodeState) {}

    record SegmentShards(long size, int k, int m, List<Shard> shards) {}

    /** @param degraded some shard is not healthy: healing will rebuild it */
    record Placement(String versionId, long size, String etag, List<SegmentShards> segments, boolean degraded) {}

    private final ClusterMetadata meta;

    ObjectPlacement(ClusterMetadata meta) {
        this.meta = meta;
    }

    Optional<Placement> of(String bucket, String key) {
        Optional<ObjectRecord> record = meta.store().getObject(bucket, key);
        if (record.isEmpty()) return Optional.empty();
        Set<String> live = meta.nodes().live().byId().keySet();
        Set<String> draining = meta.admin().draining().nodeIds();
        List<SegmentShards> segments = new ArrayList<>();
        boolean degraded = false;
        for (Segment s : record.get().getSegmentsList()) {
            int k = (int) s.getLayout().getK();
            int m = (int) s.getLayout().getM();
            List<Shard> shards = new ArrayList<>();
            for (int i = 0; i < k + m; i++) {
                String node = i < s.getNodeIdsCount() ? s.getNodeIds(i) : "";
                boolean up = !node.isEmpty() && live.contains(node);
                boolean healthy = up && !s.getMissingShardsList().contains(i);
                degraded |= !healthy;
                String state = node.isEmpty() ? "none" : !up ? "down" : draining.contains(node) ? "draining" : "live";
                shards.add(new Shard(i, node, i >= k, healthy, state));
            }
            segments.add(new SegmentShards(s.getSize(), k, m, shards));
        }
        ObjectRecord r = record.get();
        return Optional.of(new Placement(r.getVersionId(), r.getSize(), r.getEtag(), segments, degraded));
    }

    static Map<String, Object> asJson(Placement p) {
        return Map.of(
                "version_id", p.versionId(),
                "size", p.size(),
                "etag", p.etag(),
                "degraded", p.degraded(),
                "segments", p.segments());
    }
}
