package io.basalt.chaos;

import io.basalt.storage.ShardInventory;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Deletes and truncates random shard files, and zeroes packed shards' records, on two fixed storage nodes (at
 * most m, so every segment keeps k shards) while the workload reads: reads must stay exact, and the losses are
 * found (by reads, the nodes' scrub and the coordinator's inventory of the nodes) and healed.
 */
public final class ShardLoss implements Scenario {
    @Override
    public String name() {
        return "shard-loss";
    }

    @Override
    public void run(ProcessCluster c, History h, Random rnd, long until) throws Exception {
        int[] victims = Scenario.victims(c, rnd);
        while (Scenario.sleepUntil(1000 + rnd.nextInt(1000), until)) {
            for (int i : victims) {
                long start = System.nanoTime();
                List<ShardInventory.StoredShard> shards = new ArrayList<>(c.shards(i));
                Collections.shuffle(shards, rnd);
                int deleted = 0, truncated = 0;
                for (ShardInventory.StoredShard s : shards.subList(0, Math.min(6, shards.size()))) {
                    if (s.packed() || rnd.nextBoolean()) {
                        // a packed shard is lost where it lies: its record zeroed, as a lost sector would
                        if (s.lose()) deleted++;
                        continue;
                    }
                    // no CREATE: a file deleted meanwhile must not come back empty
                    try (FileChannel ch = FileChannel.open(s.file(), StandardOpenOption.WRITE)) {
                        long len = ch.size();
                        if (len == 0) continue;
                        ch.truncate((long) (rnd.nextDouble() * len)); // 0 .. len-1: may cut into the header
                        truncated++;
                    } catch (IOException e) {
                        // deleted or renamed under us (GC, overwrite, heal): try the next
                    }
                }
                if (deleted + truncated > 0) {
                    // the loss stays until healing repairs it
                    h.fault(
                            name(),
                            "lost " + deleted + " and truncated " + truncated + " shards of node-" + (i + 1),
                            start,
                            until);
                }
            }
        }
    }
}
