package io.basalt.chaos;

import io.basalt.core.data.SegmentEncoder;
import io.basalt.core.erasure.StripeLayout;
import io.basalt.core.meta.ClusterMetadata;
import io.basalt.core.meta.EtcdMetadata;
import io.basalt.core.meta.Keys;
import io.basalt.core.meta.RecordInventory;
import io.basalt.core.shard.ShardClients;
import io.basalt.proto.meta.NodeRecord;
import io.basalt.proto.meta.Segment;
import io.basalt.proto.shard.ListShardsRequest;
import io.basalt.proto.shard.ReadShardRequest;
import io.basalt.proto.shard.ReadShardResponse;
import io.basalt.proto.shard.ShardInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

/**
 * The end state the cluster owes its clients, checked from the outside: every segment that an object record
 * ({@code objects/}) or an in-progress upload's part ({@code parts/}) references has all k+m shards healthy on
 * live storage nodes, and no node holds a shard file that no record places there (an orphan).
 *
 * <p>A shard is healthy when the node named for it in the segment is registered in etcd, lists the shard
 * (gRPC {@code ListShards}) with the expected length and the segment's CRC32C in its header, and, when
 * {@code verifyData} is set, streams its whole data back ({@code ReadShard}, which checks every chunk) with that
 * CRC32C. Everything is read from etcd and the nodes themselves, never from a gateway or coordinator.
 */
public final class RedundancyCheck {

    private static final int PAGE = 1000;

    /** A segment below k+m healthy shards: where it is referenced and what is wrong with each bad shard. */
    public record Degraded(String where, String shardSet, int healthy, int total, List<String> problems) {
        @Override
        public String toString() {
            return where + " segment " + shardSet + ": " + healthy + "/" + total + " healthy shards " + problems;
        }
    }

    /** A shard file on a live node that no record places there; {@code queuedForGc} when a gc/ record names it. */
    public record Orphan(String nodeId, String shardId, long length, long modifiedUnixMs, boolean queuedForGc) {
        @Override
        public String toString() {
            return shardId + " on " + nodeId + " (" + length + " B"
                    + (queuedForGc ? ", queued for gc" : ", referenced nowhere") + ")";
        }
    }

    /**
     * @param objects     object records read
     * @param segments    segments checked (of objects and of in-progress upload parts)
     * @param shardFiles  shard files listed on live nodes
     * @param deadNodes   nodes some segment names that are not registered (their shards count as unhealthy)
     * @param placed      every shard the records place, as "node/shard id"
     */
    public record Report(
            int objects,
            int segments,
            long shardFiles,
            List<Degraded> degraded,
            List<Orphan> orphans,
            Set<String> deadNodes,
            Set<String> placed) {
        public boolean fullRedundancy() {
            return degraded.isEmpty();
        }

        public String summary() {
            return String.format(
                    "%d objects, %d segments, %d shard files: %d degraded, %d orphans (%d of them queued for gc)%s",
                    objects,
                    segments,
                    shardFiles,
                    degraded.size(),
                    orphans.size(),
                    orphans.stream().filter(Orphan::queuedForGc).count(),
                    deadNodes.isEmpty() ? "" : ", nodes not live " + deadNodes);
        }
    }

    private RedundancyCheck() {}

    /** Checks the whole cluster, reading every shard's data. */
    public static Report run(ProcessCluster cluster) {
        return run(cluster.etcdEndpoints(), Keys.defaults(), true, cluster.tls());
    }

    /**
     * Checks the cluster behind {@code etcdEndpoints}; {@code verifyData} also reads every shard back; etcd and
     * the nodes over mutual TLS with {@code tls}'s certificates (null: plaintext).
     */
    public static Report run(
            List<String> etcdEndpoints, Keys keys, boolean verifyData, io.basalt.core.tls.ClusterTls tls) {
        try (ClusterMetadata etcd = EtcdMetadata.connect(etcdEndpoints, keys, tls);
                ShardClients shards = new ShardClients(tls)) {
            return new Run(etcd.inventory(), shards, verifyData).check();
        }
    }

    /** One check: state read once, then compared. */
    private static final class Run {
        private final RecordInventory records;
        private final ShardClients shards;
        private final boolean verifyData;

        Run(RecordInventory records, ShardClients shards, boolean verifyData) {
            this.records = records;
            this.shards = shards;
            this.verifyData = verifyData;
        }

