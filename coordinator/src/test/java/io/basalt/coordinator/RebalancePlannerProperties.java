package io.basalt.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.core.placement.Placement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * {@link RebalancePlanner} on random clusters: its moves, applied in order, never put two shards
 * of a segment on one node nor worsen a segment's zone spread, never raise the imbalance, leave
 * every node within the tolerance (or within what whole shards allow), and planning again moves nothing.
 */
class RebalancePlannerProperties {

    static final long CAPACITY = 1_000_000;

    /** A random cluster: nodes of equal capacity in {@code zoneCount} zones (0: unlabelled), segments on distinct nodes. */
    record Cluster(
            List<RebalancePlanner.Node> nodes,
            List<RebalancePlanner.Placed> segments,
            Map<String, String> zones,
            long maxShard) {}

    static Cluster cluster(long seed, int nodeCount, int zoneCount, int segmentCount, int emptyNodes) {
        Random r = new Random(seed);
        List<RebalancePlanner.Node> nodes = new ArrayList<>();
        Map<String, String> zones = new HashMap<>();
        for (int i = 0; i < nodeCount; i++) {
            String zone = zoneCount == 0 ? "" : "z" + (i % zoneCount);
            nodes.add(new RebalancePlanner.Node("n" + i, zone, CAPACITY));
            zones.put("n" + i, zone);
        }
        // The last nodes were just added: they hold nothing yet.
        List<String> old = nodes.subList(0, Math.max(2, nodeCount - emptyNodes)).stream()
                .map(RebalancePlanner.Node::id)
                .toList();
        List<RebalancePlanner.Placed> segments = new ArrayList<>();
        long maxShard = 0;
        for (int s = 0; s < segmentCount; s++) {
            int width = 2 + r.nextInt(Math.min(5, old.size() - 1));
            List<String> pick = new ArrayList<>(old);
            Collections.shuffle(pick, r);
            long bytes = 1 + r.nextInt(r.nextBoolean() ? 1000 : 20_000);
            maxShard = Math.max(maxShard, bytes);
            segments.add(new RebalancePlanner.Placed("s" + s, List.copyOf(pick.subList(0, width)), bytes));
        }
        return new Cluster(nodes, segments, zones, maxShard);
    }

    @Property(tries = 300)
    void movesKeepNodesDistinctAndZonesSpreadAndNeverRaiseImbalance(
            @ForAll long seed,
            @ForAll @IntRange(min = 3, max = 10) int nodeCount,
            @ForAll @IntRange(min = 0, max = 4) int zoneCount,
            @ForAll @IntRange(min = 0, max = 80) int segmentCount,
            @ForAll @IntRange(min = 0, max = 3) int emptyNodes,
            @ForAll @IntRange(min = 0, max = 10) int tolerancePoints) {
        Cluster c = cluster(seed, nodeCount, zoneCount, segmentCount, emptyNodes);
        List<RebalancePlanner.Move> moves =
                RebalancePlanner.plan(c.nodes(), c.segments(), c.zones(), tolerancePoints / 100.0);
        Map<String, List<String>> placement = placements(c);
        double before = sumOfSquares(used(c, placement));
        for (RebalancePlanner.Move m : moves) {
            List<String> nodes = placement.get(m.shardSet());
            assertEquals(m.from(), nodes.get(m.shard()), "moves the shard from where it is");
            assertNotEquals(m.from(), m.to());
            assertTrue(!nodes.contains(m.to()), m.to() + " already holds a shard of " + m.shardSet());
            List<String> otherZones = new ArrayList<>();
            for (int i = 0; i < nodes.size(); i++)
                if (i != m.shard()) otherZones.add(c.zones().get(nodes.get(i)));
            assertTrue(
                    Placement.keepsSpread(
                            otherZones, c.zones().get(m.from()), c.zones().get(m.to())),
                    "zone spread kept");
            nodes.set(m.shard(), m.to());
        }
        for (List<String> nodes : placement.values())
            assertEquals(nodes.size(), new HashSet<>(nodes).size(), "distinct nodes " + nodes);
        assertTrue(sumOfSquares(used(c, placement)) <= before, "imbalance never rises");

        // Idempotent: planned again from where the moves left off, nothing moves.
        List<RebalancePlanner.Placed> moved = new ArrayList<>();
        for (RebalancePlanner.Placed p : c.segments())
            moved.add(new RebalancePlanner.Placed(p.shardSet(), placement.get(p.shardSet()), p.shardBytes()));
        assertEquals(List.of(), RebalancePlanner.plan(c.nodes(), moved, c.zones(), tolerancePoints / 100.0));
    }

    @Property(tries = 300)
    void withoutZonesEveryNodeEndsWithinTheToleranceOrWithinTwoShards(
            @ForAll long seed,
            @ForAll @IntRange(min = 3, max = 10) int nodeCount,
            @ForAll @IntRange(min = 0, max = 80) int segmentCount,
            @ForAll @IntRange(min = 0, max = 3) int emptyNodes,
            @ForAll @IntRange(min = 0, max = 10) int tolerancePoints) {
        Cluster c = cluster(seed, nodeCount, 0, segmentCount, emptyNodes);
        double tolerance = tolerancePoints / 100.0;
        Map<String, List<String>> placement = placements(c);
        for (RebalancePlanner.Move m : RebalancePlanner.plan(c.nodes(), c.segments(), c.zones(), tolerance)) {
            placement.get(m.shardSet()).set(m.shard(), m.to());
        }
        Map<String, Long> used = used(c, placement);
        double mean = used.values().stream().mapToLong(Long::longValue).sum() / (double) (CAPACITY * nodeCount);
        // The last move's shard may not fit: a node stays above the band by less than two shards.
        double bound = mean * CAPACITY + Math.max(tolerance * CAPACITY, 2 * c.maxShard());
        for (var e : used.entrySet())
            assertTrue(e.getValue() <= bound + 1e-6, e.getKey() + " holds " + e.getValue() + " > " + bound);
    }

    private static Map<String, List<String>> placements(Cluster c) {
        Map<String, List<String>> out = new HashMap<>();
        for (RebalancePlanner.Placed p : c.segments()) out.put(p.shardSet(), new ArrayList<>(p.nodeIds()));
        return out;
    }

    private static Map<String, Long> used(Cluster c, Map<String, List<String>> placement) {
        Map<String, Long> out = new HashMap<>();
        for (RebalancePlanner.Node n : c.nodes()) out.put(n.id(), 0L);
        for (RebalancePlanner.Placed p : c.segments())
            for (String n : placement.get(p.shardSet())) out.merge(n, p.shardBytes(), Long::sum);
        return out;
    }

    private static double sumOfSquares(Map<String, Long> used) {
        double s = 0;
        for (long u : used.values()) s += (double) u * u;
        return s;
    }
}
