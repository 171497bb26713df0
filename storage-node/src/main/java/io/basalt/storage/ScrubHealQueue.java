package io.basalt.storage;

import io.basalt.core.meta.HealQueue;
import java.util.Collection;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Puts a corrupt shard found by the scrubber into the coordinator's heal queue under its shard
 * set, with bucket and key empty: the node knows no object names, so the coordinator resolves
 * them. An existing record for the set (another node's report, a read's) is extended rather than
 * overwritten. The shards of a failed disk go the same way, many shard sets at once.
 */
final class ScrubHealQueue implements Scrubber.CorruptionSink {
    private static final Logger log = LogManager.getLogger(ScrubHealQueue.class);

    private final HealQueue queue;
    private final String nodeId;

    ScrubHealQueue(HealQueue queue, String nodeId) {
        this.queue = queue;
        this.nodeId = nodeId;
    }

    /** Shard ids are "<shard set>.<index>" (SegmentEncoder.shardId). */
    record Parsed(String shardSet, int index) {
        static Parsed of(String shardId) {
            int dot = shardId.lastIndexOf('.');
            if (dot <= 0) throw new IllegalArgumentException("not a segment shard id: " + shardId);
            try {
                return new Parsed(shardId.substring(0, dot), Integer.parseInt(shardId.substring(dot + 1)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a segment shard id: " + shardId);
            }
        }
    }

    @Override
    public void report(Scrubber.Corruption c) {
        Parsed p = Parsed.of(c.shardId());
        queue.reportShard(p.shardSet(), p.index(), "scrub found corrupt " + c.what() + " on " + nodeId);
    }

    /**
     * Queues every shard in {@code shardIds} (ids that are not segment shards are skipped).
     *
     * @return how many shard sets were queued
     */
    int queueLost(Collection<String> shardIds, String reason) {
        SortedMap<String, SortedSet<Integer>> bySet = new TreeMap<>();
        for (String id : shardIds) {
            try {
                Parsed p = Parsed.of(id);
                bySet.computeIfAbsent(p.shardSet(), s -> new TreeSet<>()).add(p.index());
            } catch (IllegalArgumentException e) {
                log.warn("not queueing {} for healing: {}", id, e.getMessage());
            }
        }
        queue.reportShards(bySet, reason);
        return bySet.size();
    }
}