        Report check() {
            Map<String, NodeRecord> live = new TreeMap<>();
            records.nodes(PAGE, n -> live.put(n.getNodeId(), n));
            // node -> shard id -> what the node lists
            Map<String, Map<String, ShardInfo>> onNode = new HashMap<>();
            long files = 0;
            for (NodeRecord n : live.values()) {
                Map<String, ShardInfo> listed = new HashMap<>();
                Iterator<ShardInfo> it = shards.blocking(n.getAddress())
                        .withDeadlineAfter(2, TimeUnit.MINUTES)
                        .listShards(ListShardsRequest.getDefaultInstance());
                while (it.hasNext()) {
                    ShardInfo s = it.next();
                    listed.put(s.getShardId(), s);
                }
                onNode.put(n.getNodeId(), listed);
                files += listed.size();
            }
            // records are read after the listing: a shard written meanwhile is referenced, not an orphan
            Map<String, Segment> referenced = new TreeMap<>(); // "where" -> segment
            int[] objects = {0};
            records.objects(PAGE, (where, o) -> {
                objects[0]++;
                for (int i = 0; i < o.getSegmentsCount(); i++) {
                    referenced.put(where + (o.getSegmentsCount() > 1 ? " part " + (i + 1) : ""), o.getSegments(i));
                }
            });
            records.parts(PAGE, (where, p) -> referenced.put("upload " + where, p.getSegment()));
            Set<String> gcQueued = new HashSet<>();
            records.garbage(PAGE, g -> {
                for (Segment s : g.getSegmentsList()) {
                    for (int i = 0; i < s.getNodeIdsCount(); i++)
                        gcQueued.add(s.getNodeIds(i) + "/" + SegmentEncoder.shardId(s.getShardSet(), i));
                }
            });

            List<Degraded> degraded = new ArrayList<>();
            Set<String> placed = new HashSet<>();
            Set<String> dead = new java.util.TreeSet<>();
            for (var e : referenced.entrySet()) {
                Segment seg = e.getValue();
                if (seg.getSize() == 0) continue; // an empty object stores no shards
                int total = seg.getLayout().getK() + seg.getLayout().getM();
                long length = StripeLayout.of(seg.getLayout(), seg.getSize()).shardLength();
                List<String> problems = new ArrayList<>();
                for (int i = 0; i < total; i++) {
                    String node = i < seg.getNodeIdsCount() ? seg.getNodeIds(i) : "";
                    String id = SegmentEncoder.shardId(seg.getShardSet(), i);
                    if (!node.isEmpty()) placed.add(node + "/" + id);
                    Integer crc = i < seg.getShardCrc32CCount() ? seg.getShardCrc32C(i) : null;
                    String problem = problem(seg, i, node, id, length, crc, live, onNode);
                    if (problem != null) {
                        problems.add(i + ": " + problem);
                        if (!node.isEmpty() && !live.containsKey(node)) dead.add(node);
                    }
                }
                if (!problems.isEmpty())
                    degraded.add(new Degraded(e.getKey(), seg.getShardSet(), total - problems.size(), total, problems));
            }
            List<Orphan> orphans = new ArrayList<>();
            for (var n : onNode.entrySet()) {
                for (ShardInfo s : n.getValue().values()) {
                    String at = n.getKey() + "/" + s.getShardId();
                    if (!placed.contains(at)) {
                        orphans.add(new Orphan(
                                n.getKey(),
                                s.getShardId(),
                                s.getLength(),
                                s.getModifiedUnixMs(),
                                gcQueued.contains(at)));
                    }
                }
            }
            orphans.sort(java.util.Comparator.comparing(Orphan::nodeId).thenComparing(Orphan::shardId));
            return new Report(objects[0], referenced.size(), files, degraded, orphans, dead, placed);
        }

        /** Why shard i of the segment is not healthy, or null when it is. */
        private String problem(
                Segment seg,
                int i,
                String node,
                String id,
                long length,
                Integer crc,
                Map<String, NodeRecord> live,
                Map<String, Map<String, ShardInfo>> onNode) {
            if (seg.getMissingShardsList().contains(i)) return "recorded missing";
            if (node.isEmpty()) return "on no node";
            if (!live.containsKey(node)) return "node " + node + " not live";
            ShardInfo info = onNode.get(node).get(id);
            if (info == null) return "no file on " + node;
            if (info.getLength() != length)
                return "on " + node + " with length " + info.getLength() + ", expected " + length;
            if (crc != null && info.getCrc32C() != crc)
                return "on " + node + " with a header CRC32C other than the record's";
            if (!verifyData) return null;
            try {
                CRC32C sum = new CRC32C();
                long got = 0;
                Iterator<ReadShardResponse> it = shards.blocking(live.get(node).getAddress())
                        .withDeadlineAfter(1, TimeUnit.MINUTES)
                        .readShard(ReadShardRequest.newBuilder().setShardId(id).build());
                while (it.hasNext()) {
                    var data = it.next().getData();
                    sum.update(data.asReadOnlyByteBuffer());
                    got += data.size();
                }
                if (got != length) return "on " + node + ": read " + got + " bytes, expected " + length;
                if (crc != null && (int) sum.getValue() != crc)
                    return "on " + node + ": data CRC32C differs from the record's";
                return null;
            } catch (RuntimeException e) {
                return "on " + node + ": read failed: " + io.grpc.Status.fromThrowable(e);
            }
        }
    }
}
