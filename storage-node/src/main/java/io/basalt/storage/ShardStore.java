package io.basalt.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The shards of one node, spread over its data dirs. Thread-safe. The files are the truth; an
 * in-memory index shard id → dir (built by listing at start, kept up to date by writes and
 * deletes) exists so that when a dir fails the node still knows which shards it held, though it
 * can no longer list them. A failed dir is skipped by reads, writes, listing and capacity.
 *
 * <p>A hung disk (dead NFS server, stuck NVMe) does not fail a syscall, it never returns one. So
 * each dir has a thread of its own ({@link DirMonitor}) for probes and free-space reads, and a
 * caller waits for it at most the probe timeout: a dir that overruns it is failed like one that
 * threw EIO, and from then on nothing touches it. Long before that, a dir whose background call has
 * run longer than the suspect bound is <em>suspect</em>: new shards go to the other dirs, requests
 * for shards on it fail at once (UNAVAILABLE) instead of waiting, and no request for a shard
 * elsewhere touches it. New shards are placed by free space read in the background, so choosing a
 * dir makes no syscall. A probe that passes makes the dir eligible again.
 */
public final class ShardStore implements AutoCloseable {
    private static final Logger log = LogManager.getLogger(ShardStore.class);
    /** Dirs whose free space is this close to the best count as tied, so similar disks share new writes. */
    private static final long FREE_SPACE_TIE_BYTES = 256L << 20;
    /** How often each dir's free space is read for placing new shards. */
    static final Duration SPACE_REFRESH = Duration.ofSeconds(1);
    /**
     * A background call (a free-space read takes microseconds) running this long means the dir may
     * hang: looks that can do without it skip it at once, long before it is suspect.
     */
    static final Duration OVERDUE = Duration.ofMillis(200);
    /**
     * A statfs takes microseconds; one running this long (or half the probe timeout, if shorter)
     * means the file system hangs or nearly so.
     */
    static final Duration SUSPECT_AFTER = Duration.ofSeconds(1);
    /**
     * A probe's fsync of a few bytes queues behind other writes' data: under a burst of writes to a
     * busy (or, in a dev cluster, shared) disk it can take over a second on a disk that works, and a
     * suspect dir refuses its reads, so a probe gets longer (or half the probe timeout, if shorter).
     */
    static final Duration PROBE_SUSPECT_AFTER = Duration.ofSeconds(3);
    /**
     * Shards of one chunk up to this size are appended to the dir's pack files, committed in groups
     * (one fdatasync for every shard waiting), instead of a file each (an fsync, a rename and a
     * directory fsync each): small objects' copies and the shards of objects up to a few hundred KiB.
     */
    static final int PACKED_MAX_BYTES = 128 << 10;

    /** Told once per failed dir, with every shard the index placed on it. */
    @FunctionalInterface
    interface DirFailureListener {
        void dirFailed(Path root, String reason, List<String> shardIds);
    }

    private final List<DataDir> dirs;
    private final Map<String, DataDir> index = new ConcurrentHashMap<>();
    private final ShardLayouts layouts = new ShardLayouts();
    /** Each healthy dir's pack files, where shards of up to {@link #PACKED_MAX_BYTES} go. */
    private final Map<DataDir, PackLog> packLogs = new ConcurrentHashMap<>();

    private volatile DirFailureListener listener = (root, reason, ids) -> {};
    private final Duration probeTimeout;
    /** A free-space read, or a probe, running longer than this makes its dir suspect. */
    private final Duration suspectAfter;

    private final Duration probeSuspectAfter;
    /** One thread per dir: a probe stuck on a hung disk holds only its own dir's thread. */
    private final Map<DataDir, DirMonitor> monitors = new ConcurrentHashMap<>();
    /** The probe running on each dir, so concurrent callers wait for it rather than queue behind it. */
    private final Map<DataDir, Probe> probes = new ConcurrentHashMap<>();

    private volatile boolean closed;
    private final boolean packSmallShards;
    private final short shardFormat;

    private record Probe(Future<?> result, long deadlineNanos) {}

