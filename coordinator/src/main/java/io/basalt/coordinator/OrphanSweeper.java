package io.basalt.coordinator;

import io.basalt.core.cluster.Membership;
import io.basalt.core.meta.EtcdMetadataStore;
import io.basalt.core.meta.Keys;
import io.basalt.core.meta.MetadataStore.ListedObject;
import io.basalt.core.shard.ShardClients;
import io.basalt.proto.meta.BucketRecord;
import io.basalt.proto.meta.GarbageRecord;
import io.basalt.proto.meta.NodeRecord;
import io.basalt.proto.meta.Segment;
import io.basalt.proto.meta.UploadRecord;
import io.basalt.proto.shard.DeleteShardRequest;
import io.basalt.proto.shard.ListShardsRequest;
import io.basalt.proto.shard.ShardInfo;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Finds shards that no metadata references and no garbage record names: what a gateway killed
 * between writing shards and committing left behind. The order of the two looks is what makes
 * it safe: shards are listed first and only those older than the grace period are candidates;
 * references are read afterwards, so anything committed before that read is seen. The grace
 * period must outlast the longest single PUT (the window between a shard's write and its commit).
 */
final class OrphanSweeper extends LeaderTask {

    private static final Logger log = LogManager.getLogger(OrphanSweeper.class);
    /** Orphan shards deleted since start. */
    final java.util.concurrent.atomic.AtomicLong removed = new java.util.concurrent.atomic.AtomicLong();
    private static final int SCAN_BATCH = 500;

    private final EtcdMetadataStore meta;
    private final Keys keys;
    private final Membership membership;
    private final ShardClients shards;
    private final Duration grace;

    OrphanSweeper(EtcdMetadataStore meta, Keys keys, Membership membership, ShardClients shards, Duration grace, Duration interval) {
        super("orphan-sweep", interval, interval);
        this.meta = meta;
        this.keys = keys;
        this.membership = membership;
        this.shards = shards;
        this.grace = grace;
    }

    @Override
    protected void pass() {
        sweep(System.currentTimeMillis());
    }

    record Candidate(NodeRecord node, String shardId, String shardSet) {
    }

    /** @return how many orphan shards were deleted */
    int sweep(long nowMs) {
        long cutoff = nowMs - grace.toMillis();
        List<Candidate> candidates = new ArrayList<>();
        for (NodeRecord node : membership.live().values()) {
            Iterator<ShardInfo> it = shards.blocking(node.getAddress()).withDeadlineAfter(5, TimeUnit.MINUTES)
                    .listShards(ListShardsRequest.getDefaultInstance());
            while (it.hasNext()) {
                ShardInfo info = it.next();
                int dot = info.getShardId().lastIndexOf('.');
                if (dot <= 0 || info.getModifiedUnixMs() >= cutoff) continue;
                candidates.add(new Candidate(node, info.getShardId(), info.getShardId().substring(0, dot)));
            }
        }
        if (candidates.isEmpty()) return 0;
        Set<String> known = referencedOrQueued();
        int deleted = 0;
        for (Candidate c : candidates) {
            if (known.contains(c.shardSet())) continue;
            try {
                var answer = shards.blocking(c.node().getAddress()).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .deleteShard(DeleteShardRequest.newBuilder().setShardId(c.shardId())
                                .setOnlyIfWrittenBeforeUnixMs(Math.max(1, cutoff)).build());
                boolean gone = answer.getExisted() && !answer.getKept();
                if (gone) {
                    deleted++;
                    removed.incrementAndGet();
                    log.info("deleted orphan shard {} on {} (no record references it)", c.shardId(), c.node().getNodeId());
                }
            } catch (RuntimeException e) {
                log.warn("could not delete orphan {} on {}: {}", c.shardId(), c.node().getNodeId(), e.toString());
            }
        }
        return deleted;
    }

    /** Every shard set an object, an upload part or a queue entry names. Read after the listing, on purpose. */
    private Set<String> referencedOrQueued() {
        Set<String> known = new HashSet<>();
        for (BucketRecord b : meta.listBuckets()) {
            for (UploadRecord u : meta.listUploads(b.getName())) {
                meta.getUploadState(b.getName(), u.getUploadId())
                        .ifPresent(s -> s.parts().forEach(p -> known.add(p.getSegment().getShardSet())));
            }
            String from = "";
            boolean inclusive = true;
            while (true) {
                List<ListedObject> page = meta.scanObjects(b.getName(), from, inclusive, null, SCAN_BATCH);
                for (ListedObject o : page) for (Segment s : o.record().getSegmentsList()) known.add(s.getShardSet());
                if (page.size() < SCAN_BATCH) break;
                from = page.get(page.size() - 1).key();
                inclusive = false;
            }
        }
        // Queued garbage is the GC's to delete; healing may still be writing the shards it names.
        for (KeyValue kv : prefix(keys.garbagePrefix())) {
            try {
                GarbageRecord.parseFrom(kv.getValue().getBytes()).getSegmentsList().forEach(s -> known.add(s.getShardSet()));
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                log.warn("orphan sweep: unreadable garbage record {}", kv.getKey());
            }
        }
        for (KeyValue kv : prefix(keys.healPrefix())) {
            known.add(kv.getKey().toString().substring(keys.healPrefix().length()));
        }
        return known;
    }

    private List<KeyValue> prefix(String p) {
        try {
            return meta.client().getKVClient().get(ByteSequence.from(p, StandardCharsets.UTF_8),
                    GetOption.builder().isPrefix(true).build()).get(30, TimeUnit.SECONDS).getKvs();
        } catch (Exception e) {
            throw new IllegalStateException("etcd: " + e.getMessage(), e);
        }
    }

}
