package io.basalt.core.meta;

import io.basalt.proto.meta.HealRecord;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;

/**
 * The queue of segments whose shards need rebuilding, one entry per shard set. Storage nodes
 * report what their scrub or a failed disk lost (by shard set alone: a node knows no object
 * names); the leading coordinator heals entries and removes each one unless it changed meanwhile.
 * A heal queued together with an object change goes through {@link MetadataStore} instead.
 */
public interface HealQueue {

    /**
     * Adds shard {@code index} to the entry of {@code shardSet}, created if absent, with {@code reason};
     * an entry another report made (another node, a read) is extended, never overwritten.
     */
    void reportShard(String shardSet, int index, String reason);

    /** {@link #reportShard} for many shard sets at once, e.g. all a failed disk held, in few transactions. */
    void reportShards(SortedMap<String, SortedSet<Integer>> shardsBySet, String reason);

    /** The first {@code limit} entries (0: all) in key order; an unreadable one has a null value. */
    List<Versioned<HealRecord>> first(int limit);

    /** Every shard set queued now. */
    Set<String> shardSets();

    /** Removes the entry unless it changed since read: a report that came in meanwhile stays queued. */
    boolean removeIfUnchanged(Versioned<HealRecord> entry);

    /** Entries queued now. */
    long size();

    /** {@link #size()}, waiting at most {@code wait} for an answer (a metrics scrape must not hang on it). */
    long size(Duration wait);
}
