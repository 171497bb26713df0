package io.basalt.storage;

import io.basalt.core.throttle.ByteRateLimiter;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Bitrot scrub: walks every shard file of every data dir at a bounded byte rate, verifying the
 * header and every chunk's CRC32C exactly as a read would (through {@link ShardReader}), and
 * hands each corrupt shard to a {@link CorruptionSink}. Reads alone only catch rot in data that
 * is read; cold data would otherwise lose redundancy silently until too many shards rot.
 */
public final class Scrubber implements AutoCloseable {
    private static final Logger log = LogManager.getLogger(Scrubber.class);

    /**
     * @param bytesPerSecond read rate; 0 disables background passes
     * @param interval pause between the end of one full pass and the start of the next
     * @param initialDelay wait before the first pass after start; never longer than {@code interval}
     */
    public record Config(long bytesPerSecond, Duration interval, Duration initialDelay) {
        public Config {
            // a first pass waits out the start, but not longer than the pause between passes asked for
            if (initialDelay.compareTo(interval) > 0) initialDelay = interval;
        }

        public static final Config DEFAULT =
                new Config(ByteRateLimiter.mbPerSecond(50), Duration.ofHours(24), Duration.ofMinutes(1));
        public static final Config DISABLED = new Config(0, Duration.ofHours(24), Duration.ofMinutes(1));

        public boolean enabled() {
            return bytesPerSecond > 0;
        }
    }

    /** A shard that failed verification: {@code what} is e.g. "chunk 3" or "header". */
    public record Corruption(String shardId, String what, String detail) {}

    /** Told about each corrupt shard a pass finds. */
    @FunctionalInterface
    public interface CorruptionSink {
        void report(Corruption corruption);
    }

    /** What one full pass saw. */
    public record PassReport(long files, long bytes, long corrupt, long millis) {}

