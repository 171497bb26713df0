package io.basalt.coordinator.admin;

import com.google.protobuf.InvalidProtocolBufferException;
import io.basalt.core.meta.EtcdMetadataStore;
import io.basalt.core.meta.Keys;
import io.basalt.core.meta.MetadataStore.ListedObject;
import io.basalt.proto.meta.BucketRecord;
import io.basalt.proto.meta.NodeRecord;
import io.basalt.proto.meta.ObjectRecord;
import io.basalt.proto.meta.Segment;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Gathers {@link ClusterStatus} from etcd alone: live nodes from their leases, down nodes from
 * {@code nodes-seen/} and from object records, heal and gc progress from the leader's published
 * status (with queue lengths counted fresh), and object health from a scan of every object record.
 */
final class StatusCollector {

    private static final int PAGE = 1000;

    private final EtcdMetadataStore meta;
    private final Keys keys;

    StatusCollector(EtcdMetadataStore meta, Keys keys) {
        this.meta = meta;
        this.keys = keys;
    }

    ClusterStatus collect() {
        Map<String, NodeRecord> live = nodeRecords(keys.nodes());
        Map<String, NodeRecord> seen = nodeRecords(keys.nodesSeen());
        Set<String> referenced = new TreeSet<>();
        long total = 0;
        long degraded = 0;
        for (BucketRecord b : meta.listBuckets()) {
            String from = "";
            boolean inclusive = true;
            while (true) {
                List<ListedObject> page = meta.scanObjects(b.getName(), from, inclusive, null, PAGE);
                for (ListedObject o : page) {
                    total++;
                    if (degraded(o.record(), live, referenced)) degraded++;
                }
                if (page.size() < PAGE) break;
                from = page.get(page.size() - 1).key();
                inclusive = false;
            }
        }
        Set<String> ids = new TreeSet<>(live.keySet());
        ids.addAll(seen.keySet());
        ids.addAll(referenced);
        List<ClusterStatus.Node> nodes = new ArrayList<>();
        for (String id : ids) {
            NodeRecord n = live.containsKey(id) ? live.get(id) : seen.getOrDefault(id, NodeRecord.getDefaultInstance());
            nodes.add(new ClusterStatus.Node(id, n.getAddress(),
                    live.containsKey(id) ? ClusterStatus.Node.LIVE : ClusterStatus.Node.DOWN, n.getZone(),
                    n.getFreeBytes(), n.getTotalBytes(), n.getFailedDirsList()));
        }

        CoordinatorStatus published = get(keys.status("coordinator"))
                .map(kv -> CoordinatorStatus.fromJson(kv.getValue().toString(StandardCharsets.UTF_8))).orElse(null);
        long queued = count(keys.healPrefix());
        boolean requested = count(keys.adminHealRequest()) > 0;
        CoordinatorStatus.Heal heal = published == null || published.heal() == null
                ? new CoordinatorStatus.Heal(queued, 0, 0, 0, 0, 0, requested)
                : new CoordinatorStatus.Heal(queued, published.heal().healed(), published.heal().failed(),
                        published.heal().scanned(), published.heal().bytes(), published.heal().rateBytesPerSecond(), requested);
        Long age = published == null ? null : Math.max(0, System.currentTimeMillis() - published.updatedUnixMs());
        return new ClusterStatus(leader(), age, nodes, heal, new CoordinatorStatus.Gc(count(keys.garbagePrefix())), total, degraded);
    }

    /** Also notes every node the record names, so nodes that vanished without a trace still show. */
    private static boolean degraded(ObjectRecord record, Map<String, NodeRecord> live, Set<String> referenced) {
        boolean degraded = false;
        for (Segment s : record.getSegmentsList()) {
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

    private java.util.Optional<KeyValue> get(String key) {
        return await(meta.client().getKVClient().get(bs(key))).getKvs().stream().findFirst();
    }

    private long count(String prefix) {
        return await(meta.client().getKVClient().get(bs(prefix), GetOption.builder().isPrefix(true).withCountOnly(true).build())).getCount();
    }

    private static ByteSequence bs(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    private static <T> T await(CompletableFuture<T> f) {
        try {
            return f.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("etcd: " + e.getMessage(), e);
        }
    }
}