    private ShardStore(List<DataDir> dirs, Duration probeTimeout, boolean packSmallShards, short shardFormat) {
        this.dirs = dirs;
        this.packSmallShards = packSmallShards;
        this.shardFormat = shardFormat;
        this.probeTimeout = probeTimeout;
        this.suspectAfter = shorter(SUSPECT_AFTER, probeTimeout.dividedBy(2));
        this.probeSuspectAfter = shorter(PROBE_SUSPECT_AFTER, probeTimeout.dividedBy(2));
        for (DataDir dir : dirs) monitors.put(dir, new DirMonitor(dir));
    }

    public static ShardStore open(List<Path> roots) throws IOException {
        return open(roots, StorageNodeConfig.DEFAULT_DISK_PROBE_TIMEOUT);
    }

    /**
     * Opens every dir; one that cannot be opened or listed starts out failed (its shards are then
     * unknown, so only the coordinator's scans find them). Fails if no dir is usable at all.
     */
    public static ShardStore open(List<Path> roots, Duration probeTimeout) throws IOException {
        return open(roots, probeTimeout, false);
    }

    /** @param packSmallShards new shards of one small chunk go to packs ({@link #PACKED_MAX_BYTES}) */
    public static ShardStore open(List<Path> roots, Duration probeTimeout, boolean packSmallShards) throws IOException {
        return open(roots, probeTimeout, packSmallShards, ShardFileLayout.ALIGNED);
    }

    /** @param shardFormat the format new shard files are written in ({@link ShardFileLayout}) */
    public static ShardStore open(List<Path> roots, Duration probeTimeout, boolean packSmallShards, int shardFormat)
            throws IOException {
        if (!probeTimeout.isPositive()) throw new IllegalArgumentException("disk probe timeout must be positive");
        if (roots.isEmpty()) {
            throw new IllegalArgumentException("at least one data dir is required");
        }
        List<DataDir> dirs = new ArrayList<>();
        IOException last = null;
        for (Path root : roots) {
            try {
                dirs.add(DataDir.open(root));
            } catch (IOException e) {
                log.error("data dir {} is unusable, starting without it: {}", root, e.toString());
                dirs.add(DataDir.failedAtStart(root, "cannot open at start: " + e));
                last = e;
            }
        }
        ShardStore store = new ShardStore(List.copyOf(dirs), probeTimeout, packSmallShards, (short) shardFormat);
        for (DataDir dir : store.healthyDirs()) {
            try {
                for (String id : dir.shardIds("")) store.index.putIfAbsent(id, dir);
                // Packs already on disk are read even with packing off (it was on before).
                if (!packSmallShards && !Files.isDirectory(dir.packs())) continue;
                PackLog packs = PackLog.open(dir.packs());
                store.packLogs.put(dir, packs);
                for (String id : packs.shardIds()) store.index.putIfAbsent(id, dir);
            } catch (IOException e) {
                log.error("cannot list data dir {}, starting without it: {}", dir.root(), e.toString());
                dir.markFailed("cannot list at start: " + e);
                last = e;
            }
        }
        if (store.healthyDirs().isEmpty()) {
            store.close();
            throw new IOException("no usable data dir among " + roots, last);
        }
        store.monitors.values().forEach(m -> m.refreshSpaceEvery(SPACE_REFRESH, store.suspectAfter));
        return store;
    }

    /** Replaces the listener told about failed dirs; set before anything can fail. */
    void onDirFailure(DirFailureListener l) {
        this.listener = l;
    }

    List<DataDir> dirs() {
        return dirs;
    }

    List<DataDir> healthyDirs() {
        return dirs.stream().filter(d -> !d.failed()).toList();
    }

    /** Roots of the healthy dirs. */
    public List<Path> roots() {
        return healthyDirs().stream().map(DataDir::root).toList();
    }

    public List<Path> failedRoots() {
        return dirs.stream().filter(DataDir::failed).map(DataDir::root).toList();
    }

    /** The dir holding a shard and its file: its own, or the pack holding its record ({@code packed}). */
    record Located(DataDir dir, Path file, PackLog.Entry packed) {
        Located(DataDir dir, Path file) {
            this(dir, file, null);
        }
    }

