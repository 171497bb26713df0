package io.basalt.core.meta;

import io.basalt.proto.meta.GarbageRecord;
import java.time.Duration;
import java.util.List;

/**
 * The queue of shards to delete: shard sets replaced by an overwrite, delete or abort (queued by
 * {@link MetadataStore} in the same transaction), and single copies a heal or move left behind.
 * The garbage collector deletes an entry's shards and then removes the entry unless it changed.
 */
public interface GarbageQueue {

    /** One page of entries, and whether more follow it. */
    record Page(List<Versioned<GarbageRecord>> entries, boolean more) {}

    /** Queues {@code record} under a new id. */
    void add(GarbageRecord record);

    /** Up to {@code limit} entries after the one named {@code afterName} (null: from the first), in key order. */
    Page page(String afterName, int limit);

    /** Every entry, read at once; an unreadable one has a null value. */
    List<Versioned<GarbageRecord>> all();

    /** Removes the entry unless it changed since read. */
    boolean removeIfUnchanged(Versioned<GarbageRecord> entry);

    /** Entries queued now. */
    long size();

    /** {@link #size()}, waiting at most {@code wait} for an answer (a metrics scrape must not hang on it). */
    long size(Duration wait);
}
