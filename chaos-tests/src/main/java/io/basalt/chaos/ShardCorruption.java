package io.basalt.chaos;

import java.util.Random;

/**
 * Flips bytes in the data of shards (files past their header, pack records past theirs) on two fixed storage
 * nodes (at most m, so every object keeps k intact shards) while the workload reads: reads must detect the rot
 * and never return it.
 */
public final class ShardCorruption implements Scenario {
    @Override
    public String name() {
        return "shard-corruption";
    }

    @Override
    public void run(ProcessCluster c, History h, Random rnd, long until) throws Exception {
        int[] victims = Scenario.victims(c, rnd);
        while (Scenario.sleepUntil(1000 + rnd.nextInt(1000), until)) {
            for (int i : victims) {
                long start = System.nanoTime();
                int n = c.corruptShards(i, 20, 1 + rnd.nextInt(4), rnd);
                if (n > 0)
                    h.fault(
                            name(),
                            "flipped bytes in " + n + " shards of node-" + (i + 1),
                            start,
                            until); // the rot stays
            }
        }
    }
}