    /** The shard's record in {@code dir}'s packs, or null. */
    private Located packed(DataDir dir, String shardId) {
        PackLog packs = packLogs.get(dir);
        if (packs == null) return null;
        PackLog.Entry e = packs.find(shardId).orElse(null);
        return e == null ? null : new Located(dir, packs.file(e.pack()), e);
    }

    /**
     * Where a shard is. Never waits on a suspect dir: a shard the index places there is returned
     * unchecked (see {@link #locateAnswering}), and the look in the other dirs skips it (the index
     * knows every shard a dir held when it became suspect; only a write racing with this look could
     * be missed, as if it came later). A dir whose background call has run past {@link #OVERDUE} is
     * skipped in that look too, before it is suspect: a read never stats a hanging dir it need not.
     */
    Optional<Located> locate(String shardId) {
        DataDir known = index.get(shardId);
        if (known != null && !known.failed()) {
            Located inPack = packed(known, shardId);
            if (inPack != null) return Optional.of(inPack);
            if (suspect(known)) return Optional.of(new Located(known, known.shardPath(shardId)));
            Path file = known.shardPath(shardId);
            if (Files.exists(file)) return Optional.of(new Located(known, file));
        }
        // Not where the index says (a racing write or delete): the healthy dirs' files decide.
        for (DataDir dir : dirs) {
            if (dir == known
                    || dir.failed()
                    || suspect(dir)
                    || monitors.get(dir).overdue(OVERDUE)) continue;
            Located inPack = packed(dir, shardId);
            if (inPack != null) {
                index.put(shardId, dir);
                return Optional.of(inPack);
            }
            Path file = dir.shardPath(shardId);
            if (Files.exists(file)) {
                index.put(shardId, dir);
                return Optional.of(new Located(dir, file));
            }
        }
        return Optional.empty();
    }

    /** {@link #locate}, failing at once if the shard is on a suspect dir. */
    private Optional<Located> locateAnswering(String shardId) throws DataDirSuspectException {
        Optional<Located> located = locate(shardId);
        if (located.isPresent()) requireAnswering(located.get().dir());
        return located;
    }

    /**
     * Starts writing a shard. An existing shard is replaced in its own dir so the rename
     * swaps it atomically; a new one goes to the healthy dir with the most free space.
     */
    ShardFileWriter newWriter(String shardId, int chunkSize) throws IOException {
        DataDir dir = dirFor(shardId);
        try {
            return ShardFileWriter.create(shardId, chunkSize, dir, shardFormat);
        } catch (IOException e) {
            ioFailed(dir, e);
            throw e;
        }
    }

    /** True when the index places no shard on {@code dir} (a new dir, or one emptied). */
    boolean holdsNoShard(DataDir dir) {
        return !index.containsValue(dir);
    }

    /** The dir a shard being written goes to: its own if it exists (replaced in place), else a new one's. */
    private DataDir dirFor(String shardId) throws IOException {
        // The index knows every shard of the healthy dirs (read at start, kept at each commit and
        // delete), so a shard it does not know is new: it goes where chooseDir says without a look
        // into every dir, one of which may hang before its monitor has noticed.
        DataDir known = index.get(shardId);
        if (known != null && !known.failed()) {
            requireAnswering(known);
            return known;
        }
        return chooseDir(shardId);
    }

