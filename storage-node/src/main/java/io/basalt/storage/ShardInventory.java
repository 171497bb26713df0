package io.basalt.storage;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The shards a data dir holds, read from its files alone while the node may be running: each as a shard file
 * or a record in a pack. For tests and chaos runs that lose or damage shards the way a disk does, whatever the
 * layout; the node itself never reads this (it has its index).
 */
public final class ShardInventory {
    private ShardInventory() {}

    /**
     * One shard on disk: {@code file} holds its bytes from {@code start} for {@code length} (a shard file from 0
     * to the end of its data, or one pack record), of which {@code dataFrom} on are the shard's data.
     */
    public record StoredShard(String id, Path file, long start, long length, long dataFrom, boolean packed) {

        /**
         * Flips {@code bytes} random bytes of the shard's data, as bitrot would: the node's checksums must catch
         * it. @return false if the shard went away meanwhile (deleted, compacted) or holds no data
         */
        public boolean corrupt(int bytes, Random rnd) {
            long dataLength = start + length - dataFrom;
            if (dataLength <= 0) return false;
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                if (raf.length() < start + length) return false;
                for (int b = 0; b < bytes; b++) {
                    long pos = dataFrom + (long) (rnd.nextDouble() * dataLength);
                    raf.seek(pos);
                    int v = raf.read();
                    raf.seek(pos);
                    raf.write(v ^ 0xFF);
                }
                return true;
            } catch (NoSuchFileException e) {
                return false;
            } catch (IOException e) {
                if (!Files.exists(file)) return false;
                throw new UncheckedIOException(e);
            }
        }

        /**
         * Loses the shard as a disk would: a shard file is deleted; a packed shard's record is zeroed where it
         * lies, so the running node fails reading it and, after a restart, no longer finds it.
         * @return false if it was gone already
         */
        public boolean lose() {
            try {
                if (!packed) return Files.deleteIfExists(file);
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                    if (ch.size() < start + length) return false;
                    ch.write(java.nio.ByteBuffer.allocate((int) length), start);
                    return true;
                }
            } catch (NoSuchFileException e) {
                return false;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** Every shard of the data dir {@code root}: its shard files, then its live packed shards. */
    public static List<StoredShard> of(Path root) throws IOException {
        List<StoredShard> out = new ArrayList<>(files(root.resolve("shards")));
        out.addAll(packed(root.resolve("packs")));
        return out;
    }

    /**
     * Shard files under {@code shards/} (never {@code tmp/}), sorted by path. The node may delete files while
     * this walks (GC, the orphan sweep): a file gone between the directory's listing and its stat is skipped.
     */
    private static List<StoredShard> files(Path shards) throws IOException {
        if (!Files.isDirectory(shards)) return List.of();
        List<StoredShard> out = new ArrayList<>();
        Files.walkFileTree(shards, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
                if (attrs.isRegularFile()) out.add(shardFile(f, attrs.size()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) return FileVisitResult.CONTINUE; // deleted since listed
                throw e;
            }
        });
        out.sort(Comparator.comparing(StoredShard::file));
        return out;
    }

    /**
     * A shard file, its data's place read from its header: format 2's data ends before the padding and the
     * CRC table (bitrot there would go unnoticed or hit a checksum, not data). A file too damaged to say
     * counts as all data after the header.
     */
    private static StoredShard shardFile(Path f, long size) {
        String id = f.getFileName().toString();
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            ShardFileLayout layout = ShardHeader.read(ch);
            long dataFrom = layout.dataPosition(0);
            if (layout.version() == ShardFileLayout.ALIGNED)
                return new StoredShard(id, f, 0, dataFrom + layout.header().length(), dataFrom, false);
            return new StoredShard(id, f, 0, size, ShardHeader.SIZE, false);
        } catch (IOException e) {
            return new StoredShard(id, f, 0, size, ShardHeader.SIZE, false);
        }
    }

    /** The packed shards a node would index: records replayed oldest pack first, a later one replacing or deleting. */
    private static List<StoredShard> packed(Path packs) throws IOException {
        if (!Files.isDirectory(packs)) return List.of();
        Map<String, StoredShard> live = new LinkedHashMap<>();
        for (long id : PackLog.packIds(packs)) {
            Path file = PackLog.path(packs, id);
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                long size = Math.min(ch.size(), Integer.MAX_VALUE);
                MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
                PackLog.scan(file, map, size, (at, r) -> {
                    live.remove(r.shardId()); // a replaced shard moves to the end, as its newest record
                    if (r.type() == PackRecord.Type.SHARD)
                        live.put(
                                r.shardId(),
                                new StoredShard(r.shardId(), file, at, r.length(), at + r.dataOffset(), true));
                });
            } catch (NoSuchFileException e) {
                // compacted away since it was listed: its live records are in a newer pack
            }
        }
        return new ArrayList<>(live.values());
    }
}
