package io.basalt.coordinator;

import io.basalt.core.cluster.Membership;
import io.basalt.core.data.HealSteps;
import io.basalt.core.data.SegmentHealer;
import io.basalt.core.data.ShardProblems;
import io.basalt.core.erasure.StripeLayout;
import io.basalt.core.meta.ClusterAdmin;
import io.basalt.core.meta.HealQueue;
import io.basalt.core.meta.MetadataStore;
import io.basalt.core.meta.Versioned;
import io.basalt.core.placement.Placement;
import io.basalt.core.shard.ShardClients;
import io.basalt.proto.meta.HealRecord;
import io.basalt.proto.meta.NodeRecord;
import io.basalt.proto.meta.PartRecord;
import io.basalt.proto.meta.Segment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Brings segments back to k+m healthy shards. Work comes from the heal/ queue (segments
 * written below full redundancy, shards a read found corrupt) and from a scan of every object
 * once a storage node has been gone longer than the grace period. A segment is rebuilt by
 * {@link SegmentHealer} onto live nodes that hold none of its shards (a corrupt shard on a live
 * node is rewritten in place), then swapped into the record by a transaction that fails if the
 * object changed meanwhile, in which case the rebuilt shards are thrown away.
 *
 * <p>Records from a storage node's scrub name only the shard set; the objects and parts that
 * reference them are found by one scan per batch. Rebuilt bytes are paced by the {@link HealRate}
 * an operator can change at run time; an operator's {@code admin/heal-request} triggers a full
 * scan, which covers the parts of uploads in progress as well as objects. New shards go where
 * {@link Placement} would put them next to the segment's surviving shards, never to a node being drained.
 */
final class Healer extends LeaderTask {

    private static final Logger log = LogManager.getLogger(Healer.class);
    private static final int QUEUE_BATCH = 100;

    private final MetadataStore meta;
    private final HealQueue queue;
    private final ClusterAdmin admin;
    private final Membership membership;
    private final SegmentHealer segments;
    private final Duration nodeGrace;
    private final Map<String, Long> absentSince = new ConcurrentHashMap<>();
    private final Set<String> scannedFor = ConcurrentHashMap.newKeySet();
    private volatile boolean initialScan = true;
    private final ShardSetLocator locator;
    private final SegmentScan scan;
    private final HealRate rate;
    private final ShardCopyGarbage garbage;
    private final HealWorkers workers = new HealWorkers("healer-worker");
    private final HealSteps steps = new HealSteps();

    final AtomicLong healed = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    final AtomicLong scanned = new AtomicLong();
    final AtomicLong bytes = new AtomicLong();

    Healer(
            MetadataStore meta,
            HealQueue queue,
            ClusterAdmin admin,
            Membership membership,
            ShardClients clients,
            Duration nodeGrace,
            Duration interval,
            HealRate rate,
            ShardCopyGarbage garbage) {
        super("healer", Duration.ZERO, interval);
        this.meta = meta;
        this.queue = queue;
        this.admin = admin;
        this.membership = membership;
        this.segments = new SegmentHealer(clients, 30_000);
        this.nodeGrace = nodeGrace;
        this.locator = new ShardSetLocator(meta);
        this.scan = new SegmentScan(meta);
        this.rate = rate;
        this.garbage = garbage;
    }

    @Override
    protected void onStart() {
        // A new leader does not know which nodes died before it: one scan finds the nodes that
        // objects reference but that are gone, and starts their grace periods.
        initialScan = true;
    }

    @Override
    protected void pass() {
        Map<String, NodeRecord> live = membership.live();
        long now = System.currentTimeMillis();
        for (String id : live.keySet()) {
            absentSince.remove(id);
            scannedFor.remove(id);
        }
        rate.refresh(true);
        drainQueue(live, now);
        Optional<Versioned<String>> request = admin.pending(ClusterAdmin.Request.HEAL);
        if (request.isPresent()) {
            log.info(
                    "heal: full scan requested by an operator ({})",
                    request.get().value());
            if (scanAll(live, now)) {
                admin.complete(ClusterAdmin.Request.HEAL, request.get());
                log.info("heal: requested full scan done");
            }
        } else if (initialScan) {
            scanAll(live, now);
            initialScan = false;
        }
        Set<String> overdue = new TreeSet<>();
        absentSince.forEach((id, since) -> {
            if (now - since >= nodeGrace.toMillis() && !scannedFor.contains(id)) overdue.add(id);
        });
        if (!overdue.isEmpty()) {
            log.info("storage nodes {} gone for more than {}: scanning objects to heal", overdue, nodeGrace);
            if (scanAll(live, now)) scannedFor.addAll(overdue);
        }
    }

