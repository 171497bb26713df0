package io.basalt.storage;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Watches a node's data dirs: probes each healthy one every few seconds (a failing request
 * probes its dir at once, see {@link ShardStore#ioFailed}) and, when one fails, queues every
 * shard it held for healing and has the node record rewritten without it. The report is retried
 * until etcd takes it, since those shards have lost a copy whether or not etcd is up.
 */
final class DiskWatch implements AutoCloseable {
    private static final Logger log = LogManager.getLogger(DiskWatch.class);
    private static final long MAX_RETRY_MS = 30_000;

    private final ShardStore store;
    private final String nodeId;
    private final Duration probeInterval;
    private final ScrubHealQueue healQueue; // null without etcd: nobody could heal
    private final Runnable recordChanged;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "disk-watch");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean closed;

    DiskWatch(
            ShardStore store, String nodeId, Duration probeInterval, ScrubHealQueue healQueue, Runnable recordChanged) {
        this.store = store;
        this.nodeId = nodeId;
        this.probeInterval = probeInterval;
        this.healQueue = healQueue;
        this.recordChanged = recordChanged;
    }

    void start() {
        store.onDirFailure(this::dirFailed);
        if (!probeInterval.isZero()) {
            timer.scheduleWithFixedDelay(
                    this::probe, probeInterval.toMillis(), probeInterval.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void probe() {
        try {
            store.probeAll();
        } catch (RuntimeException e) {
            log.warn("disk probe on {} failed unexpectedly: {}", nodeId, e.toString());
        }
    }

    private void dirFailed(Path root, String reason, List<String> shardIds) {
        recordChanged.run();
        if (healQueue == null) {
            log.error(
                    "data dir {} failed; without etcd its {} shards cannot be queued for healing",
                    root,
                    shardIds.size());
            return;
        }
        String why = "data dir " + root + " failed on " + nodeId;
        submit(() -> report(root, why, shardIds, 1000), 0);
    }

    private void report(Path root, String why, List<String> shardIds, long retryMs) {
        if (closed) return;
        try {
            long start = System.currentTimeMillis();
            int sets = healQueue.queueLost(shardIds, why);
            log.info(
                    "queued {} shards ({} shard sets) of failed data dir {} for healing in {} ms",
                    shardIds.size(),
                    sets,
                    root,
                    System.currentTimeMillis() - start);
        } catch (RuntimeException e) {
            log.warn(
                    "cannot queue the shards of failed data dir {} yet, retrying in {} s: {}",
                    root,
                    retryMs / 1000,
                    e.toString());
            submit(() -> report(root, why, shardIds, Math.min(retryMs * 2, MAX_RETRY_MS)), retryMs);
        }
    }

    private void submit(Runnable task, long delayMs) {
        try {
            timer.schedule(task, delayMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    @Override
    public void close() {
        closed = true;
        timer.shutdownNow();
    }
}
