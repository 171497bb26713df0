package io.basalt.coordinator;

import io.basalt.core.cluster.Membership;
import io.basalt.core.data.SegmentEncoder;
import io.basalt.core.meta.BucketRecords;
import io.basalt.core.meta.GarbageQueue;
import io.basalt.core.meta.HealQueue;
import io.basalt.core.meta.MetadataStore;
import io.basalt.core.meta.Versioned;
import io.basalt.core.shard.ShardClients;
import io.basalt.proto.meta.BucketRecord;
import io.basalt.proto.meta.GarbageRecord;
import io.basalt.proto.meta.HealRecord;
import io.basalt.proto.meta.NodeRecord;
import io.basalt.proto.meta.Segment;
import io.basalt.proto.meta.UploadRecord;
import io.basalt.proto.shard.DeleteShardRequest;
import io.basalt.proto.shard.ListShardsRequest;
import io.basalt.proto.shard.ShardInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Finds shards that no metadata references and no garbage record names: what a gateway killed
 * between writing shards and committing left behind; and stale copies, shards whose records place
 * them on another node (an old copy the GC kept because its file looked newer than its record).
 * The order of the two looks is what makes it safe: shards are listed first and only those older
 * than the grace period are candidates;
 * references are read afterwards, so anything committed before that read is seen. The grace
 * period must outlast the longest single PUT (the window between a shard's write and its commit).
 *
 * <p>The same listing also finds the opposite: shards a record places on a live node that the node does
 * not have (a deleted file; a truncated or rotten one the scrub reports itself). Reads report a missing
 * shard only when they touch it, and parity shards are rarely read, so these are queued for healing here.
 * A shard counts as missing only when the record placing it was read before the listing and still places
 * it after: a shard is durable on its node before any record names it, and one moved meanwhile is skipped.
 */
final class OrphanSweeper extends LeaderTask {

    private static final Logger log = LogManager.getLogger(OrphanSweeper.class);
    /** Orphan shards deleted since start. */
    final java.util.concurrent.atomic.AtomicLong removed = new java.util.concurrent.atomic.AtomicLong();

    private static final int SCAN_BATCH = 500;

    private final MetadataStore meta;
    private final HealQueue heals;
    private final GarbageQueue garbage;
    private final Membership membership;
    private final ShardClients shards;
    private final Duration grace;

    OrphanSweeper(
            MetadataStore meta,
            HealQueue heals,
            GarbageQueue garbage,
            Membership membership,
            ShardClients shards,
            Duration grace,
            Duration interval) {
        super("orphan-sweep", interval, interval);
        this.meta = meta;
        this.heals = heals;
        this.garbage = garbage;
        this.membership = membership;
        this.shards = shards;
        this.grace = grace;
    }

    @Override
    protected void pass() {
        sweep(System.currentTimeMillis());
    }

    /** Where a record places one shard: the object or upload part that references its segment. */
    record Placement(String bucket, String key, String uploadId, String shardSet, int index) {}

    record Candidate(NodeRecord node, String shardId, String shardSet) {}

    /** @return how many orphan shards were deleted */
    int sweep(long nowMs) {
        long cutoff = nowMs - grace.toMillis();
        Map<String, Placement> placedBefore = new HashMap<>();
        referencedOrQueued(placedBefore);
        List<Candidate> candidates = new ArrayList<>();
        Map<String, Set<String>> listed = new HashMap<>(); // node id -> shard ids, for nodes listed in full
        for (NodeRecord node : membership.live().values()) {
            Set<String> ids = new HashSet<>();
            try {
                Iterator<ShardInfo> it = shards.blocking(node.getAddress())
                        .withDeadlineAfter(5, TimeUnit.MINUTES)
                        .listShards(ListShardsRequest.getDefaultInstance());
                while (it.hasNext()) {
                    ShardInfo info = it.next();
                    ids.add(info.getShardId());
                    int dot = info.getShardId().lastIndexOf('.');
                    if (dot <= 0 || info.getModifiedUnixMs() >= cutoff) continue;
                    candidates.add(new Candidate(
                            node, info.getShardId(), info.getShardId().substring(0, dot)));
                }
                listed.put(node.getNodeId(), ids);
            } catch (RuntimeException e) {
                log.warn("orphan sweep: cannot list the shards of {}: {}", node.getNodeId(), e.toString());
            }
        }
        Map<String, Placement> placedAfter = new HashMap<>();
        Known known = referencedOrQueued(placedAfter);
        queueMissing(placedBefore, placedAfter, listed);
        if (candidates.isEmpty()) return 0;
        Map<String, Set<String>> holdersBefore = holders(placedBefore), holdersAfter = holders(placedAfter);
        int deleted = 0;
        for (Candidate c : candidates) {
            if (known.queued().contains(c.shardSet())) continue; // the GC's to delete, or a heal's to write
            if (known.referenced().contains(c.shardSet())
                    && !(placedElsewhere(c, holdersBefore) && placedElsewhere(c, holdersAfter))) continue;
            try {
                var answer = shards.blocking(c.node().getAddress())
                        .withDeadlineAfter(10, TimeUnit.SECONDS)
                        .deleteShard(DeleteShardRequest.newBuilder()
                                .setShardId(c.shardId())
                                .setOnlyIfWrittenBeforeUnixMs(Math.max(1, cutoff))
                                .build());
                boolean gone = answer.getExisted() && !answer.getKept();
                if (gone) {
                    deleted++;
                    removed.incrementAndGet();
                    log.info(
                            "deleted orphan shard {} on {} ({})",
                            c.shardId(),
                            c.node().getNodeId(),
                            known.referenced().contains(c.shardSet())
                                    ? "a stale copy: the records place it on another node"
                                    : "no record references it");
                }
            } catch (RuntimeException e) {
                log.warn(
                        "could not delete orphan {} on {}: {}",
                        c.shardId(),
                        c.node().getNodeId(),
                        e.toString());
            }
        }
        return deleted;
    }

    /**
     * Whether the records place this shard (same set, same index) on another node: the copy listed is then a
     * stale one that its GC record missed, e.g. its file was touched after the record was queued (a node's
     * clock ahead, a restore) so the GC kept it as newer. Nothing else would ever delete it.
     */
    private static boolean placedElsewhere(Candidate c, Map<String, Set<String>> holders) {
        Set<String> nodes = holders.getOrDefault(c.shardId(), Set.of());
        return !nodes.isEmpty() && !nodes.contains(c.node().getNodeId());
    }

    /** Shard id -> the nodes the records place it on. */
    private static Map<String, Set<String>> holders(Map<String, Placement> placed) {
        Map<String, Set<String>> out = new HashMap<>();
        for (String at : placed.keySet()) {
            int slash = at.indexOf('/');
            out.computeIfAbsent(at.substring(slash + 1), id -> new HashSet<>()).add(at.substring(0, slash));
        }
        return out;
    }

    /** Queues for healing the shards placed on a fully listed node, before and after its listing, that it lacks. */
    private void queueMissing(
            Map<String, Placement> before, Map<String, Placement> after, Map<String, Set<String>> listed) {
        Map<String, HealRecord.Builder> heals = new HashMap<>();
        for (var e : before.entrySet()) {
            String nodeId = e.getKey().substring(0, e.getKey().indexOf('/'));
            String shardId = e.getKey().substring(nodeId.length() + 1);
            Set<String> ids = listed.get(nodeId);
            Placement p = e.getValue();
            if (ids == null || ids.contains(shardId) || !p.equals(after.get(e.getKey()))) continue;
            log.warn(
                    "shard {} is missing on {} although {}/{} places it there: queueing it for healing",
                    shardId,
                    nodeId,
                    p.bucket(),
                    p.uploadId().isEmpty() ? p.key() : p.key() + " (upload " + p.uploadId() + ")");
            heals.computeIfAbsent(
                            p.shardSet(),
                            s -> HealRecord.newBuilder()
                                    .setBucket(p.bucket())
                                    .setKey(p.key())
                                    .setUploadId(p.uploadId())
                                    .setShardSet(s)
                                    .setQueuedUnixMs(System.currentTimeMillis())
                                    .setReason("shard file missing on its node (orphan sweep inventory)"))
                    .addShards(p.index());
        }
        for (HealRecord.Builder h : heals.values()) {
            try {
                meta.queueHeal(h.build());
            } catch (RuntimeException ex) {
                log.warn("could not queue heal of {}: {}", h.getShardSet(), ex.toString());
            }
        }
    }

    /** Shard sets an object or upload part references, and those a garbage or heal record names. */
    private record Known(Set<String> referenced, Set<String> queued) {}

    /**
     * Every shard set an object, an upload part or a queue entry names; {@code placed} gets, per
     * {@code node/shard id}, the object or part that places each written shard there.
     */
    private Known referencedOrQueued(Map<String, Placement> placed) {
        Set<String> known = new HashSet<>();
        List<BucketRecord> buckets = meta.listBuckets();
        for (BucketRecord b : buckets) {
            for (UploadRecord u : meta.listUploads(b.getName())) {
                meta.getUploadState(b.getName(), u.getUploadId())
                        .ifPresent(s -> s.parts().forEach(p -> {
                            known.add(p.getSegment().getShardSet());
                            place(placed, b.getName(), u.getKey(), u.getUploadId(), p.getSegment());
                        }));
            }
        }
        // Objects as of one revision taken after the parts: an upload completed meanwhile is in it, and a
        // version that moves between current and noncurrent during the walk is seen exactly once, never missed.
        long revision = meta.revision();
        for (BucketRecord b : buckets) {
            BucketRecords.walk(meta, b.getName(), revision, SCAN_BATCH, (key, record) -> {
                for (Segment s : record.getSegmentsList()) {
                    known.add(s.getShardSet());
                    place(placed, b.getName(), key, "", s);
                }
                return true;
            });
        }
        // Queued garbage is the GC's to delete; healing may still be writing the shards it names.
        Set<String> queued = new HashSet<>();
        for (Versioned<GarbageRecord> g : garbage.all()) {
            if (g.readable()) {
                g.value().getSegmentsList().forEach(s -> queued.add(s.getShardSet()));
            } else {
                log.warn("orphan sweep: unreadable garbage record {}", g.name());
            }
        }
        queued.addAll(heals.shardSets());
        return new Known(known, queued);
    }

    private static void place(Map<String, Placement> placed, String bucket, String key, String uploadId, Segment s) {
        for (int i = 0; i < s.getNodeIdsCount(); i++) {
            if (s.getNodeIds(i).isEmpty() || s.getMissingShardsList().contains(i)) continue;
            placed.put(
                    s.getNodeIds(i) + "/" + SegmentEncoder.shardId(s.getShardSet(), i),
                    new Placement(bucket, key, uploadId, s.getShardSet(), i));
        }
    }
}
