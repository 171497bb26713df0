package io.basalt.coordinator;

import io.basalt.core.cluster.Membership;
import io.basalt.core.meta.GarbageQueue;
import io.basalt.core.meta.HealQueue;
import io.basalt.core.metrics.MetricRegistry;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.ToLongFunction;

/**
 * The coordinator's metrics, all read at scrape time from counts its tasks already keep. The
 * heal, drain and rebalance counters are this process's since it started (a new leader starts from 0); the queue
 * lengths are etcd's, the same whichever coordinator is scraped.
 */
final class CoordinatorMetrics {
    private static final Duration SCRAPE_WAIT = Duration.ofSeconds(2);

    final MetricRegistry registry = new MetricRegistry();

    CoordinatorMetrics(
            BooleanSupplier leader,
            Membership membership,
            Healer healer,
            GarbageCollector gc,
            OrphanSweeper orphans,
            Drainer drainer,
            Rebalancer rebalancer,
            HealQueue heals,
            GarbageQueue garbage) {
        registry.gauge(
                "basalt_coordinator_is_leader",
                "1 while this coordinator leads (and does the background work).",
                () -> leader.getAsBoolean() ? 1 : 0);
        registry.gauge(
                "basalt_coordinator_live_nodes",
                "Storage nodes with a live lease.",
                () -> membership.live().size());
        registry.gauge(
                "basalt_coordinator_draining_nodes",
                "Storage nodes an operator asked to drain (live or not), drained ones included until undrained.",
                () -> membership.draining().size());
        registry.counter("basalt_heal_objects_scanned_total", "Objects looked at by heal scans.", healer.scanned::get);
        registry.counter(
                "basalt_heal_segments_healed_total", "Segments brought back to k+m shards.", healer.healed::get);
        registry.counter(
                "basalt_heal_segments_failed_total", "Segment heals that failed (retried later).", healer.failed::get);
        registry.counter("basalt_heal_bytes_total", "Shard bytes rebuilt by healing.", healer.bytes::get);
        registry.gauge("basalt_heal_queue_length", "Records in etcd's heal/ queue.", () -> count(heals::size));
        registry.gauge("basalt_gc_queue_length", "Records in etcd's gc/ queue.", () -> count(garbage::size));
        registry.counter(
                "basalt_gc_shard_sets_collected_total",
                "Garbage shard sets whose shards were all deleted.",
                gc.collected::get);
        registry.counter(
                "basalt_orphan_shards_removed_total",
                "Shards no record referenced, deleted by the orphan sweep.",
                orphans.removed::get);
        registry.counter("basalt_drain_shards_moved_total", "Shards moved off draining nodes.", drainer.moved::get);
        registry.counter(
                "basalt_drain_shards_failed_total",
                "Shard moves off draining nodes that failed (retried next pass).",
                drainer.failed::get);
        registry.gauge(
                "basalt_drain_shards_remaining",
                "Shards the last drain pass found still on draining nodes (0 when none is draining).",
                () -> drainer.remaining);
        registry.gauge(
                "basalt_rebalance_moves_planned",
                "Shard moves the last rebalance pass planned.",
                rebalancer.planned::get);
        registry.counter("basalt_rebalance_shards_moved_total", "Shards moved by rebalancing.", rebalancer.moved::get);
        registry.counter(
                "basalt_rebalance_shards_failed_total", "Rebalance shard moves that failed.", rebalancer.failed::get);
        registry.counter("basalt_rebalance_bytes_total", "Shard bytes moved by rebalancing.", rebalancer.bytes::get);
    }

    /** NaN when etcd does not answer: a scrape must not hang or fail on it. */
    private static double count(ToLongFunction<Duration> size) {
        try {
            return size.applyAsLong(SCRAPE_WAIT);
        } catch (RuntimeException e) {
            if (e.getCause() instanceof InterruptedException)
                Thread.currentThread().interrupt();
            return Double.NaN;
        }
    }
}
