package io.basalt.coordinator;

import io.basalt.core.data.SegmentHealer;
import io.basalt.core.meta.GarbageQueue;
import io.basalt.proto.meta.GarbageRecord;
import io.basalt.proto.meta.Segment;
import java.util.Arrays;
import java.util.List;

/**
 * Queues single shard copies for the {@link GarbageCollector}: the old copy of a healed or
 * moved shard, or a new copy whose swap lost to an overwrite. GC deletes only copies written
 * before the record is queued, so a copy of the same id written later survives.
 */
final class ShardCopyGarbage {

    private final GarbageQueue queue;

    ShardCopyGarbage(GarbageQueue queue) {
        this.queue = queue;
    }

    /** @param copies shard i on node nodeId, for each entry (the crc is not used) */
    void queue(Segment seg, List<SegmentHealer.Rebuilt> copies, String reason) {
        for (GarbageRecord g : records(seg, copies, reason)) queue.add(g);
    }

    /** The record {@link #queue} would add, for a caller that queues it in a transaction of its own; none for no copies. */
    static List<GarbageRecord> records(Segment seg, List<SegmentHealer.Rebuilt> copies, String reason) {
        if (copies.isEmpty()) return List.of();
        String[] nodes = new String[seg.getNodeIdsCount()];
        Arrays.fill(nodes, "");
        for (SegmentHealer.Rebuilt r : copies) nodes[r.shard()] = r.nodeId();
        Segment only = seg.toBuilder()
                .clearNodeIds()
                .addAllNodeIds(List.of(nodes))
                .clearMissingShards()
                .build();
        return List.of(GarbageRecord.newBuilder()
                .addSegments(only)
                .setQueuedUnixMs(System.currentTimeMillis())
                .setReason(reason)
                .build());
    }
}
