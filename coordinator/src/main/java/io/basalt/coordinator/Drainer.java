package io.basalt.coordinator;

import io.basalt.coordinator.admin.DrainStatus;
import io.basalt.core.cluster.Membership;
import io.basalt.core.meta.ClusterAdmin;
import io.basalt.core.meta.MetadataStore;
import io.basalt.core.meta.Versioned;
import io.basalt.proto.meta.NodeRecord;
import io.basalt.proto.meta.Segment;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Empties the nodes an operator drains ({@code admin/drain/<node>}): each pass walks every
 * segment of objects and of uploads in progress and moves each shard on a draining node to a
 * node {@link ShardMover#target} picks (never another draining one). Segments missing a shard
 * are left to the healer, which never writes to a draining node, so a drained node that died
 * is emptied by healing once its grace period is over. A pass that finds no shard
 * left marks the node {@code drained}; passes go on while the key exists, so a shard a PUT
 * placed just before the drain started is still moved when that PUT commits. Progress is
 * written back into the node's key, only while it exists, so a cancelled drain stays cancelled.
 */
final class Drainer extends LeaderTask {

    private static final Logger log = LogManager.getLogger(Drainer.class);
    /** Drained nodes are only re-checked (for shards a late PUT placed there) this often: a pass reads every record. */
    static final Duration RECHECK_DRAINED = Duration.ofMinutes(1);

    private final ClusterAdmin admin;
    private final Membership membership;
    private final SegmentScan scan;
    private final ShardMover mover;
    private final NodeZones zones;
    private long lastPassMs;
    /** For metrics: shards this process moved off draining nodes, and those the last pass left. */
    final AtomicLong moved = new AtomicLong();

    final AtomicLong failed = new AtomicLong();
    volatile long remaining;

    Drainer(
            MetadataStore meta,
            ClusterAdmin admin,
            Membership membership,
            ShardMover mover,
            NodeZones zones,
            Duration interval) {
        super("drain", Duration.ZERO, interval);
        this.admin = admin;
        this.membership = membership;
        this.scan = new SegmentScan(meta);
        this.mover = mover;
        this.zones = zones;
    }

    /** Per draining node: its key as read, and this pass's counts. */
    private static final class Progress {
        final Versioned<String> read;
        final DrainStatus before;
        long remaining;
        long moved;
        long failed;

        Progress(Versioned<String> read) {
            this.read = read;
            this.before = DrainStatus.fromJson(read.value());
        }
    }

    @Override
    protected void onStart() {
        lastPassMs = 0; // a new term checks drained nodes at once
    }

    @Override
    protected void pass() {
        Map<String, Progress> draining = new HashMap<>();
        admin.drains().forEach((node, read) -> draining.put(node, new Progress(read)));
        if (draining.isEmpty()) {
            remaining = 0;
            return;
        }
        long now = System.currentTimeMillis();
        boolean allDrained = draining.values().stream().allMatch(p -> DrainStatus.DRAINED.equals(p.before.state()));
        if (allDrained && now - lastPassMs < RECHECK_DRAINED.toMillis()) return;
        lastPassMs = now;
        scan.forEach((ref, segments) -> {
            for (Segment seg : segments) drainSegment(ref, seg, draining);
            return !Thread.currentThread().isInterrupted();
        });
        if (Thread.currentThread().isInterrupted()) return;
        // the metrics before the keys, so whoever sees a node's new state there finds the counts here
        remaining = draining.values().stream().mapToLong(p -> p.remaining).sum();
        draining.forEach(this::record);
    }

    private void drainSegment(SegmentScan.Ref ref, Segment seg, Map<String, Progress> draining) {
        Map<String, NodeRecord> live = membership.live();
        // A degraded segment is the healer's: moving a shard while it rebuilds others could put
        // two shards on one node. Healing writes only to nodes not being drained.
        boolean degraded = ShardMover.degraded(seg, live);
        for (int i = 0; i < seg.getNodeIdsCount(); i++) {
            Progress p = draining.get(seg.getNodeIds(i));
            if (p == null) continue;
            if (degraded) {
                p.remaining++;
                continue;
            }
            Optional<NodeRecord> target = ShardMover.target(seg, i, membership.writable(), zones.of(live));
            if (target.isEmpty()) {
                log.warn(
                        "drain {}: no node can take shard {} of {} (every writable node holds one of its shards)",
                        seg.getNodeIds(i),
                        i,
                        seg.getShardSet());
                p.remaining++;
                p.failed++;
                continue;
            }
            try {
                ShardMover.Outcome outcome = mover.move(ref, seg, i, target.get(), live);
                if (outcome == ShardMover.Outcome.CHANGED) {
                    // Overwritten, deleted or re-placed meanwhile: the next pass sees the segment as it is now.
                    log.info(
                            "drain {}: {} changed while moving shard {}; looking again next pass",
                            seg.getNodeIds(i),
                            seg.getShardSet(),
                            i);
                    p.remaining++;
                    return;
                }
                log.info(
                        "drain {}: moved shard {} of {} ({}/{}) to {}",
                        seg.getNodeIds(i),
                        i,
                        seg.getShardSet(),
                        ref.bucket(),
                        ref.key(),
                        target.get().getNodeId());
                p.moved++;
                // The record now differs from seg: later shards of it are moved from the new placement.
                seg = seg.toBuilder().setNodeIds(i, target.get().getNodeId()).build();
            } catch (Exception e) {
                log.warn(
                        "drain {}: moving shard {} of {} failed: {}",
                        seg.getNodeIds(i),
                        i,
                        seg.getShardSet(),
                        e.toString());
                p.remaining++;
                p.failed++;
            }
        }
    }

    /** Writes the pass's progress into the node's key, only if nobody changed or removed it meanwhile. */
    private void record(String node, Progress p) {
        moved.addAndGet(p.moved);
        failed.addAndGet(p.failed);
        DrainStatus b = p.before;
        String state = p.remaining == 0 ? DrainStatus.DRAINED : DrainStatus.DRAINING;
        if (state.equals(DrainStatus.DRAINED) && !DrainStatus.DRAINED.equals(b.state())) {
            log.info("drain {}: no referenced shard left ({} moved); safe to remove", node, b.movedShards() + p.moved);
        }
        DrainStatus next = new DrainStatus(
                state,
                b.requestedUnixMs(),
                System.currentTimeMillis(),
                p.remaining,
                b.movedShards() + p.moved,
                b.failedShards() + p.failed);
        admin.updateDrain(p.read, next.toJson());
    }
}
