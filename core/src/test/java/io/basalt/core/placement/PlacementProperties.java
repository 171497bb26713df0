package io.basalt.core.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.proto.meta.NodeRecord;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;

class PlacementProperties {

    static List<NodeRecord> nodes(int n) {
        List<NodeRecord> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(NodeRecord.newBuilder()
                    .setNodeId("node-" + i)
                    .setFreeBytes((long) (i % 3 + 1) << 40)
                    .build());
        }
        return out;
    }

    @Property(tries = 300)
    void distinctDeterministicNodes(
            @ForAll @AlphaChars @StringLength(min = 1, max = 32) String set,
            @ForAll @IntRange(min = 1, max = 30) int live,
            @ForAll @IntRange(min = 1, max = 20) int count) {
        List<NodeRecord> all = nodes(live);
        if (count > live) {
            assertThrows(InsufficientNodesException.class, () -> Placement.choose(set, all, count));
            return;
        }
        List<NodeRecord> chosen = Placement.choose(set, all, count);
        assertEquals(count, chosen.size());
        assertEquals(count, new HashSet<>(chosen).size());
        List<NodeRecord> reversed = new ArrayList<>(all);
        java.util.Collections.reverse(reversed);
        assertEquals(chosen, Placement.choose(set, reversed, count), "order of the live set must not matter");
    }

    @Property(tries = 300)
    void shardsSpreadEvenlyOverZones(
            @ForAll @AlphaChars @StringLength(min = 1, max = 32) String set,
            @ForAll @IntRange(min = 1, max = 5) int zones,
            @ForAll @IntRange(min = 1, max = 4) int perZone,
            @ForAll @IntRange(min = 1, max = 20) int count) {
        List<NodeRecord> all = new ArrayList<>();
        for (int z = 0; z < zones; z++) {
            for (int i = 0; i < perZone; i++) {
                all.add(NodeRecord.newBuilder()
                        .setNodeId("n" + z + "-" + i)
                        .setZone("zone-" + z)
                        .setFreeBytes((long) (i + 1) << 40)
                        .build());
            }
        }
        if (count > all.size()) return;
        java.util.Map<String, Integer> used = new java.util.HashMap<>();
        for (NodeRecord n : Placement.choose(set, all, count)) used.merge(n.getZone(), 1, Integer::sum);
        int max = used.values().stream().max(Integer::compare).orElse(0);
        int min = used.size() < zones
                ? 0
                : used.values().stream().min(Integer::compare).orElse(0);
        // Every zone has perZone nodes, so an even spread is always possible: counts differ by at most one.
        assertTrue(max - min <= 1, "uneven spread over zones: " + used);
    }

    @Property(tries = 200)
    void removingAnUnchosenNodeChangesNothing(@ForAll @AlphaChars @StringLength(min = 1, max = 32) String set) {
        List<NodeRecord> all = nodes(12);
        List<NodeRecord> chosen = Placement.choose(set, all, 6);
        List<NodeRecord> fewer = new ArrayList<>(all);
        fewer.removeIf(n -> !chosen.contains(n) && n.getNodeId().hashCode() % 2 == 0);
        assertEquals(chosen, Placement.choose(set, fewer, 6));
        assertTrue(fewer.containsAll(chosen));
    }

    @Property(tries = 300)
    void aReplacementGoesToTheLeastUsedZoneLeft(
            @ForAll @AlphaChars @StringLength(min = 1, max = 32) String set,
            @ForAll @IntRange(min = 1, max = 5) int zones,
            @ForAll @IntRange(min = 1, max = 4) int perZone,
            @ForAll @IntRange(min = 2, max = 12) int count,
            @ForAll @IntRange(min = 0, max = 11) int lostIndex) {
        List<NodeRecord> all = new ArrayList<>();
        for (int z = 0; z < zones; z++) {
            for (int i = 0; i < perZone; i++)
                all.add(NodeRecord.newBuilder()
                        .setNodeId("n" + z + "-" + i)
                        .setZone("zone-" + z)
                        .build());
        }
        if (count >= all.size()) return;
        List<NodeRecord> chosen = Placement.choose(set, all, count);
        NodeRecord lost = chosen.get(lostIndex % count);
        List<String> held = new ArrayList<>();
        for (NodeRecord n : chosen) if (n != lost) held.add(n.getZone());
        List<NodeRecord> free = all.stream().filter(n -> !chosen.contains(n)).toList();
        NodeRecord replacement = Placement.chooseMore(set, free, 1, held).get(0);
        java.util.Map<String, Integer> used = new java.util.HashMap<>();
        for (String z : held) used.merge(z, 1, Integer::sum);
        int best = free.stream()
                .mapToInt(n -> used.getOrDefault(n.getZone(), 0))
                .min()
                .orElseThrow();
        assertEquals(
                best, (int) used.getOrDefault(replacement.getZone(), 0), "replacement in a least-used zone: " + used);
        // Moving the lost shard's slot there keeps the spread no worse than before.
        assertTrue(Placement.keepsSpread(held, lost.getZone(), replacement.getZone())
                || free.stream().noneMatch(n -> n.getZone().equals(lost.getZone())));
    }
}
