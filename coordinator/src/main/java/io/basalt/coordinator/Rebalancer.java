package io.basalt.coordinator;

import io.basalt.coordinator.admin.AdminRequests;
import io.basalt.coordinator.admin.CoordinatorStatus;
import io.basalt.core.cluster.Membership;
import io.basalt.core.erasure.StripeLayout;
import io.basalt.core.meta.ClusterAdmin;
import io.basalt.core.meta.MetadataStore;
import io.basalt.core.meta.Versioned;
import io.basalt.proto.meta.NodeRecord;
import io.basalt.proto.meta.Segment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Evens out usage when an operator asks ({@code admin/rebalance-request}, whose value is the
 * tolerance in percentage points): each pass reads where every shard is, lets
 * {@link RebalancePlanner} choose the moves, and makes them one by one through the
 * {@link ShardMover}. A pass that plans no move removes the request: usage is even. Nodes being
 * drained and nodes that are down take no part.
 */
final class Rebalancer extends LeaderTask {

    private static final Logger log = LogManager.getLogger(Rebalancer.class);

    private final ClusterAdmin admin;
    private final Membership membership;
    private final SegmentScan scan;
    private final ShardMover mover;
    private final NodeZones zones;

    private volatile String state = CoordinatorStatus.Rebalance.IDLE;
    private volatile double tolerancePoints;
    final AtomicLong planned = new AtomicLong();
    final AtomicLong moved = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    final AtomicLong bytes = new AtomicLong();

    Rebalancer(
            MetadataStore meta,
            ClusterAdmin admin,
            Membership membership,
            ShardMover mover,
            NodeZones zones,
            Duration interval) {
        super("rebalance", Duration.ZERO, interval);
        this.admin = admin;
        this.membership = membership;
        this.scan = new SegmentScan(meta);
        this.mover = mover;
        this.zones = zones;
    }

    CoordinatorStatus.Rebalance status(boolean requestPending) {
        return new CoordinatorStatus.Rebalance(
                state, tolerancePoints, planned.get(), moved.get(), failed.get(), bytes.get(), requestPending);
    }

    /** A segment as the walk found it, and where it lives. */
    private record Found(SegmentScan.Ref ref, Segment segment) {}

    @Override
    protected void pass() {
        Optional<Versioned<String>> request = admin.pending(ClusterAdmin.Request.REBALANCE);
        if (request.isEmpty()) return;
        tolerancePoints = AdminRequests.tolerancePoints(request.get().value());
        Map<String, NodeRecord> writable = membership.writable();
        Map<String, NodeRecord> live = membership.live();
        Map<String, String> zoneOf = zones.of(live);
        Map<String, Found> found = new HashMap<>();
        List<RebalancePlanner.Placed> placed = new ArrayList<>();
        scan.forEach((ref, segments) -> {
            for (Segment s : segments) {
                found.put(s.getShardSet(), new Found(ref, s));
                List<String> nodes = new ArrayList<>(s.getNodeIdsList());
                for (int i : s.getMissingShardsList()) if (i < nodes.size()) nodes.set(i, ""); // holds nothing
                // A degraded segment counts but stays put: it is the healer's until whole again.
                placed.add(new RebalancePlanner.Placed(
                        s.getShardSet(),
                        nodes,
                        StripeLayout.of(s.getLayout(), s.getSize()).shardLength(),
                        !ShardMover.degraded(s, live)));
            }
            return true;
        });
        List<RebalancePlanner.Node> nodes = writable.values().stream()
                .map(n -> new RebalancePlanner.Node(n.getNodeId(), n.getZone(), n.getTotalBytes()))
                .toList();
        List<RebalancePlanner.Move> moves = RebalancePlanner.plan(nodes, placed, zoneOf, tolerancePoints / 100);
        planned.set(moves.size());
        if (moves.isEmpty()) {
            if (!state.equals(CoordinatorStatus.Rebalance.EVEN))
                log.info("rebalance: usage is even (tolerance {} points)", tolerancePoints);
            state = CoordinatorStatus.Rebalance.EVEN;
            // A request made again while this pass ran stays, so its tolerance is honoured.
            admin.complete(ClusterAdmin.Request.REBALANCE, request.get());
            return;
        }
        state = CoordinatorStatus.Rebalance.RUNNING;
        log.info(
                "rebalance: {} moves planned ({} bytes)",
                moves.size(),
                moves.stream().mapToLong(RebalancePlanner.Move::bytes).sum());
        for (RebalancePlanner.Move m : moves) {
            if (Thread.currentThread().isInterrupted()) return;
            Found f = found.get(m.shardSet());
            NodeRecord target = writable.get(m.to());
            try {
                if (mover.move(f.ref(), f.segment(), m.shard(), target, membership.live())
                        == ShardMover.Outcome.MOVED) {
                    moved.incrementAndGet();
                    bytes.addAndGet(m.bytes());
                    found.put(
                            m.shardSet(),
                            new Found(
                                    f.ref(),
                                    f.segment().toBuilder()
                                            .setNodeIds(m.shard(), m.to())
                                            .build()));
                }
            } catch (Exception e) {
                failed.incrementAndGet();
                log.warn(
                        "rebalance: moving shard {} of {} from {} to {} failed: {}",
                        m.shard(),
                        m.shardSet(),
                        m.from(),
                        m.to(),
                        e.toString());
            }
        }
    }
}
