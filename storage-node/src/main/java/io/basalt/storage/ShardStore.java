package io.basalt.storage;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/** The shards of one node, spread over its data dirs. Thread-safe: all state lives in the file system. */
public final class ShardStore {
    /** Dirs whose free space is this close to the best count as tied, so similar disks share new writes. */
    private static final long FREE_SPACE_TIE_BYTES = 256L << 20;

    private final List<DataDir> dirs;

    private ShardStore(List<DataDir> dirs) {
        this.dirs = dirs;
    }

    public static ShardStore open(List<Path> roots) throws IOException {
        if (roots.isEmpty()) {
            throw new IllegalArgumentException("at least one data dir is required");
        }
        List<DataDir> dirs = new ArrayList<>();
        for (Path root : roots) {
            dirs.add(DataDir.open(root));
        }
        return new ShardStore(List.copyOf(dirs));
    }

    List<DataDir> dirs() {
        return dirs;
    }

    public List<Path> roots() {
        return dirs.stream().map(DataDir::root).toList();
    }

    /** The dir holding a shard and its file. */
    record Located(DataDir dir, Path file) {}

    Optional<Located> locate(String shardId) {
        for (DataDir dir : dirs) {
            Path file = dir.shardPath(shardId);
            if (Files.exists(file)) {
                return Optional.of(new Located(dir, file));
            }
        }
        return Optional.empty();
    }

    /**
     * Starts writing a shard. An existing shard is replaced in its own dir so the rename
     * swaps it atomically; a new one goes to the dir with the most free space.
     */
    ShardWriter newWriter(String shardId, int chunkSize) throws IOException {
        DataDir dir = locate(shardId).map(Located::dir).orElseGet(() -> chooseDir(shardId));
        return ShardWriter.create(shardId, chunkSize, dir);
    }

    private DataDir chooseDir(String shardId) {
        if (dirs.size() == 1) {
            return dirs.get(0);
        }
        long[] free = dirs.stream().mapToLong(DataDir::usableBytes).toArray();
        long best = java.util.Arrays.stream(free).max().orElseThrow();
        List<DataDir> tied = new ArrayList<>();
        for (int i = 0; i < dirs.size(); i++) {
            if (best - free[i] <= FREE_SPACE_TIE_BYTES) {
                tied.add(dirs.get(i));
            }
        }
        return tied.get(Math.floorMod(ShardId.hash(shardId), tied.size()));
    }

    ShardReader openReader(String shardId) throws IOException {
        Located located = locate(shardId).orElseThrow(() -> new NoSuchFileException(shardId));
        return ShardReader.open(shardId, located.file());
    }

    /** Header, modification time and dir of a stored shard. */
    record Stat(String shardId, ShardHeader header, long modifiedUnixMs, Path dataDir) {}

    Stat stat(String shardId) throws IOException {
        Located located = locate(shardId).orElseThrow(() -> new NoSuchFileException(shardId));
        try (ShardReader reader = ShardReader.open(shardId, located.file())) {
            long mtime = Files.readAttributes(located.file(), BasicFileAttributes.class).lastModifiedTime().toMillis();
            return new Stat(shardId, reader.header(), mtime, located.dir().root());
        }
    }

    /** Deletes the shard from every dir; true if any copy existed. */
    boolean delete(String shardId) throws IOException {
        return delete(shardId, Long.MAX_VALUE) == Deletion.DELETED;
    }

    enum Deletion { DELETED, ABSENT, KEPT_NEWER }

    /** Deletes copies last written before {@code writtenBeforeMs}; newer copies are kept. */
    Deletion delete(String shardId, long writtenBeforeMs) throws IOException {
        Deletion result = Deletion.ABSENT;
        for (DataDir dir : dirs) {
            Path file = dir.shardPath(shardId);
            if (!Files.exists(file)) continue;
            if (Files.getLastModifiedTime(file).toMillis() >= writtenBeforeMs) {
                result = Deletion.KEPT_NEWER;
                continue;
            }
            if (Files.deleteIfExists(file)) {
                Durability.fsyncDirectory(file.getParent());
                if (result == Deletion.ABSENT) result = Deletion.DELETED;
            }
        }
        return result;
    }

    /** Ids starting with {@code prefix}, sorted, strictly after {@code startAfter}; limit 0 means all. */
    List<String> list(String prefix, String startAfter, int limit) throws IOException {
        TreeSet<String> ids = new TreeSet<>();
        for (DataDir dir : dirs) {
            ids.addAll(dir.shardIds(prefix));
        }
        var after = startAfter.isEmpty() ? ids : ids.tailSet(startAfter, false);
        return after.stream().limit(limit == 0 ? Long.MAX_VALUE : limit).toList();
    }

    /** Sums each distinct file system once, so two dirs on one disk do not double its space. */
    Capacity capacity() throws IOException {
        Set<FileStore> seen = new HashSet<>();
        long free = 0;
        long total = 0;
        for (DataDir dir : dirs) {
            if (seen.add(dir.fileStore())) {
                free += dir.fileStore().getUsableSpace();
                total += dir.fileStore().getTotalSpace();
            }
        }
        return new Capacity(free, total);
    }
}
