package io.basalt.coordinator;

import io.basalt.core.placement.Placement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Plans the shard moves that even out usage, as a pure function of where shards are: while a
 * node's used fraction is above the mean by more than the tolerance, its largest shard that may
 * legally go to the emptiest node below the mean goes there. A move is legal when the receiver
 * holds no shard of that segment, the segment's zone spread stays as {@link Placement} keeps it,
 * and the move does not overshoot (the giver stays at least as full as the taker), so every move
 * strictly lowers the sum of squared usage and planning ends; nothing moves that need not.
 */
final class RebalancePlanner {

    /** A node that may give and take shards; {@code capacityBytes} weighs its share. */
    record Node(String id, String zone, long capacityBytes) {}

    /**
     * A segment's placement: {@code nodeIds.get(i)} holds shard i ("" for none); every shard is
     * {@code shardBytes} long. An immovable segment counts towards usage but none of its shards moves.
     */
    record Placed(String shardSet, List<String> nodeIds, long shardBytes, boolean movable) {
        Placed(String shardSet, List<String> nodeIds, long shardBytes) {
            this(shardSet, nodeIds, shardBytes, true);
        }
    }

    record Move(String shardSet, int shard, String from, String to, long bytes) {}

    private RebalancePlanner() {}

    /**
     * @param nodes the nodes taking part (live, not draining); shards on other nodes stay put
     * @param zones zone of every node a segment names (missing: no zone)
     * @param tolerance how far above the mean fraction (0.05 = 5 points) a node may be
     */
    static List<Move> plan(Collection<Node> nodes, List<Placed> segments, Map<String, String> zones, double tolerance) {
        Map<String, Node> byId = new HashMap<>();
        for (Node n : nodes) byId.put(n.id(), n);
        Map<String, Long> used = new HashMap<>();
        Map<String, List<int[]>> held = new HashMap<>(); // node -> {segment index, shard}
        String[][] placement = new String[segments.size()][];
        for (Node n : nodes) {
            used.put(n.id(), 0L);
            held.put(n.id(), new ArrayList<>());
        }
        for (int s = 0; s < segments.size(); s++) {
            Placed p = segments.get(s);
            placement[s] = p.nodeIds().toArray(String[]::new);
            for (int i = 0; i < placement[s].length; i++) {
                String node = placement[s][i];
                if (!byId.containsKey(node)) continue;
                used.merge(node, p.shardBytes(), Long::sum);
                if (p.shardBytes() > 0 && p.movable()) held.get(node).add(new int[] {s, i});
            }
        }
        for (List<int[]> list : held.values()) {
            list.sort(Comparator.comparingLong((int[] a) -> segments.get(a[0]).shardBytes())
                    .reversed());
        }
        double totalUsed = 0;
        double totalCapacity = 0;
        for (Node n : nodes) {
            totalUsed += used.get(n.id());
            totalCapacity += capacity(n);
        }
        if (totalCapacity == 0) return List.of();
        double mean = totalUsed / totalCapacity;

        List<Move> moves = new ArrayList<>();
        while (true) {
            Move next = nextMove(nodes, segments, zones, tolerance, mean, used, held, placement);
            if (next == null) return moves;
            moves.add(next);
        }
    }

    private static Move nextMove(
            Collection<Node> nodes,
            List<Placed> segments,
            Map<String, String> zones,
            double tolerance,
            double mean,
            Map<String, Long> used,
            Map<String, List<int[]>> held,
            String[][] placement) {
        List<Node> byFullness = new ArrayList<>(nodes);
        byFullness.sort(
                Comparator.comparingDouble((Node n) -> fraction(n, used)).thenComparing(Node::id));
        for (int d = byFullness.size() - 1; d >= 0; d--) {
            Node giver = byFullness.get(d);
            if (fraction(giver, used) <= mean + tolerance) break;
            for (Node taker : byFullness) {
                if (fraction(taker, used) >= mean) break;
                List<int[]> candidates = held.get(giver.id());
                for (int c = 0; c < candidates.size(); c++) {
                    int s = candidates.get(c)[0];
                    int i = candidates.get(c)[1];
                    long bytes = segments.get(s).shardBytes();
                    // no overshoot: the giver ends at least as full as the taker
                    if ((used.get(giver.id()) - bytes) / capacity(giver)
                            < (used.get(taker.id()) + bytes) / capacity(taker)) continue;
                    if (!legal(placement[s], i, taker, zones)) continue;
                    candidates.remove(c);
                    held.get(taker.id()).add(new int[] {s, i});
                    held.get(taker.id())
                            .sort(Comparator.comparingLong(
                                            (int[] a) -> segments.get(a[0]).shardBytes())
                                    .reversed());
                    used.merge(giver.id(), -bytes, Long::sum);
                    used.merge(taker.id(), bytes, Long::sum);
                    placement[s][i] = taker.id();
                    return new Move(segments.get(s).shardSet(), i, giver.id(), taker.id(), bytes);
                }
            }
        }
        return null;
    }

    /** The taker holds no shard of the segment, and the zone spread stays as Placement keeps it. */
    static boolean legal(String[] nodeIds, int shard, Node taker, Map<String, String> zones) {
        List<String> otherZones = new ArrayList<>();
        for (int j = 0; j < nodeIds.length; j++) {
            if (nodeIds[j].equals(taker.id())) return false;
            if (j != shard && !nodeIds[j].isEmpty()) otherZones.add(zones.getOrDefault(nodeIds[j], ""));
        }
        return Placement.keepsSpread(otherZones, zones.getOrDefault(nodeIds[shard], ""), taker.zone());
    }

    private static double fraction(Node n, Map<String, Long> used) {
        return used.get(n.id()) / capacity(n);
    }

    private static double capacity(Node n) {
        return Math.max(1, n.capacityBytes());
    }
}
