package io.basalt.coordinator;

import io.basalt.core.data.SegmentHealer;
import io.basalt.core.meta.Keys;
import io.basalt.proto.meta.GarbageRecord;
import io.basalt.proto.meta.Segment;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Queues single shard copies for the {@link GarbageCollector}: the old copy of a healed or
 * moved shard, or a new copy whose swap lost to an overwrite. GC deletes only copies written
 * before the record is queued, so a copy of the same id written later survives.
 */
final class GarbageQueue {

    private final Client client;
    private final Keys keys;

    GarbageQueue(Client client, Keys keys) {
        this.client = client;
        this.keys = keys;
    }

    /** @param copies shard i on node nodeId, for each entry (the crc is not used) */
    void queue(Segment seg, List<SegmentHealer.Rebuilt> copies, String reason) {
        if (copies.isEmpty()) return;
        String[] nodes = new String[seg.getNodeIdsCount()];
        Arrays.fill(nodes, "");
        for (SegmentHealer.Rebuilt r : copies) nodes[r.shard()] = r.nodeId();
        Segment only = seg.toBuilder().clearNodeIds().addAllNodeIds(List.of(nodes)).clearMissingShards().build();
        GarbageRecord g = GarbageRecord.newBuilder().addSegments(only).setQueuedUnixMs(System.currentTimeMillis())
                .setReason(reason).build();
        try {
            client.getKVClient().put(ByteSequence.from(keys.garbage(UUID.randomUUID().toString()), StandardCharsets.UTF_8),
                    ByteSequence.from(g.toByteArray())).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("etcd: " + e.getMessage(), e);
        }
    }
}