    /** Notes nodes that left, so the grace period counts from when they were last seen. */
    void membershipChanged(Set<String> previouslyLive, Map<String, NodeRecord> live) {
        long now = System.currentTimeMillis();
        boolean left = false;
        for (String id : previouslyLive) {
            if (!live.containsKey(id)) left |= absentSince.putIfAbsent(id, now) == null;
        }
        // Start healing when the grace ends, not at the next regular pass up to an interval later.
        if (left) passAfter(nodeGrace.plusMillis(100));
    }

    private void drainQueue(Map<String, NodeRecord> live, long now) {
        List<Versioned<HealRecord>> batch = new ArrayList<>();
        for (Versioned<HealRecord> entry : queue.first(QUEUE_BATCH)) {
            if (entry.readable()) {
                batch.add(entry);
            } else {
                log.warn("heal: dropping unreadable record {}", entry.name());
                queue.removeIfUnchanged(entry);
            }
        }
        Map<String, SegmentScan.Ref> located =
                locateUnnamed(batch.stream().map(Versioned::value).toList());
        // Records naming the same shard set are healed as one, so no two heals race on a segment.
        Map<String, List<Versioned<HealRecord>>> bySet = new LinkedHashMap<>();
        for (Versioned<HealRecord> e : batch)
            bySet.computeIfAbsent(e.value().getShardSet(), s -> new ArrayList<>())
                    .add(e);
        HealWorkers.Batch heals = workers.batch(rate.parallelism());
        for (List<Versioned<HealRecord>> records : bySet.values()) {
            HealRecord h = records.get(0).value();
            String bucket = h.getBucket();
            String key = h.getKey();
            String uploadId = h.getUploadId();
            if (unnamed(h)) {
                SegmentScan.Ref ref = located.get(h.getShardSet());
                if (ref == null) {
                    // Referenced nowhere: a failed PUT's leftovers or a version replaced since, which GC
                    // owns. Should a PUT commit it after all, its reads report the rot again.
                    log.info(
                            "heal: dropping {} ({}): shard set referenced by no object or upload",
                            h.getShardSet(),
                            h.getReason());
                    records.forEach(queue::removeIfUnchanged);
                    continue;
                }
                bucket = ref.bucket();
                key = ref.key();
                uploadId = ref.uploadId();
            }
            Set<Integer> reported = new HashSet<>();
            for (Versioned<HealRecord> e : records) reported.addAll(e.value().getShardsList());
            String b = bucket, k = key, u = uploadId;
            heals.submit(() -> {
                boolean done = heal(b, k, u, h.getShardSet(), reported, live, now);
                if (done) records.forEach(queue::removeIfUnchanged);
                return done;
            });
        }
        heals.await();
        logSteps(heals);
    }

    private void logSteps(HealWorkers.Batch heals) {
        String split = steps.drain();
        if (!split.isEmpty())
            log.info("heal: batch of {} ms, {} at once: {}", heals.elapsedMillis(), heals.parallelism(), split);
    }

    /** Scrub reports name no object: the node knows only shard sets. */
    private static boolean unnamed(HealRecord h) {
        return h.getBucket().isEmpty()
                && h.getKey().isEmpty()
                && h.getUploadId().isEmpty();
    }

    /** One scan of the metadata for every unnamed record of the batch, however many there are. */
    private Map<String, SegmentScan.Ref> locateUnnamed(java.util.Collection<HealRecord> batch) {
        Set<String> wanted = new HashSet<>();
        for (HealRecord h : batch) if (unnamed(h)) wanted.add(h.getShardSet());
        if (wanted.isEmpty()) return Map.of();
        Map<String, SegmentScan.Ref> found = locator.locate(wanted);
        log.info("heal: located {} of {} shard sets reported by storage nodes", found.size(), wanted.size());
        return found;
    }

