package io.basalt.coordinator;

import io.basalt.core.cluster.Membership;
import io.basalt.core.meta.Keys;
import io.basalt.core.metrics.MetricRegistry;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.GetOption;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The coordinator's metrics, all read at scrape time from counts its tasks already keep. The
 * heal counters are this process's since it started (a new leader starts from 0); the queue
 * lengths are etcd's, the same whichever coordinator is scraped.
 */
final class CoordinatorMetrics {
    final MetricRegistry registry = new MetricRegistry();

    CoordinatorMetrics(BooleanSupplier leader, Membership membership, Healer healer, GarbageCollector gc,
                       OrphanSweeper orphans, Client client, Keys keys) {
        registry.gauge("basalt_coordinator_is_leader", "1 while this coordinator leads (and does the background work).",
                () -> leader.getAsBoolean() ? 1 : 0);
        registry.gauge("basalt_coordinator_live_nodes", "Storage nodes with a live lease.", () -> membership.live().size());
        registry.counter("basalt_heal_objects_scanned_total", "Objects looked at by heal scans.", healer.scanned::get);
        registry.counter("basalt_heal_segments_healed_total", "Segments brought back to k+m shards.", healer.healed::get);
        registry.counter("basalt_heal_segments_failed_total", "Segment heals that failed (retried later).", healer.failed::get);
        registry.counter("basalt_heal_bytes_total", "Shard bytes rebuilt by healing.", healer.bytes::get);
        registry.gauge("basalt_heal_queue_length", "Records in etcd's heal/ queue.", () -> count(client, keys.healPrefix()));
        registry.gauge("basalt_gc_queue_length", "Records in etcd's gc/ queue.", () -> count(client, keys.garbagePrefix()));
        registry.counter("basalt_gc_shard_sets_collected_total", "Garbage shard sets whose shards were all deleted.",
                gc.collected::get);
        registry.counter("basalt_orphan_shards_removed_total", "Shards no record referenced, deleted by the orphan sweep.",
                orphans.removed::get);
    }

    /** NaN when etcd does not answer: a scrape must not hang or fail on it. */
    private static double count(Client client, String prefix) {
        try {
            return client.getKVClient().get(ByteSequence.from(prefix, StandardCharsets.UTF_8),
                    GetOption.builder().isPrefix(true).withCountOnly(true).build()).get(2, TimeUnit.SECONDS).getCount();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Double.NaN;
        } catch (Exception e) {
            return Double.NaN;
        }
    }
}