    /**
     * Stores a whole small shard (one chunk, at most {@link #PACKED_MAX_BYTES}) in a dir's packs; the
     * future completes once it is durable and indexed, with its header, or fails as a write would.
     */
    CompletableFuture<Committed> commitPacked(String shardId, int chunkSize, ByteBuffer data, int dataCrc32c) {
        DataDir dir;
        try {
            dir = dirFor(shardId);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
        PackLog packs = packLogs.get(dir);
        if (packs == null)
            return CompletableFuture.failedFuture(
                    new DataDirFailedException("data dir " + dir.root() + " failed: " + dir.failure(), null));
        // The index knows every shard of the healthy dirs: only one it knows can have an older copy as a file.
        boolean rewrite = index.get(shardId) == dir;
        return packs.put(shardId, chunkSize, data, dataCrc32c, System.currentTimeMillis())
                .whenComplete((e, error) -> {
                    if (error != null && DataDir.noSpace(error)) noRoom(dir);
                })
                .thenApply(e -> {
                    PackRecord r = e.record();
                    try {
                        // A copy as a file of its own (written before packs, or when the shard was larger) is older.
                        if (rewrite && Files.deleteIfExists(dir.shardPath(shardId)))
                            Durability.fsyncDirectory(dir.shardPath(shardId).getParent());
                        committed(shardId, dir);
                    } catch (IOException x) {
                        throw new java.io.UncheckedIOException(x);
                    }
                    return new Committed(new ShardHeader(r.chunkSize(), r.dataLength(), r.dataCrc32c()), dir);
                });
    }

    record Committed(ShardHeader header, DataDir dir) {}

    /** Records a committed shard file; fails it if its dir failed meanwhile, as the shard is then lost. */
    void committedFile(String shardId, DataDir dir) throws IOException {
        PackLog packs = packLogs.get(dir);
        if (packs != null && packs.find(shardId).isPresent()) {
            // The older copy was packed: its deletion is durable before the file counts.
            try {
                packs.delete(shardId, System.currentTimeMillis()).join();
            } catch (java.util.concurrent.CompletionException e) {
                throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
            }
        }
        committed(shardId, dir);
    }

    /** Records a committed shard; fails it if its dir failed meanwhile, as the shard is then lost. */
    private void committed(String shardId, DataDir dir) throws IOException {
        layouts.forget(shardId);
        index.put(shardId, dir);
        if (dir.failed()) {
            index.remove(shardId, dir);
            throw new DataDirFailedException("data dir " + dir.root() + " failed: " + dir.failure(), null);
        }
    }

    /**
     * The dir for a new shard: among the healthy dirs that are not suspect, the one with the most
     * free space as last read in the background (no syscall here); dirs within {@link #FREE_SPACE_TIE_BYTES}
     * of it share the shards, unless they have less than half its free space (a nearly full disk
     * beside one with room is no tie: its share of the writes would be refused). If every healthy
     * dir is suspect there is no better place: the shard goes to one of them and its write waits on that disk.
     */
    private DataDir chooseDir(String shardId) throws NoHealthyDirException {
        List<DataDir> healthy = healthyDirs();
        if (healthy.isEmpty()) throw new NoHealthyDirException();
        List<DataDir> answering = healthy.stream().filter(d -> !suspect(d)).toList();
        List<DataDir> candidates = answering.isEmpty() ? healthy : answering;
        if (candidates.size() == 1) {
            return candidates.get(0);
        }
        long[] free =
                candidates.stream().mapToLong(d -> monitors.get(d).freeBytes()).toArray();
        long best = java.util.Arrays.stream(free).max().orElseThrow();
        List<DataDir> tied = new ArrayList<>();
        for (int i = 0; i < candidates.size(); i++) {
            if (best - free[i] <= FREE_SPACE_TIE_BYTES && free[i] >= best / 2) {
                tied.add(candidates.get(i));
            }
        }
        return tied.get(Math.floorMod(ShardId.hash(shardId), tied.size()));
    }

    /**
     * True while a background call on {@code dir} has run longer than the suspect bound, and from
     * then until a probe passes. Reads only what the dir's thread recorded: never touches the disk.
     */
    boolean suspect(DataDir dir) {
        DirMonitor monitor = monitors.get(dir);
        if (monitor.suspect()) return true;
        if (!monitor.slow()) return false;
        if (monitor.markSuspect()) {
            log.warn(
                    "data dir {} is suspect: a free-space read has not returned within {} ms or a probe within {} ms;"
                            + " new shards go to the other dirs and its own shards are unavailable until a probe passes",
                    dir.root(),
                    suspectAfter.toMillis(),
                    probeSuspectAfter.toMillis());
            startProbe(dir); // queued behind the stuck call: runs as soon as the disk answers again
        }
        return true;
    }

    private void requireAnswering(DataDir dir) throws DataDirSuspectException {
        if (suspect(dir)) {
            throw new DataDirSuspectException(
                    "data dir " + dir.root() + " does not answer (a probe or free-space read has not returned)");
        }
    }

    /** Opens a shard to serve a read: its header and CRC table from {@link #layouts} where they are known. */
    ShardReader openReader(String shardId) throws IOException {
        Located located = locateAnswering(shardId).orElseThrow(() -> new NoSuchFileException(shardId));
        try {
            if (located.packed() != null) return openPacked(shardId, located);
            return ShardReader.open(shardId, located.file(), located.dir(), layouts);
        } catch (NoSuchFileException | CorruptShardException e) {
            throw e;
        } catch (IOException e) {
            ioFailed(located.dir(), e);
            throw e;
        }
    }

    /** A packed shard's reader; its pack compacted away meanwhile means the record moved: looked up once more. */
    private ShardReader openPacked(String shardId, Located located) throws IOException {
        try {
            return ShardReader.openPacked(shardId, located.file(), located.packed(), located.dir());
        } catch (NoSuchFileException compacted) {
            Located again = packed(located.dir(), shardId);
            if (again == null) throw compacted;
            return ShardReader.openPacked(shardId, again.file(), again.packed(), again.dir());
        }
    }

    /** Header, modification time and dir of a stored shard. */
    record Stat(String shardId, ShardHeader header, long modifiedUnixMs, Path dataDir) {}

    Stat stat(String shardId) throws IOException {
        Located located = locateAnswering(shardId).orElseThrow(() -> new NoSuchFileException(shardId));
        if (located.packed() != null) {
            PackRecord r = located.packed().record();
            return new Stat(
                    shardId,
                    new ShardHeader(r.chunkSize(), r.dataLength(), r.dataCrc32c()),
                    r.writtenAtMs(),
                    located.dir().root());
        }
        try (ShardReader reader = ShardReader.open(shardId, located.file(), located.dir())) {
            long mtime = Files.readAttributes(located.file(), BasicFileAttributes.class)
                    .lastModifiedTime()
                    .toMillis();
            return new Stat(shardId, reader.header(), mtime, located.dir().root());
        } catch (NoSuchFileException | CorruptShardException e) {
            throw e;
        } catch (IOException e) {
            ioFailed(located.dir(), e);
            throw e;
        }
    }

    enum Deletion {
        DELETED,
        ABSENT,
        KEPT_NEWER
    }

    /**
     * Deletes copies last written before {@code writtenBeforeMs}; newer copies are kept. A copy on
     * a failed dir cannot be deleted and counts as absent: the shard is gone either way.
     */
    Deletion delete(String shardId, long writtenBeforeMs) throws IOException {
        layouts.forget(shardId);
        Deletion result = Deletion.ABSENT;
        DataDir known = index.get(shardId);
        for (DataDir dir : healthyDirs()) {
            if (suspect(dir)) {
                if (dir == known) requireAnswering(dir);
                continue; // the index would place the shard there if that dir held it
            }
            Located inPack = packed(dir, shardId);
            if (inPack != null) {
                if (inPack.packed().record().writtenAtMs() >= writtenBeforeMs) {
                    result = Deletion.KEPT_NEWER;
                } else {
                    try {
                        packLogs.get(dir)
                                .delete(shardId, System.currentTimeMillis())
                                .join();
                        if (result == Deletion.ABSENT) result = Deletion.DELETED;
                    } catch (java.util.concurrent.CompletionException e) {
                        IOException io = e.getCause() instanceof IOException x ? x : new IOException(e.getCause());
                        ioFailed(dir, io);
                        throw io;
                    }
                }
            }
            Path file = dir.shardPath(shardId);
            try {
                if (!Files.exists(file)) continue;
                if (Files.getLastModifiedTime(file).toMillis() >= writtenBeforeMs) {
                    result = Deletion.KEPT_NEWER;
                    continue;
                }
                if (Files.deleteIfExists(file)) {
                    Durability.fsyncDirectory(file.getParent());
                    if (result == Deletion.ABSENT) result = Deletion.DELETED;
                }
            } catch (NoSuchFileException e) {
                // deleted meanwhile
            } catch (IOException e) {
                ioFailed(dir, e);
                throw e;
            }
        }
        // Atomic with a racing commit's put: the entry stays while a file is there.
        index.computeIfPresent(
                shardId,
                (id, dir) ->
                        !dir.failed() && (packed(dir, id) != null || Files.exists(dir.shardPath(id))) ? dir : null);
        return result;
    }

    /**
     * Ids starting with {@code prefix}, sorted, strictly after {@code startAfter}; limit 0 means all.
     * Fails at once while a dir is suspect: a listing without its shards would tell the caller (the
     * orphan sweeper) they are missing, and listing it would wait on the disk.
     */
    List<String> list(String prefix, String startAfter, int limit) throws IOException {
        for (DataDir dir : healthyDirs()) requireAnswering(dir);
        TreeSet<String> ids = new TreeSet<>();
        for (DataDir dir : healthyDirs()) {
            try {
                ids.addAll(dir.shardIds(prefix));
                PackLog packs = packLogs.get(dir);
                if (packs != null) for (String id : packs.shardIds()) if (id.startsWith(prefix)) ids.add(id);
            } catch (IOException e) {
                ioFailed(dir, e);
                if (!dir.failed()) throw e;
                // the dir just failed: its shards are being reported lost, list the others
            }
        }
        var after = startAfter.isEmpty() ? ids : ids.tailSet(startAfter, false);
        return after.stream().limit(limit == 0 ? Long.MAX_VALUE : limit).toList();
    }

    /**
     * Sums each distinct healthy file system once, so two dirs on one disk do not double its space.
     * Never hangs on a hung disk (the node record is refreshed on the thread that also keeps the
     * node registered): that dir is failed instead and not counted.
     */
    Capacity capacity() throws IOException {
        Set<FileStore> seen = new HashSet<>();
        long free = 0;
        long total = 0;
        for (DataDir dir : healthyDirs()) {
            if (seen.add(dir.fileStore())) {
                Capacity space = space(dir);
                if (space == null) continue;
                free += space.freeBytes();
                total += space.totalBytes();
            }
        }
        return new Capacity(free, total);
    }

    /**
     * A healthy dir's free and total bytes, read within the probe timeout; null if the dir is (now)
     * failed. A suspect dir is not waited on: its last figures, or, once its stuck call has run past
     * the probe timeout, it is failed.
     */
    Capacity space(DataDir dir) throws IOException {
        if (dir.failed()) return null;
        DirMonitor monitor = monitors.get(dir);
        if (monitor.overdue(probeTimeout)) {
            fail(dir, "a disk call has not returned within " + probeTimeout.toMillis() + " ms: the disk hangs");
            return null;
        }
        if (suspect(dir)) return monitor.lastSpace();
        // The dir's thread reads it every SPACE_REFRESH: scrapes and node records reuse that figure.
        Capacity recent = monitor.spaceWithin(SPACE_REFRESH.multipliedBy(2));
        if (recent != null) return recent;
        try {
            return onDirThread(dir, dir::space, suspectAfter).get(probeTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            fail(dir, "reading its free space took longer than " + probeTimeout.toMillis() + " ms: the disk hangs");
            return null;
        } catch (ExecutionException e) {
            IOException error = e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
            ioFailed(dir, error);
            if (dir.failed()) return null;
            throw error;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted reading the free space of " + dir.root());
        } catch (RejectedExecutionException e) {
            return null; // closing
        }
    }

    /**
     * An operation on {@code dir} failed with {@code error}: one bad file does not condemn a disk,
     * so the dir is probed now and failed only if the probe fails too (a suspect dir's probe is
     * already queued behind its stuck call).
     */
    void ioFailed(DataDir dir, IOException error) {
        if (dir.failed() || error instanceof NoHealthyDirException) return;
        if (DataDir.noSpace(error)) {
            noRoom(dir); // a full disk, not a broken one: a probe would only pass
            return;
        }
        if (suspect(dir)) return; // its probe is queued already; waiting here would wait on the disk
        log.warn("I/O error on data dir {}: {}; probing it", dir.root(), error.toString());
        probe(dir);
    }

    /** A write to {@code dir} was refused for want of room: new shards go to the other dirs from now on. */
    private void noRoom(DataDir dir) {
        DirMonitor monitor = monitors.get(dir);
        if (monitor != null) monitor.noRoom();
    }

    /** Probes every healthy dir, all at once; the periodic health check. */
    void probeAll() {
        List<DataDir> healthy = healthyDirs();
        Map<DataDir, Probe> started = new java.util.LinkedHashMap<>();
        for (DataDir dir : healthy) {
            Probe p = startProbe(dir);
            if (p != null) started.put(dir, p);
        }
        started.forEach(this::awaitProbe);
    }

    private void probe(DataDir dir) {
        Probe p = startProbe(dir);
        if (p != null) awaitProbe(dir, p);
    }

    /** The probe in flight on {@code dir}, or a new one; null when closing. */
    private Probe startProbe(DataDir dir) {
        try {
            return probes.compute(
                    dir,
                    (d, running) -> running != null && !running.result().isDone()
                            ? running
                            : new Probe(
                                    onDirThread(
                                            d,
                                            () -> {
                                                runProbe(d);
                                                return null;
                                            },
                                            probeSuspectAfter),
                                    System.nanoTime() + probeTimeout.toNanos()));
        } catch (RejectedExecutionException e) {
            return null;
        }
    }

    private void awaitProbe(DataDir dir, Probe p) {
        try {
            p.result().get(Math.max(0, p.deadlineNanos() - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            // The probe's thread stays blocked in the kernel; nothing else will use it.
            fail(dir, "probe did not finish within " + probeTimeout.toMillis() + " ms: the disk hangs");
        } catch (ExecutionException e) {
            fail(dir, "probe failed: " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** On the dir's thread: a probe that fails takes the dir out even if nobody waits for it; one that passes clears suspicion. */
    private void runProbe(DataDir dir) throws IOException {
        try {
            dir.probe();
        } catch (IOException | RuntimeException e) {
            if (!closed) fail(dir, "probe failed: " + e); // closing interrupts probes: no fault of the disk
            throw e;
        }
        if (monitors.get(dir).clearSuspect()) {
            log.info("data dir {} answers again (a probe passed): it takes new shards again", dir.root());
        }
    }

    private <T> Future<T> onDirThread(DataDir dir, Callable<T> work, Duration suspectAfter) {
        return monitors.get(dir).submit(work, suspectAfter);
    }

    private static Duration shorter(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** Stops the dirs' threads; one blocked on a hung disk is left to the kernel (it is a daemon). */
    @Override
    public void close() {
        closed = true;
        monitors.values().forEach(DirMonitor::close);
        packLogs.values().forEach(ShardStore::closeQuietly);
    }

    private static void closeQuietly(PackLog packs) {
        try {
            packs.close();
        } catch (IOException e) {
            log.warn("cannot close a pack log: {}", e.toString());
        }
    }

    /** Whether new shards of one small chunk go to packs. */
    boolean packsSmallShards() {
        return packSmallShards;
    }

    /** The dir's packs, for the scrubber; null once the dir failed (or never packed). */
    PackLog packs(DataDir dir) {
        return packLogs.get(dir);
    }

    /** Takes a dir out for good and tells the listener every shard it held. */
    void fail(DataDir dir, String reason) {
        if (!dir.markFailed(reason)) return;
        PackLog packs = packLogs.remove(dir);
        // Closing waits for its committer, which may be stuck on this very disk: not on this thread.
        if (packs != null) Thread.ofVirtual().name("close packs " + dir.root()).start(() -> closeQuietly(packs));
        List<String> lost = new ArrayList<>();
        index.forEach((id, d) -> {
            if (d == dir && index.remove(id, dir)) lost.add(id);
        });
        lost.sort(null);
        log.error(
                "data dir {} failed ({}); {} shards on it are lost, {} healthy dirs left",
                dir.root(),
                reason,
                lost.size(),
                healthyDirs().size());
        if (healthyDirs().isEmpty()) {
            log.error("no healthy data dir left: this node refuses new shards until restarted with a working disk");
        }
        try {
            listener.dirFailed(dir.root(), reason, lost);
        } catch (RuntimeException e) {
            log.error("cannot report the shards of failed data dir {}: {}", dir.root(), e.toString());
        }
    }
}