    /** @return true when every segment (of objects and of uploads in progress) was looked at */
    private boolean scanAll(Map<String, NodeRecord> live, long now) {
        HealWorkers.Batch heals = workers.batch(rate.parallelism());
        scan.forEach((ref, segments) -> {
            if (!ref.isPart()) scanned.incrementAndGet();
            for (Segment seg : segments) {
                if (!lostShards(seg, live, now).isEmpty()) {
                    heals.submit(() ->
                            heal(ref.bucket(), ref.key(), ref.uploadId(), seg.getShardSet(), Set.of(), live, now));
                }
            }
            return true;
        });
        boolean done = heals.await();
        logSteps(heals);
        return done;
    }

    /**
     * Rebuilds the segment's unhealthy shards.
     * @return true when nothing is left to do for it (healed, or no longer referenced)
     */
    private boolean heal(
            String bucket,
            String key,
            String uploadId,
            String shardSet,
            Set<Integer> reported,
            Map<String, NodeRecord> live,
            long now) {
        long t = System.nanoTime();
        Optional<Segment> found = find(bucket, key, uploadId, shardSet);
        steps.add(HealSteps.Step.FIND, t);
        if (found.isEmpty()) return true; // overwritten or deleted: GC owns its shards now
        Segment seg = found.get();
        Set<Integer> lost = lostShards(seg, live, now);
        lost.addAll(reported);
        if (lost.isEmpty()) return true;
        Set<Integer> waiting = new TreeSet<>();
        for (int i : lost) {
            String node = seg.getNodeIds(i);
            // A node inside its grace period may come back with the shard intact.
            if (!node.isEmpty()
                    && !live.containsKey(node)
                    && !reported.contains(i)
                    && !seg.getMissingShardsList().contains(i)
                    && now - absentSince.computeIfAbsent(node, n -> now) < nodeGrace.toMillis()) {
                waiting.add(i);
            }
        }
        lost.removeAll(waiting);
        if (lost.isEmpty()) return false;
        int[] shards = lost.stream().mapToInt(Integer::intValue).toArray();
        List<NodeRecord> targets = targets(seg, shards, live, membership.writable());
        if (targets == null) {
            log.warn("heal {}: not enough live nodes to place {} shards", shardSet, shards.length);
            return false;
        }
        long rebuiltBytes =
                shards.length * StripeLayout.of(seg.getLayout(), seg.getSize()).shardLength();
        // Paced before the rebuild, not after: the workers then start their segments one rate-step apart
        // instead of all at once, and none holds open streams while it waits.
        t = System.nanoTime();
        rate.pace(rebuiltBytes);
        steps.add(HealSteps.Step.PACE, t);
        try {
            List<SegmentHealer.Rebuilt> rebuilt =
                    segments.rebuild(seg, live, shards, targets, ShardProblems.NONE, steps);
            // Only onto the placement the rebuild started from: a drain or rebalance may have moved
            // a shard of this segment meanwhile, maybe onto a node just chosen here.
            Map<Integer, String> expected = new java.util.HashMap<>();
            for (int i = 0; i < seg.getNodeIdsCount(); i++) expected.put(i, seg.getNodeIds(i));
            // The old copies are queued as garbage in the swap's own transaction.
            t = System.nanoTime();
            boolean swapped = meta.replaceShards(
                    bucket,
                    key,
                    uploadId,
                    shardSet,
                    rebuilt,
                    expected,
                    ShardCopyGarbage.records(seg, staleCopies(seg, rebuilt, live), "healed around"));
            steps.add(HealSteps.Step.TXN, t);
            if (!swapped) {
                Optional<Segment> current = find(bucket, key, uploadId, shardSet);
                log.info(
                        "heal {}: the {} changed while healing; discarding the rebuilt shards",
                        shardSet,
                        current.isPresent() ? "segment's placement" : "object");
                // A copy that a move meanwhile put on the same node under the same id is the record's now: keep it.
                List<SegmentHealer.Rebuilt> discard = rebuilt.stream()
                        .filter(r -> current.isEmpty()
                                || !current.get().getNodeIds(r.shard()).equals(r.nodeId()))
                        .toList();
                garbage.queue(seg, discard, current.isPresent() ? "heal raced a move" : "heal raced an overwrite");
                return current.isEmpty();
            }
            steps.healed(rebuiltBytes);
            healed.incrementAndGet();
            bytes.addAndGet(rebuiltBytes);
            log.info(
                    "healed {}/{} segment {}: shards {} now on {}",
                    bucket,
                    key,
                    shardSet,
                    lost,
                    rebuilt.stream().map(SegmentHealer.Rebuilt::nodeId).toList());
            return waiting.isEmpty();
        } catch (Exception e) {
            failed.incrementAndGet();
            log.warn("heal {}/{} segment {} failed: {}", bucket, key, shardSet, e.toString());
            return false;
        }
    }

