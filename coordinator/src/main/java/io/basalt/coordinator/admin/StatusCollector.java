package io.basalt.coordinator.admin;

import io.basalt.coordinator.SegmentScan;
import io.basalt.core.erasure.StripeLayout;
import io.basalt.core.meta.ClusterAdmin;
import io.basalt.core.meta.ClusterMetadata;
import io.basalt.proto.meta.NodeRecord;
import io.basalt.proto.meta.Segment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Gathers {@link ClusterStatus} from etcd alone: live nodes from their leases, down nodes from
 * {@code nodes-seen/} and from object records, the gateways' suspicions from {@code suspects/}, heal, gc and rebalance progress from the leader's
 * published status (with queue lengths counted fresh), drains from {@code admin/drain/}, and object
 * health and every node's share of the shards from a scan of every object and upload part.
 */
public final class StatusCollector {

    private final ClusterMetadata meta;
    private final ClusterAdmin admin;

    public StatusCollector(ClusterMetadata meta) {
        this.meta = meta;
        this.admin = meta.admin();
    }

    public ClusterStatus collect() {
        Map<String, NodeRecord> live = meta.nodes().live().byId();
        Map<String, NodeRecord> seen = meta.nodes().seen();
        Map<String, DrainStatus> drains = drainRecords();
        Map<String, List<String>> suspicions = new TreeMap<>();
        for (ClusterAdmin.Suspect x : admin.suspects()) {
            suspicions.computeIfAbsent(x.nodeId(), id -> new ArrayList<>()).add(x.reporter() + ": " + x.reason());
        }
        Set<String> referenced = new TreeSet<>();
        Map<String, long[]> usage = new HashMap<>(); // node -> {shards, bytes}
        long[] objects = new long[2]; // total, degraded
        // a shard left behind by a write that met its quorum, or lost to rot, is named by the record as held
        // but queued for healing: the object lacks it until the heal, so it counts as degraded
        Set<String> queuedSets = meta.heals().shardSets();
        new SegmentScan(meta.store()).forEach((ref, segments) -> {
            if (!ref.isPart()) {
                objects[0]++;
                if (degraded(segments, live, referenced, queuedSets)) objects[1]++;
            }
            for (Segment s : segments) countUsage(s, usage);
            return true;
        });
        Set<String> ids = new TreeSet<>(live.keySet());
        ids.addAll(seen.keySet());
        ids.addAll(referenced);
        ids.addAll(usage.keySet());
        ids.addAll(drains.keySet());
        ids.addAll(suspicions.keySet());
        List<ClusterStatus.Node> nodes = new ArrayList<>();
        for (String id : ids) {
            NodeRecord n = live.containsKey(id) ? live.get(id) : seen.getOrDefault(id, NodeRecord.getDefaultInstance());
            long[] used = usage.getOrDefault(id, new long[2]);
            DrainStatus d = drains.get(id);
            ClusterStatus.Drain drain = d == null
                    ? null
                    : new ClusterStatus.Drain(
                            d.state(),
                            used[0],
                            d.movedShards(),
                            d.failedShards(),
                            DrainStatus.DRAINED.equals(d.state()) && used[0] == 0);
            nodes.add(new ClusterStatus.Node(
                    id,
                    n.getAddress(),
                    live.containsKey(id) ? ClusterStatus.Node.LIVE : ClusterStatus.Node.DOWN,
                    n.getZone(),
                    n.getFreeBytes(),
                    n.getTotalBytes(),
                    used[0],
                    used[1],
                    drain,
                    n.getFailedDirsList(),
                    suspicions.get(id),
                    n.getDataDirsList(),
                    n.getRelease().isEmpty() ? null : n.getRelease()));
        }

        CoordinatorStatus published =
                admin.status("coordinator").map(CoordinatorStatus::fromJson).orElse(null);
        long queued = queuedSets.size(); // one entry per shard set: the queue read once for both
        boolean requested = admin.isPending(ClusterAdmin.Request.HEAL);
        CoordinatorStatus.Heal heal = published == null || published.heal() == null
                ? new CoordinatorStatus.Heal(queued, 0, 0, 0, 0, 0, requested)
                : new CoordinatorStatus.Heal(
                        queued,
                        published.heal().healed(),
                        published.heal().failed(),
                        published.heal().scanned(),
                        published.heal().bytes(),
                        published.heal().rateBytesPerSecond(),
                        requested);
        boolean rebalanceRequested =
                admin.pending(ClusterAdmin.Request.REBALANCE).isPresent();
        CoordinatorStatus.Rebalance r = published == null ? null : published.rebalance();
        CoordinatorStatus.Rebalance rebalance = r == null
                ? new CoordinatorStatus.Rebalance(CoordinatorStatus.Rebalance.IDLE, 0, 0, 0, 0, 0, rebalanceRequested)
                : new CoordinatorStatus.Rebalance(
                        r.state(),
                        r.tolerancePoints(),
                        r.planned(),
                        r.moved(),
                        r.failed(),
                        r.bytes(),
                        rebalanceRequested);
        Long age = published == null ? null : Math.max(0, System.currentTimeMillis() - published.updatedUnixMs());
        return new ClusterStatus(
                admin.leader().orElse(null),
                age,
                nodes,
                heal,
                new CoordinatorStatus.Gc(meta.garbage().size()),
                objects[0],
                objects[1],
                rebalance,
                new ClusterStatus.Lifecycle(
                        meta.store().lifecycles().size(), published == null ? null : published.lifecycle()),
                published == null ? null : published.release());
    }

    /** Counts the shards the segment places on each node (never-written ones hold nothing). */
    private static void countUsage(Segment s, Map<String, long[]> usage) {
        long shardBytes = StripeLayout.of(s.getLayout(), s.getSize()).shardLength();
        for (int i = 0; i < s.getNodeIdsCount(); i++) {
            String node = s.getNodeIds(i);
            if (node.isEmpty() || s.getMissingShardsList().contains(i)) continue;
            long[] u = usage.computeIfAbsent(node, x -> new long[2]);
            u[0]++;
            u[1] += shardBytes;
        }
    }

    private Map<String, DrainStatus> drainRecords() {
        Map<String, DrainStatus> out = new TreeMap<>();
        admin.drains().forEach((node, read) -> out.put(node, DrainStatus.fromJson(read.value())));
        return out;
    }

    /** Also notes every node the record names, so nodes that vanished without a trace still show. */
    private static boolean degraded(
            List<Segment> segments, Map<String, NodeRecord> live, Set<String> referenced, Set<String> queued) {
        boolean degraded = false;
        for (Segment s : segments) {
            if (s.getMissingShardsCount() > 0 || queued.contains(s.getShardSet())) degraded = true;
            int shards = (int) (s.getLayout().getK() + s.getLayout().getM());
            if (s.getNodeIdsCount() < shards) degraded = true;
            for (String node : s.getNodeIdsList()) {
                if (node.isEmpty()) {
                    degraded = true;
                } else {
                    referenced.add(node);
                    if (!live.containsKey(node)) degraded = true;
                }
            }
        }
        return degraded;
    }
}
