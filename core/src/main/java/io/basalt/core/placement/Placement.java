package io.basalt.core.placement;

import io.basalt.proto.meta.NodeRecord;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

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

    private Placement() {
    }

    /**
     * @return {@code count} distinct nodes, best first; shard i goes to element i.
     * @throws InsufficientNodesException when fewer than {@code count} nodes are live
     */
    public static List<NodeRecord> choose(String shardSet, Collection<NodeRecord> live, int count) {
        if (live.size() < count) {
            throw new InsufficientNodesException(count, live.size());
        }
        record Scored(NodeRecord node, double score) {
        }
        List<Scored> scored = new ArrayList<>(live.size());
        for (NodeRecord node : live) {
            scored.add(new Scored(node, score(shardSet, node)));
        }
        scored.sort(Comparator.comparingDouble(Scored::score).reversed()
                .thenComparing(s -> s.node().getNodeId()));
        List<NodeRecord> out = new ArrayList<>(count);
        java.util.Map<String, Integer> perZone = new java.util.HashMap<>();
        boolean[] taken = new boolean[scored.size()];
        for (int slot = 0; slot < count; slot++) {
            int best = -1;
            for (int i = 0; i < scored.size(); i++) {
                if (taken[i]) continue;
                if (best < 0 || perZone.getOrDefault(scored.get(i).node().getZone(), 0)
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