    @Override
    public void close() {
        super.close();
        workers.close();
    }

    /** Shards on no node, on a node gone past the grace period, or never written. */
    private Set<Integer> lostShards(Segment seg, Map<String, NodeRecord> live, long now) {
        Set<Integer> lost = new TreeSet<>(seg.getMissingShardsList());
        for (int i = 0; i < seg.getNodeIdsCount(); i++) {
            String node = seg.getNodeIds(i);
            if (node.isEmpty()) {
                lost.add(i);
            } else if (!live.containsKey(node)) {
                long since = absentSince.computeIfAbsent(node, n -> now);
                if (now - since >= nodeGrace.toMillis()) lost.add(i);
            }
        }
        return lost;
    }

    /**
     * A corrupt shard on a live node is rewritten in place; others go to writable nodes holding
     * none of the segment, spread over zones next to the surviving shards as a write would be.
     */
    static List<NodeRecord> targets(
            Segment seg, int[] shards, Map<String, NodeRecord> live, Map<String, NodeRecord> writable) {
        // A slot recorded missing may still name the node whose write failed (a paused or full node); that
        // node holds nothing of the segment and may take the shard, or with k+m nodes nothing could.
        Set<String> holding = new HashSet<>();
        for (int i = 0; i < seg.getNodeIdsCount(); i++) {
            if (!seg.getMissingShardsList().contains(i)) holding.add(seg.getNodeIds(i));
        }
        List<NodeRecord> free = writable.values().stream()
                .filter(n -> !holding.contains(n.getNodeId()) && Placement.writable(n))
                .toList();
        int needNew = 0;
        for (int i : shards) if (!inPlace(seg, i, live)) needNew++;
        if (free.size() < needNew) return null;
        // Zones that keep a shard: survivors, and corrupt shards rewritten in place.
        List<String> survivingZones = new ArrayList<>();
        Set<Integer> rebuilt = new HashSet<>();
        for (int i : shards) rebuilt.add(i);
        for (int i = 0; i < seg.getNodeIdsCount(); i++) {
            NodeRecord n = live.get(seg.getNodeIds(i));
            boolean stays = rebuilt.contains(i)
                    ? inPlace(seg, i, live)
                    : n != null && !seg.getMissingShardsList().contains(i);
            if (stays) survivingZones.add(n.getZone());
        }
        List<NodeRecord> fresh = Placement.chooseMore(seg.getShardSet() + "/heal", free, needNew, survivingZones);
        List<NodeRecord> out = new ArrayList<>();
        int next = 0;
        for (int i : shards) {
            out.add(inPlace(seg, i, live) ? live.get(seg.getNodeIds(i)) : fresh.get(next++));
        }
        return out;
    }

    /** A shard written once to a live node that can still store goes back to that node (into a healthy dir of it). */
    private static boolean inPlace(Segment seg, int shard, Map<String, NodeRecord> live) {
        NodeRecord same = live.get(seg.getNodeIds(shard));
        return same != null
                && Placement.writable(same)
                && !seg.getMissingShardsList().contains(shard);
    }

    private Optional<Segment> find(String bucket, String key, String uploadId, String shardSet) {
        if (!uploadId.isEmpty()) {
            for (PartRecord p : meta.listParts(uploadId)) {
                if (p.getSegment().getShardSet().equals(shardSet)) return Optional.of(p.getSegment());
            }
        }
        // the current version or, in a versioned bucket, a noncurrent one
        return meta.versionsWithData(bucket, key).stream()
                .flatMap(o -> o.getSegmentsList().stream())
                .filter(s -> s.getShardSet().equals(shardSet))
                .findFirst();
    }

    /** The old locations of moved shards, for GC to delete once their nodes answer again. */
    private static List<SegmentHealer.Rebuilt> staleCopies(
            Segment seg, List<SegmentHealer.Rebuilt> rebuilt, Map<String, NodeRecord> live) {
        List<SegmentHealer.Rebuilt> stale = new ArrayList<>();
        for (SegmentHealer.Rebuilt r : rebuilt) {
            String old = seg.getNodeIds(r.shard());
            if (!old.isEmpty() && !old.equals(r.nodeId())) stale.add(new SegmentHealer.Rebuilt(r.shard(), old, 0));
        }
        return stale;
    }
}
