package io.basalt.core.placement;

import io.basalt.proto.meta.NodeRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Chooses the nodes that hold the shards of a new shard set: weighted rendezvous hashing
 * (highest random weight) over the live nodes. Every node scores each shard set
 * independently, so adding or removing a node only moves the sets it wins or held, and
 * nodes with more free space win proportionally more often. When nodes carry zone labels the
 * shards are spread over the zones as evenly as the nodes allow: each next shard goes to the
 * best-scoring node of a zone that holds the fewest shards so far, so losing one zone loses
 * as few shards of any object as possible.
 */
public final class Placement {

    private Placement() {}

    /**
     * @return {@code count} distinct nodes, best first; shard i goes to element i.
     * @throws InsufficientNodesException when fewer than {@code count} nodes are live
     */
    public static List<NodeRecord> choose(String shardSet, Collection<NodeRecord> live, int count) {
        return chooseMore(shardSet, live, count, List.of());
    }

    /**
     * Nodes for {@code count} more shards of a set whose other shards already sit in
     * {@code heldZones} (one entry per placed shard), by the same rule as {@link #choose}: each
     * next shard goes to the best-scoring candidate of a zone holding the fewest shards so far.
     * Healing and moving shards use it so a set keeps the spread a fresh write would get.
     * @param candidates nodes allowed to receive a shard (holding none of the set)
     */
    public static List<NodeRecord> chooseMore(
            String shardSet, Collection<NodeRecord> candidates, int count, Collection<String> heldZones) {
        if (candidates.size() < count) {
            throw new InsufficientNodesException(count, candidates.size());
        }
        record Scored(NodeRecord node, double score) {}
        List<Scored> scored = new ArrayList<>(candidates.size());
        for (NodeRecord node : candidates) {
            scored.add(new Scored(node, score(shardSet, node)));
        }
        scored.sort(Comparator.comparingDouble(Scored::score)
                .reversed()
                .thenComparing(s -> s.node().getNodeId()));
        List<NodeRecord> out = new ArrayList<>(count);
        Map<String, Integer> perZone = new HashMap<>();
        for (String z : heldZones) perZone.merge(z, 1, Integer::sum);
        boolean[] taken = new boolean[scored.size()];
        for (int slot = 0; slot < count; slot++) {
            int best = -1;
            for (int i = 0; i < scored.size(); i++) {
                if (taken[i]) continue;
                if (best < 0
                        || perZone.getOrDefault(scored.get(i).node().getZone(), 0)
                                < perZone.getOrDefault(scored.get(best).node().getZone(), 0)) {
                    best = i; // scored is sorted: the first node of a less-used zone wins
                }
            }
            taken[best] = true;
            out.add(scored.get(best).node());
            perZone.merge(scored.get(best).node().getZone(), 1, Integer::sum);
        }
        return out;
    }

    /** False for a node whose every data dir failed: it stays registered but can store nothing new. */
    public static boolean writable(NodeRecord node) {
        return node.getDataDirsCount() > 0 || node.getFailedDirsCount() == 0;
    }

    /**
     * Whether moving one shard of a set from a node in zone {@code from} to one in zone {@code to}
     * keeps the set spread at least as well as {@link #choose} would: the new zone must hold no
     * more of the set's other shards than the old one does.
     * @param otherZones zones of the set's other shards (one entry per shard)
     */
    public static boolean keepsSpread(Collection<String> otherZones, String from, String to) {
        if (from.equals(to)) return true;
        int inFrom = 0;
        int inTo = 0;
        for (String z : otherZones) {
            if (z.equals(from)) inFrom++;
            if (z.equals(to)) inTo++;
        }
        return inTo <= inFrom;
    }

    /** Weighted HRW score: -w / ln(u) with u uniform in (0,1) from a hash of (set, node). */
    static double score(String shardSet, NodeRecord node) {
        long h = mix(hash64(shardSet) ^ Long.rotateLeft(hash64(node.getNodeId()), 17));
        double u = ((h >>> 11) + 0.5) / (double) (1L << 53);
        double weight = Math.max(1.0, node.getFreeBytes() / (double) (1L << 30));
        return -weight / Math.log(u);
    }

    private static long hash64(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b;
            h *= 0x100000001b3L;
        }
        return h;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
