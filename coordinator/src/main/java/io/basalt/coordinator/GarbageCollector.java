package io.basalt.coordinator;

import io.basalt.core.cluster.Membership;
import io.basalt.core.meta.GarbageQueue;
import io.basalt.core.meta.Versioned;
import io.basalt.core.shard.ShardClients;
import io.basalt.proto.meta.GarbageRecord;
import io.basalt.proto.meta.NodeRecord;
import io.basalt.proto.meta.Segment;
import io.basalt.proto.shard.DeleteShardRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Drains the garbage queue ({@code <prefix>gc/}): once a record is older than the grace
 * period, deletes every shard of every segment in it from the node holding it, then removes
 * the record in a transaction that compares its mod revision. A record whose shards cannot
 * all be deleted now (node not live, call failed) stays queued for a later pass, unless the node
 * is gone after an operator drained it.
 * Runs only while started, i.e. while this coordinator leads.
 */
public final class GarbageCollector extends LeaderTask {

    private static final Logger log = LogManager.getLogger(GarbageCollector.class);
    private static final int BATCH = 500;
    private static final int PARALLEL_RECORDS = 16;
    private static final long DELETE_DEADLINE_SECONDS = 10;

    private final GarbageQueue queue;
    private final Membership membership;
    private final ShardClients shards;
    private final Duration grace;
    /** Shard sets whose every shard was deleted, since start. */
    final java.util.concurrent.atomic.AtomicLong collected = new java.util.concurrent.atomic.AtomicLong();

    public GarbageCollector(
            GarbageQueue queue, Membership membership, ShardClients shards, Duration grace, Duration interval) {
        super("gc", Duration.ZERO, interval);
        this.queue = queue;
        this.membership = membership;
        this.shards = shards;
        this.grace = grace;
    }

    @Override
    protected void pass() throws Exception {
        int removed = runOnce();
        if (removed > 0) log.info("gc: removed {} garbage record(s)", removed);
    }

    /** One pass over the queue; returns the number of records removed. */
    public int runOnce() throws Exception {
        long cutoff = System.currentTimeMillis() - grace.toMillis();
        String after = null;
        int removed = 0;
        while (true) {
            GarbageQueue.Page page = queue.page(after, BATCH);
            removed += collectAll(page.entries(), cutoff);
            if (Thread.currentThread().isInterrupted()) return removed;
            if (!page.more() || page.entries().isEmpty()) return removed;
            after = page.entries().get(page.entries().size() - 1).name();
        }
    }

    /**
     * Collects a page of records, {@link #PARALLEL_RECORDS} at a time: each record costs k+m delete
     * calls and a transaction, so one by one the queue drains slower than churn fills it. Records are
     * independent (each delete is conditional on its own queue time, each removal on its own revision).
     */
    private int collectAll(List<Versioned<GarbageRecord>> page, long cutoff) throws InterruptedException {
        AtomicInteger removed = new AtomicInteger();
        Semaphore slots = new Semaphore(PARALLEL_RECORDS);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Versioned<GarbageRecord> entry : page) {
                slots.acquire();
                pool.execute(() -> {
                    try {
                        if (collect(entry, cutoff)) removed.incrementAndGet();
                    } catch (Exception e) {
                        log.warn("gc: {} failed: {}", entry.name(), e.toString());
                    } finally {
                        slots.release();
                    }
                });
            }
        }
        return removed.get();
    }

    private boolean collect(Versioned<GarbageRecord> entry, long cutoff) throws Exception {
        GarbageRecord record = entry.value();
        if (record == null) {
            log.warn("gc: ignoring unreadable record {}", entry.name());
            return false;
        }
        if (record.getQueuedUnixMs() > cutoff) return false;
        // A record's shards live on different nodes: delete them all at once, not one after another.
        List<Future<Boolean>> deletions = new ArrayList<>();
        try (ExecutorService calls = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Segment segment : record.getSegmentsList()) {
                for (int i = 0; i < segment.getNodeIdsCount(); i++) {
                    String shardId = segment.getShardSet() + "." + i;
                    String nodeId = segment.getNodeIds(i);
                    deletions.add(calls.submit(() -> deleteShard(shardId, nodeId, record.getQueuedUnixMs())));
                }
            }
        }
        boolean complete = true;
        for (Future<Boolean> d : deletions) complete &= d.get();
        if (!complete) return false;
        boolean deleted = queue.removeIfUnchanged(entry);
        if (deleted) {
            collected.addAndGet(record.getSegmentsCount());
            log.debug("gc: removed {} ({})", entry.name(), record.getReason());
        }
        return deleted;
    }

    /** True when the shard is gone from its node (deleted now or never there). */
    private boolean deleteShard(String shardId, String nodeId, long queuedMs) {
        if (nodeId.isEmpty()) return true; // no shard was placed in this slot
        NodeRecord node = membership.live().get(nodeId);
        if (node == null && membership.draining().contains(nodeId)) {
            // Drained and gone: the operator is removing it. Should it come back, what it still holds is
            // referenced nowhere and the orphan sweep removes it; waiting would keep this record forever.
            return true;
        }
        if (node == null) {
            log.debug("gc: node {} not live; keeping {} for later", nodeId, shardId);
            return false;
        }
        try {
            shards.blocking(node.getAddress())
                    .withDeadlineAfter(DELETE_DEADLINE_SECONDS, TimeUnit.SECONDS)
                    // Only copies older than the garbage record: healing may have written this id anew since.
                    .deleteShard(DeleteShardRequest.newBuilder()
                            .setShardId(shardId)
                            .setOnlyIfWrittenBeforeUnixMs(Math.max(1, queuedMs))
                            .build());
            return true;
        } catch (RuntimeException e) {
            log.warn("gc: deleting {} on {} failed: {}", shardId, nodeId, e.toString());
            return false;
        }
    }
}