    private final ShardStore store;
    private final String nodeId;
    private final Config config;
    private final CorruptionSink sink;
    private final ByteRateLimiter limiter;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "scrubber");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        return t;
    });
    private volatile boolean closed;
    private volatile PassReport last;
    private final AtomicLong bytesScanned = new AtomicLong();
    private final AtomicLong filesScanned = new AtomicLong();

    private volatile Runnable onCorrupt = () -> {};

    Scrubber(ShardStore store, String nodeId, Config config, CorruptionSink sink) {
        this.store = store;
        this.nodeId = nodeId;
        this.config = config;
        this.sink = sink;
        this.limiter = new ByteRateLimiter(config.bytesPerSecond());
    }

    /** Called for every corrupt shard found, e.g. to count it; set before {@link #start()}. */
    void onCorrupt(Runnable counter) {
        this.onCorrupt = counter;
    }

    /** Schedules background passes; does nothing when the rate is 0. */
    void start() {
        if (!config.enabled()) {
            log.info("scrub disabled on {}", nodeId);
            return;
        }
        List<DataDir> dirs = store.healthyDirs();
        Duration first = ScrubSchedule.untilFirstPass(
                dirs,
                dirs.stream().filter(store::holdsNoShard).toList(),
                config.interval(),
                config.initialDelay(),
                System.currentTimeMillis());
        schedule(first);
        log.info(
                "scrub on {}: {} MB/s, a full pass every {} h, next in {} s",
                nodeId,
                config.bytesPerSecond() / (1 << 20),
                config.interval().toHours(),
                first.toSeconds());
    }

    private void schedule(Duration delay) {
        try {
            timer.schedule(this::passThenReschedule, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
            // closed meanwhile
        }
    }

    private void passThenReschedule() {
        try {
            runPass();
        } catch (InterruptedException e) {
            return; // closed
        } catch (RuntimeException e) {
            log.warn("scrub pass on {} failed: {}", nodeId, e.toString());
        }
        if (!closed) schedule(config.interval());
    }

    /** Shard data bytes verified since start, over all passes. */
    public long bytesScanned() {
        return bytesScanned.get();
    }

    /** Shard files verified since start, over all passes. */
    public long filesScanned() {
        return filesScanned.get();
    }

    /** The last completed pass, or null before the first. */
    public PassReport lastPass() {
        return last;
    }

    /**
     * One full pass over every shard, at the configured rate (unthrottled when it is 0), reporting
     * corrupt shards as it goes. Synchronized: a pass requested directly waits for a running one.
     */
    public synchronized PassReport runPass() throws InterruptedException {
        long start = System.currentTimeMillis();
        long[] totals = new long[3]; // files, bytes, corrupt
        for (DataDir dir : store.healthyDirs()) {
            if (store.suspect(dir)) {
                log.warn("scrub: skipping {} this pass, its disk does not answer", dir.root());
                continue;
            }
            List<Path> fanOuts;
            try {
                fanOuts = dir.fanOutDirs();
            } catch (IOException e) {
                log.warn("scrub: cannot list {}: {}", dir.root(), e.toString());
                store.ioFailed(dir, e);
                continue;
            }
            long dirStart = System.currentTimeMillis();
            for (Path fanOut : fanOuts) {
                for (Path file : files(fanOut)) {
                    if (closed) throw new InterruptedException("scrubber closed");
                    if (dir.failed()) break; // its shards were all reported when it failed
                    scrubFile(dir, file, totals);
                }
            }
            PackLog packs = store.packs(dir);
            if (packs != null) {
                for (String id : new java.util.TreeSet<>(packs.shardIds())) {
                    if (closed) throw new InterruptedException("scrubber closed");
                    if (dir.failed()) break;
                    scrubPacked(dir, packs, id, totals);
                }
            }
            // Shards written during the pass are fresh: the dir counts as verified as of the pass's start.
            if (!dir.failed()) ScrubSchedule.passed(dir, dirStart);
        }
        PassReport report = new PassReport(totals[0], totals[1], totals[2], System.currentTimeMillis() - start);
        last = report;
        log.info(
                "scrub pass on {} done: {} files, {} bytes scanned, {} corrupt, {} s",
                nodeId,
                report.files(),
                report.bytes(),
                report.corrupt(),
                report.millis() / 1000);
        return report;
    }

    private static List<Path> files(Path fanOut) {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(fanOut, Files::isRegularFile)) {
            files.forEach(out::add);
        } catch (IOException e) {
            log.warn("scrub: cannot list {}: {}", fanOut, e.toString());
        }
        out.sort(null);
        return out;
    }

    private void scrubFile(DataDir dir, Path file, long[] totals) throws InterruptedException {
        String shardId = file.getFileName().toString();
        // The open channel keeps the version we started on even if the shard is rewritten meanwhile.
        try (ShardReader reader = ShardReader.open(shardId, file, dir)) {
            totals[0]++;
            filesScanned.incrementAndGet();
            ShardHeader header = reader.header();
            CRC32C whole = new CRC32C();
            for (long i = 0; i < header.chunkCount(); i++) {
                byte[] data;
                try {
                    data = reader.readChunk(i);
                } catch (CorruptShardException e) {
                    corrupt(new Corruption(shardId, "chunk " + i, e.getMessage()), totals);
                    return;
                }
                whole.update(data);
                totals[1] += data.length;
                bytesScanned.addAndGet(data.length);
                limiter.acquire(data.length + ShardHeader.CHUNK_CRC_SIZE);
            }
            if ((int) whole.getValue() != header.shardCrc32c()) {
                corrupt(new Corruption(shardId, "header", "shard checksum does not match its chunks"), totals);
            }
        } catch (NoSuchFileException e) {
            // deleted (GC) since listed: nothing to verify
        } catch (CorruptShardException e) {
            totals[0]++;
            corrupt(new Corruption(shardId, "header", e.getMessage()), totals);
        } catch (IOException e) {
            // A disk that cannot read the file has lost the shard just as surely as rot.
            corrupt(new Corruption(shardId, "file", "unreadable: " + e), totals);
            store.ioFailed(dir, e);
        }
    }

    private void scrubPacked(DataDir dir, PackLog packs, String shardId, long[] totals) throws InterruptedException {
        for (int attempt = 0; attempt < 2; attempt++) {
            PackLog.Entry e = packs.find(shardId).orElse(null);
            if (e == null) return; // deleted since listed
            try {
                int length = packs.read(e).length;
                totals[0]++;
                totals[1] += length;
                filesScanned.incrementAndGet();
                bytesScanned.addAndGet(length);
                limiter.acquire(e.record().length());
                return;
            } catch (NoSuchFileException compacted) {
                // its record moved to another pack meanwhile: look it up again
            } catch (CorruptShardException c) {
                totals[0]++;
                corrupt(new Corruption(shardId, "chunk 0", c.getMessage()), totals);
                return;
            } catch (IOException io) {
                corrupt(new Corruption(shardId, "file", "unreadable: " + io), totals);
                store.ioFailed(dir, io);
                return;
            }
        }
    }

    private void corrupt(Corruption c, long[] totals) {
        totals[2]++;
        onCorrupt.run();
        log.warn("scrub on {}: shard {} is corrupt ({}): {}", nodeId, c.shardId(), c.what(), c.detail());
        try {
            sink.report(c);
        } catch (RuntimeException e) {
            log.warn("scrub on {}: cannot report corrupt shard {}: {}", nodeId, c.shardId(), e.toString());
        }
    }

    @Override
    public void close() {
        closed = true;
        timer.shutdownNow();
    }
}
