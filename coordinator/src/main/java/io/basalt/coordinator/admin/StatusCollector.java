package io.basalt.coordinator.admin;

import static io.basalt.core.meta.Etcd.await;
import static io.basalt.core.meta.Etcd.bs;

import com.google.protobuf.InvalidProtocolBufferException;
import io.basalt.coordinator.SegmentScan;
import io.basalt.core.erasure.StripeLayout;
import io.basalt.core.meta.EtcdMetadataStore;
import io.basalt.core.meta.Keys;
import io.basalt.proto.meta.NodeRecord;
import io.basalt.proto.meta.Segment;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Gathers {@link ClusterStatus} from etcd alone: live nodes from their leases, down nodes from
 * {@code nodes-seen/} and from object records, heal, gc and rebalance progress from the leader's
 * published status (with queue lengths counted fresh), drains from {@code admin/drain/}, and object
 * health and every node's share of the shards from a scan of every object and upload part.
 */
final class StatusCollector {

    private final EtcdMetadataStore meta;
    private final Keys keys;

    StatusCollector(EtcdMetadataStore meta, Keys keys) {
        this.meta = meta;
        this.keys = keys;
    }

    ClusterStatus collect() {
        Map<String, NodeRecord> live = nodeRecords(keys.nodes());
        Map<String, NodeRecord> seen = nodeRecords(keys.nodesSeen());
        Map<String, DrainStatus> drains = drainRecords();
        Set<String> referenced = new TreeSet<>();
        Map<String, long[]> usage = new HashMap<>(); // node -> {shards, bytes}
        long[] objects = new long[2]; // total, degraded
        new SegmentScan(meta).forEach((ref, segments) -> {
            if (!ref.isPart()) {
                objects[0]++;
                if (degraded(segments, live, referenced)) objects[1]++;
            }
            for (Segment s : segments) countUsage(s, usage);
            return true;
        });
        Set<String> ids = new TreeSet<>(live.keySet());
        ids.addAll(seen.keySet());
        ids.addAll(referenced);
        ids.addAll(usage.keySet());
        ids.addAll(drains.keySet());
        List<ClusterStatus.Node> nodes = new ArrayList<>();
        for (String id : ids) {
            NodeRecord n = live.containsKey(id) ? live.get(id) : seen.getOrDefault(id, NodeRecord.getDefaultInstance());
            long[] used = usage.getOrDefault(id, new long[2]);
            DrainStatus d = drains.get(id);
            ClusterStatus.Drain drain = d == null ? null : new ClusterStatus.Drain(d.state(), used[0], d.movedShards(),
                    d.failedShards(), DrainStatus.DRAINED.equals(d.state()) && used[0] == 0);
            nodes.add(new ClusterStatus.Node(id, n.getAddress(),
                    live.containsKey(id) ? ClusterStatus.Node.LIVE : ClusterStatus.Node.DOWN, n.getZone(),
                    n.getFreeBytes(), n.getTotalBytes(), used[0], used[1], drain, n.getFailedDirsList()));
        }

        CoordinatorStatus published = get(keys.status("coordinator"))
                .map(kv -> CoordinatorStatus.fromJson(kv.getValue().toString(StandardCharsets.UTF_8))).orElse(null);
        long queued = count(keys.healPrefix());
        boolean requested = count(keys.adminHealRequest()) > 0;
        CoordinatorStatus.Heal heal = published == null || published.heal() == null
                ? new CoordinatorStatus.Heal(queued, 0, 0, 0, 0, 0, requested)
                : new CoordinatorStatus.Heal(queued, published.heal().healed(), published.heal().failed(),
                        published.heal().scanned(), published.heal().bytes(), published.heal().rateBytesPerSecond(), requested);
        Optional<KeyValue> rebalanceRequest = get(keys.adminRebalanceRequest());
        CoordinatorStatus.Rebalance r = published == null ? null : published.rebalance();
        CoordinatorStatus.Rebalance rebalance = r == null
                ? new CoordinatorStatus.Rebalance(CoordinatorStatus.Rebalance.IDLE, 0, 0, 0, 0, 0, rebalanceRequest.isPresent())
                : new CoordinatorStatus.Rebalance(r.state(), r.tolerancePoints(), r.planned(), r.moved(), r.failed(), r.bytes(),
                        rebalanceRequest.isPresent());
        Long age = published == null ? null : Math.max(0, System.currentTimeMillis() - published.updatedUnixMs());
        return new ClusterStatus(leader(), age, nodes, heal, new CoordinatorStatus.Gc(count(keys.garbagePrefix())), objects[0],
                objects[1], rebalance);
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
        String prefix = keys.drainPrefix();
        for (KeyValue kv : await(meta.client().getKVClient().get(bs(prefix), GetOption.builder().isPrefix(true).build())).getKvs()) {
            out.put(kv.getKey().toString(StandardCharsets.UTF_8).substring(prefix.length()),
                    DrainStatus.fromJson(kv.getValue().toString(StandardCharsets.UTF_8)));
        }
        return out;
    }

    /** Also notes every node the record names, so nodes that vanished without a trace still show. */
    private static boolean degraded(List<Segment> segments, Map<String, NodeRecord> live, Set<String> referenced) {
        boolean degraded = false;
        for (Segment s : segments) {
            if (s.getMissingShardsCount() > 0) degraded = true;
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

    /** The election's first candidate by creation holds it; its value is the coordinator id. */
    private String leader() {
        List<KeyValue> kvs = await(meta.client().getKVClient().get(bs(keys.election() + "/"), GetOption.builder()
                .isPrefix(true).withSortField(GetOption.SortTarget.CREATE).withSortOrder(GetOption.SortOrder.ASCEND)
                .withLimit(1).build())).getKvs();
        return kvs.isEmpty() ? null : kvs.get(0).getValue().toString(StandardCharsets.UTF_8);
    }

    private Map<String, NodeRecord> nodeRecords(String prefix) {
        Map<String, NodeRecord> out = new TreeMap<>();
        for (KeyValue kv : await(meta.client().getKVClient().get(bs(prefix), GetOption.builder().isPrefix(true).build())).getKvs()) {
            try {
                NodeRecord n = NodeRecord.parseFrom(kv.getValue().getBytes());
                out.put(kv.getKey().toString(StandardCharsets.UTF_8).substring(prefix.length()), n);
            } catch (InvalidProtocolBufferException e) {
                // an unreadable record says nothing about the node; skip it
            }
        }
        return out;
    }

    private Optional<KeyValue> get(String key) {
        return await(meta.client().getKVClient().get(bs(key))).getKvs().stream().findFirst();
    }

    private long count(String prefix) {
        return await(meta.client().getKVClient().get(bs(prefix), GetOption.builder().isPrefix(true).withCountOnly(true).build())).getCount();
    }
}
