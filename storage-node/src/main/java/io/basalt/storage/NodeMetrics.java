package io.basalt.storage;

import io.basalt.core.metrics.Counter;
import io.basalt.core.metrics.Histogram;
import io.basalt.core.metrics.MetricRegistry;
import io.grpc.Status;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A storage node's metrics; the shard service and scrubber count into it, the rest is read at scrape time. */
final class NodeMetrics {
    final MetricRegistry registry = new MetricRegistry();
    final Counter writes = registry.counter(
            "basalt_node_shard_writes_total", "WriteShard calls finished, by gRPC status code.", "code");
    final Counter reads =
            registry.counter("basalt_node_shard_reads_total", "ReadShard calls finished, by gRPC status code.", "code");
    final Counter deletes = registry.counter(
            "basalt_node_shard_deletes_total", "DeleteShard calls finished, by gRPC status code.", "code");
    final Counter writeBytes = registry.counter("basalt_node_write_bytes_total", "Shard data bytes committed.");
    final Counter readBytes = registry.counter("basalt_node_read_bytes_total", "Shard data bytes sent to readers.");
    final Histogram fsync = registry.histogram(
            "basalt_node_fsync_seconds",
            "Time a committed shard write spent in fsync of its file and directory.",
            Histogram.LATENCY_SECONDS);
    final Counter corrupt = registry.counter(
            "basalt_node_corrupt_shards_total",
            "Shards found failing their checksums, by who found them (read or scrub).",
            "found_by");

    static String code(Throwable error) {
        return error == null ? "OK" : Status.fromThrowable(error).getCode().name();
    }

    /** Scrape-time views of the store (per data dir) and the scrubber. */
    void watch(ShardStore store, Scrubber scrubber) {
        registry.counter(
                "basalt_node_scrub_bytes_total",
                "Shard bytes verified by the background scrub.",
                scrubber::bytesScanned);
        registry.counter(
                "basalt_node_scrub_files_total",
                "Shard files verified by the background scrub.",
                scrubber::filesScanned);
        registry.gauge(
                "basalt_node_read_windows_in_use",
                "1 MiB read-ahead windows held by shard reads or by chunks not yet sent from them, of "
                        + ReadWindows.COUNT
                        + "; reads that find none read a chunk at a time.",
                ReadWindows::inUse);
        registry.counter(
                "basalt_node_read_windows_lent_total",
                "Read-ahead windows whose chunks were sent from where they were read, without a copy.",
                ReadWindows::lentSoFar);
        registry.gauge(
                "basalt_node_healthy",
                "1 while at least one data dir works, else 0 (the node refuses writes).",
                () -> store.healthyDirs().isEmpty() ? 0 : 1);
        registry.gauge(
                "basalt_node_data_dir_healthy",
                "1 for a working data dir, 0 for one taken out after an I/O failure.",
                List.of("dir"),
                () -> perDir(store, d -> d.failed() ? 0.0 : 1.0));
        registry.gauge(
                "basalt_node_data_dir_suspect",
                "1 for a healthy data dir whose disk has stopped answering (a probe or free-space read overdue):"
                        + " it takes no new shards until a probe passes.",
                List.of("dir"),
                () -> perDir(store, d -> d.failed() ? null : store.suspect(d) ? 1.0 : 0.0));
        registry.gauge(
                "basalt_node_data_dir_free_bytes",
                "Usable bytes of each healthy data dir's file system.",
                List.of("dir"),
                () -> perDir(store, d -> space(store, d, Capacity::freeBytes)));
        registry.gauge(
                "basalt_node_data_dir_total_bytes",
                "Size of each healthy data dir's file system.",
                List.of("dir"),
                () -> perDir(store, d -> space(store, d, Capacity::totalBytes)));
    }

    /**
     * Read through the store, so that a scrape never hangs on a hung disk and reuses the figure the
     * dir's own thread read within the last seconds; null for a failed dir.
     */
    private static Double space(ShardStore store, DataDir d, java.util.function.ToLongFunction<Capacity> part) {
        try {
            Capacity c = store.space(d);
            return c == null ? null : (double) part.applyAsLong(c);
        } catch (java.io.IOException e) {
            return null;
        }
    }

    private static Map<List<String>, Double> perDir(
            ShardStore store, java.util.function.Function<DataDir, Double> value) {
        Map<List<String>, Double> out = new HashMap<>();
        for (DataDir d : store.dirs()) {
            Double v = value.apply(d);
            if (v != null) out.put(List.of(d.root().toString()), v);
        }
        return out;
    }
}
