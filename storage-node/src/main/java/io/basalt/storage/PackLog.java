package io.basalt.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Small shards of one data dir, appended to pack files and made durable in groups: one committer
 * thread takes every record waiting when it wakes, writes them with one gathering write and makes
 * them durable with one fdatasync, and only then completes their futures. A file per shard costs a
 * create, an fsync, a rename and a directory fsync each; on this project's test disk 16 writers
 * commit 2,371 such files a second and 33,003 group-committed records (the bench's limits, {@code
 * SmallCommits}). Nothing is acknowledged before it is on disk.
 *
 * <p>Packs are named by a rising number and only the last one is appended to. At open every pack is
 * read through and the index (shard id → where its newest record is) rebuilt; a deletion is a
 * record too, so it survives a restart. A crash in the middle of a batch leaves a torn tail on the
 * last pack, cut back at open to the last whole record (none of that tail was acknowledged). A
 * damaged header is skipped to the next header that checks; rot in a shard's data fails that shard.
 *
 * <p>Space of deleted and replaced shards comes back by compaction, on the committer thread (so it
 * is ordered with every write) when it is idle (pack after pack while no record waits) or every {@value
 * #COMPACT_EVERY_BATCHES} batches: a pack other than the one being appended to whose
 * live bytes are under half its size has its live records copied to the head and is deleted once
 * the copies are durable. A deletion record is carried along while the shard stays deleted (a
 * record of it may remain in an older pack), except out of the oldest pack, which nothing precedes.
 *
 * <p>A full disk refuses a batch, not the log: its records fail with the no-space error, the pack is cut back to its
 * last durable record (so no refused record can be read back later) and the next batch is tried as if none had
 * failed. Any other failed write or fdatasync leaves the file's state unknown, and the log takes nothing more.
 */
final class PackLog implements AutoCloseable {
    private static final Logger log = LogManager.getLogger(PackLog.class);
    static final long DEFAULT_PACK_BYTES = 64L << 20;
    /** One batch's bytes at most: bounds the committer's write and what a failed batch fails. */
    private static final int MAX_BATCH_BYTES = 4 << 20;

    private static final String SUFFIX = ".pack";
    /** Under constant load (never idle) compaction still runs after this many batches. */
    private static final long COMPACT_EVERY_BATCHES = 1000;

    /** Where a shard's newest record is. */
    record Entry(long pack, long offset, PackRecord record) {}

    private record Pending(PackRecord record, ByteBuffer encoded, CompletableFuture<Entry> done) {}

    private final Path dir;
    private final long packBytes;
    private final Map<String, Entry> index = new ConcurrentHashMap<>();
    /** Bytes of the records the index points to, and each pack's size: the committer's (and open's) alone. */
    private final TreeMap<Long, long[]> packs = new TreeMap<>(); // id -> {live bytes, size}

    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    /** Put in the queue by {@link #close()} to wake a committer that sleeps in {@code take()}. */
    private static final Pending WAKE = new Pending(null, ByteBuffer.allocate(0), new CompletableFuture<>());

    private final Thread committer;
    /**
     * Whether a pack may be under half live: set when a record replaces or deletes one (or a pack rolls), cleared
     * when a look finds none. The committer's alone.
     */
    private boolean compactionDue = true;

    private long activeId; // the pack appended to: the committer's alone after open

    private long activeSize;
    /** Whether the last batch was refused for want of room: logged once per full spell. The committer's alone. */
    private boolean full;

    private volatile IOException failure;
    private volatile boolean closed;
    private final java.util.concurrent.atomic.AtomicLong compactions = new java.util.concurrent.atomic.AtomicLong();
    /** Batches committed (each one write and one fdatasync): fewer than records when writers overlap. */
    private final java.util.concurrent.atomic.AtomicLong batches = new java.util.concurrent.atomic.AtomicLong();

    private PackLog(Path dir, long packBytes) {
        this.dir = dir;
        this.packBytes = packBytes;
        this.committer = Thread.ofPlatform().name("pack-commit " + dir).daemon().unstarted(this::commitLoop);
    }

    static PackLog open(Path dir) throws IOException {
        return open(dir, DEFAULT_PACK_BYTES);
    }

    /** Reads every pack of {@code dir} into the index, cuts a torn tail off the last, and starts committing. */
    static PackLog open(Path dir, long packBytes) throws IOException {
        Files.createDirectories(dir);
        PackLog packs = new PackLog(dir, packBytes);
        List<Long> ids = packs.packIds();
        for (int i = 0; i < ids.size(); i++) packs.load(ids.get(i), i == ids.size() - 1);
        if (ids.isEmpty()) {
            packs.roll();
        } else {
            packs.activeId = ids.getLast();
            packs.activeSize = Files.size(packs.path(packs.activeId));
        }
        packs.committer.start();
        return packs;
    }

    /**
     * Stores a shard: the future completes once its record is on disk (a later record of the same id replaces it).
     * @param dataCrc32c CRC32C of {@code data}, as the writer sent it and the node checked it
     */
    CompletableFuture<Entry> put(String shardId, int chunkSize, ByteBuffer data, int dataCrc32c, long writtenAtMs) {
        PackRecord r =
                new PackRecord(PackRecord.Type.SHARD, shardId, writtenAtMs, chunkSize, data.remaining(), dataCrc32c);
        return submit(r, r.encode(data));
    }

    /** Deletes a shard: the future completes once the deletion is on disk. */
    CompletableFuture<Entry> delete(String shardId, long atMs) {
        PackRecord r = new PackRecord(PackRecord.Type.DELETED, shardId, atMs, 1, 0, 0);
        return submit(r, r.encode(ByteBuffer.allocate(0)));
    }

    private CompletableFuture<Entry> submit(PackRecord r, ByteBuffer encoded) {
        CompletableFuture<Entry> done = new CompletableFuture<>();
        IOException failed = failure;
        if (failed != null) return CompletableFuture.failedFuture(failed);
        if (closed) return CompletableFuture.failedFuture(new IOException("pack log of " + dir + " is closed"));
        queue.add(new Pending(r, encoded, done));
        return done;
    }

    Optional<Entry> find(String shardId) {
        return Optional.ofNullable(index.get(shardId));
    }

    long compactions() {
        return compactions.get();
    }

    long batches() {
        return batches.get();
    }

    Set<String> shardIds() {
        return Set.copyOf(index.keySet());
    }

    /**
     * A stored shard's bytes, checked against the checksum it was written with.
     *
     * @throws java.nio.file.NoSuchFileException if compaction removed its pack since {@code e} was found: find it again
     */
    byte[] read(Entry e) throws IOException {
        byte[] data = new byte[e.record().dataLength()];
        try (FileChannel ch = FileChannel.open(path(e.pack()), StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.wrap(data);
            long at = e.offset() + e.record().dataOffset();
            while (buf.hasRemaining()) {
                if (ch.read(buf, at + buf.position()) < 0)
                    throw new CorruptShardException(
                            "pack ends inside shard " + e.record().shardId());
            }
        }
        CRC32C crc = new CRC32C();
        crc.update(data);
        if ((int) crc.getValue() != e.record().dataCrc32c())
            throw new CorruptShardException(
                    "checksum mismatch in packed shard " + e.record().shardId());
        return data;
    }

    /** The file of pack {@code id}, for a reader of its own (it keeps the bytes if the pack is compacted meanwhile). */
    Path file(long id) {
        return path(id);
    }

    private void commitLoop() {
        List<Pending> batch = new ArrayList<>();
        while (!closed || !queue.isEmpty()) {
            try {
                // Idle with nothing to compact, the thread sleeps until a record (or close) comes: a node has one
                // such thread per data dir, and waking each of them ten times a second cost an idle node more CPU
                // than any other of its threads. Idle for 100 ms with packs to compact, it compacts them one after
                // another while no record waits (a record waits for one pack's compaction at most).
                Pending first = compactionDue ? queue.poll(100, TimeUnit.MILLISECONDS) : queue.take();
                if (first == null) {
                    while ((compactionDue = compactOneIfRoom()) && queue.isEmpty()) {}
                    continue;
                }
                if (first == WAKE) continue;
                batch.add(first);
                long bytes = first.encoded().remaining();
                Pending next;
                while (bytes < MAX_BATCH_BYTES && (next = queue.poll()) != null) {
                    if (next == WAKE) continue;
                    batch.add(next);
                    bytes += next.encoded().remaining();
                }
                commit(batch, bytes);
                if (full) {
                    full = false;
                    log.info("pack log of {} takes records again: the disk has room", dir);
                }
                // A node never idle for 100 ms still gets its space back, a pack at a time.
                if (batches.get() % COMPACT_EVERY_BATCHES == 0) compactionDue = compactOneIfRoom();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (NoRoom e) {
                noRoom(e); // refused, not failed: the packs are as they were before the batch
                batch.forEach(p -> p.done().completeExceptionally(e.getCause()));
            } catch (IOException e) {
                // A failed write or fdatasync leaves the file's state unknown: nothing more is taken.
                failure = e;
                log.error("pack log of {} failed, taking no more writes: {}", dir, e.toString());
                batch.forEach(p -> p.done().completeExceptionally(e));
                Pending p;
                while ((p = queue.poll()) != null) p.done().completeExceptionally(e);
                return;
            } finally {
                batch.clear();
            }
        }
    }

    /** @throws NoRoom when the disk had no room for the batch, the packs left as they were before it */
    private void commit(List<Pending> batch, long bytes) throws IOException {
        if (activeSize > 0 && activeSize + bytes > packBytes) roll();
        ByteBuffer[] buffers = new ByteBuffer[batch.size()];
        Entry[] entries = new Entry[batch.size()];
        long at = activeSize;
        for (int i = 0; i < batch.size(); i++) {
            Pending p = batch.get(i);
            buffers[i] = p.encoded();
            entries[i] = new Entry(activeId, at, p.record());
            at += p.encoded().remaining();
        }
        // Opened per batch, not held: an idle node keeps no file open for writing (a disk being
        // remounted read-only, or unmounted, is not kept busy by it).
        try (FileChannel active = FileChannel.open(path(activeId), StandardOpenOption.WRITE)) {
            active.position(activeSize);
            try {
                long left = bytes;
                while (left > 0) left -= active.write(buffers);
                active.force(false);
            } catch (IOException e) {
                if (!DataDir.noSpace(e)) throw e;
                // What part of the batch was written stays past the last durable record unless cut off: a later,
                // shorter batch would leave whole refused records behind it, which a reopen would read back.
                active.truncate(activeSize);
                active.force(false);
                throw new NoRoom(e);
            }
        }
        batches.incrementAndGet();
        activeSize = at;
        packs.get(activeId)[1] = at;
        for (int i = 0; i < batch.size(); i++) {
            apply(entries[i]);
            batch.get(i).done().complete(entries[i]);
        }
    }

    private void apply(Entry e) {
        String id = e.record().shardId();
        Entry old = e.record().type() == PackRecord.Type.SHARD ? index.put(id, e) : index.remove(id);
        if (old != null) {
            packs.get(old.pack())[0] -= old.record().length();
            compactionDue = true;
        }
        if (e.record().type() == PackRecord.Type.SHARD)
            packs.get(e.pack())[0] += e.record().length();
    }

    private void noRoom(NoRoom e) {
        if (!full)
            log.warn("pack log of {} refuses records: {}", dir, e.getCause().toString());
        full = true;
    }

    /**
     * {@link #compactOne}, unless the disk has no room for the copies: then false, and compaction waits for the next
     * deletion or replacement rather than trying again every 100 ms (the copies made so far are durable and indexed,
     * and the pack keeps the records not yet copied).
     */
    private boolean compactOneIfRoom() throws IOException {
        try {
            return compactOne();
        } catch (NoRoom e) {
            noRoom(e);
            return false;
        }
    }

    /** Compacts the pack with the least live bytes for its size, if under half. @return whether one was */
    private boolean compactOne() throws IOException {
        Long victim = null;
        double best = 0.5;
        for (var p : packs.entrySet()) {
            long[] liveAndSize = p.getValue();
            if (p.getKey() == activeId || liveAndSize[1] == 0) continue;
            double ratio = liveAndSize[0] / (double) liveAndSize[1];
            if (ratio < best) {
                best = ratio;
                victim = p.getKey();
            }
        }
        if (victim == null) return false;
        compact(victim);
        return true;
    }

    private void compact(long pack) throws IOException {
        Path file = path(pack);
        boolean oldest = pack == packs.firstKey();
        List<Pending> copies = new ArrayList<>();
        long size = packs.get(pack)[1];
        long[] queued = {0};
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            scan(file, map, size, (at, r) -> {
                Entry current = index.get(r.shardId());
                boolean live = r.type() == PackRecord.Type.SHARD
                        ? current != null && current.pack() == pack && current.offset() == at
                        : current == null && !oldest; // still deleted; an older pack may hold a record of it
                if (!live) return;
                ByteBuffer copy = ByteBuffer.allocate(r.length());
                copy.put(map.duplicate().position(at).limit(at + r.length())).flip();
                copies.add(new Pending(r, copy, new CompletableFuture<>()));
                queued[0] += r.length();
                if (queued[0] >= MAX_BATCH_BYTES) {
                    commitCopies(copies, queued[0]);
                    queued[0] = 0;
                }
            });
        }
        commitCopies(copies, queued[0]);
        // A shard still indexed here had its header rot since it was indexed (the scan skipped it): it goes
        // with the pack, as missing rather than pointing into a deleted file, and is healed from its peers.
        index.values().removeIf(e -> {
            if (e.pack() != pack) return false;
            log.error(
                    "pack {}: shard {} at {} lost its header; dropped",
                    file,
                    e.record().shardId(),
                    e.offset());
            return true;
        });
        // The copies are durable: the pack can go. A reader holding it open keeps its bytes.
        Files.delete(file);
        Durability.fsyncDirectory(dir);
        packs.remove(pack);
        compactions.incrementAndGet();
        log.info("pack {} compacted ({} bytes)", file, size);
    }

    private void commitCopies(List<Pending> copies, long bytes) throws IOException {
        if (copies.isEmpty()) return;
        commit(copies, bytes);
        copies.clear();
    }

    /** A new pack to append to; its name is made durable before any record in it is acknowledged. */
    private void roll() throws IOException {
        try {
            Files.createFile(path(activeId + 1));
        } catch (IOException e) {
            if (DataDir.noSpace(e)) throw new NoRoom(e); // nothing was created: the active pack stays
            throw e;
        }
        activeId = activeId + 1;
        activeSize = 0;
        packs.put(activeId, new long[] {0, 0});
        Durability.fsyncDirectory(dir);
        compactionDue = true; // the pack rolled from may have lost half its records while it was appended to
    }

    /**
     * Indexes one pack. A header that does not check is skipped to the next one that does (rot); none
     * after it, or a record running past the end, is a torn tail: on the last pack, where a crash
     * can leave one, it is cut off (none of it was acknowledged). A record whose data does not
     * check is indexed all the same: its reads fail as a corrupt shard's do, and the scrub reports it.
     */
    private void load(long id, boolean last) throws IOException {
        Path file = path(id);
        long size = Files.size(file);
        if (size > Integer.MAX_VALUE) throw new IOException("pack " + file + " is larger than 2 GiB");
        packs.put(id, new long[] {0, size});
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            long end = scan(file, map, size, (at, r) -> {
                if (r.type() == PackRecord.Type.SHARD && !r.dataMatches(map, at))
                    log.error("pack {}: shard {} at {} does not match its checksum", file, r.shardId(), at);
                apply(new Entry(id, at, r));
            });
            if (end < size) {
                if (last) {
                    // A batch the crash interrupted: not one of its records was acknowledged.
                    log.warn("pack {}: cutting {} bytes of an unfinished batch off at {}", file, size - end, end);
                    ch.truncate(end);
                    ch.force(true);
                    packs.get(id)[1] = end;
                } else {
                    log.error("pack {}: the {} bytes after {} hold no record", file, size - end, end);
                }
            }
        }
    }

    interface RecordVisitor {
        void record(int at, PackRecord r) throws IOException;
    }

    /**
     * Visits every whole record of a pack in order, skipping a damaged header to the next that checks.
     * @return where the last whole record ends: a torn tail starts there
     */
    static long scan(Path file, MappedByteBuffer map, long size, RecordVisitor each) throws IOException {
        long end = 0;
        int at = 0;
        while (at < size) {
            PackRecord r = PackRecord.decodeHeader(map.position(at));
            if (r == null) {
                int next = nextHeader(map, at + 1);
                if (next < 0) break;
                log.error("pack {}: {} damaged bytes at {} skipped", file, next - at, at);
                at = next;
                continue;
            }
            if (at + (long) r.length() > size) break;
            each.record(at, r);
            at += r.length();
            end = at;
        }
        return end;
    }

    /** The next position from {@code from} where a header checks, or -1. */
    private static int nextHeader(MappedByteBuffer map, int from) {
        for (int at = from; at + PackRecord.HEADER <= map.limit(); at++) {
            if (map.getInt(at) == PackRecord.MAGIC && PackRecord.decodeHeader(map.position(at)) != null) return at;
        }
        return -1;
    }

    private List<Long> packIds() throws IOException {
        return packIds(dir);
    }

    /** The ids of the packs in {@code dir}, oldest first. */
    static List<Long> packIds(Path dir) throws IOException {
        TreeMap<Long, Path> ids = new TreeMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                try {
                    ids.put(Long.parseLong(name.substring(0, name.length() - SUFFIX.length())), f);
                } catch (NumberFormatException e) {
                    log.warn("pack dir {}: ignoring {}", dir, name);
                }
            }
        }
        return new ArrayList<>(ids.keySet());
    }

    private Path path(long id) {
        return path(dir, id);
    }

    static Path path(Path dir, long id) {
        return dir.resolve(String.format("%010d%s", id, SUFFIX));
    }

    /** A batch the disk had no room for (the cause: ENOSPC or EDQUOT), the packs left as they were before it. */
    private static final class NoRoom extends IOException {
        NoRoom(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }

    /** Commits what is queued, then stops. */
    @Override
    public void close() throws IOException {
        closed = true;
        queue.add(WAKE);
        try {
            committer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
