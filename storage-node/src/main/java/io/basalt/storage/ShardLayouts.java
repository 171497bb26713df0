package io.basalt.storage;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;

/**
 * The headers and chunk CRC tables of the shard files read lately, so that serving a read costs one disk I/O, the
 * data's, instead of three: under O_DIRECT the header and the CRC table are each a 4 KiB round trip to the disk for
 * a few bytes, which on a 1 MiB ranged GET (256 KiB from each of four nodes) is most of a node's I/O and wakeups.
 *
 * <p>An entry holds for the file it was read from (device, inode and mtime): a shard rewritten by a heal, deleted or
 * replaced by hand is a new file and is read afresh, and {@link ShardStore} forgets an id at every commit and delete
 * besides. Nothing here can serve a wrong byte: a CRC table that is not the file's makes its chunks fail their check,
 * and a chunk that fails forgets the entry before the shard is reported corrupt. The scrubber never uses it, so rot in
 * a header or CRC table is still found on disk.
 */
final class ShardLayouts {
    /** About 24 MiB of heap with shards of 16 chunks (4 MiB shards of 256 KiB chunks): enough for a node's hot set. */
    static final long MAX_WEIGHT = 24L << 20;

    /** What a shard file said when read; {@code file} is its {@link #fileKey}. */
    record Known(Object file, ShardFileLayout layout, int[] chunkCrcs) {}

    private final Cache<String, Known> known = Caffeine.newBuilder()
            .maximumWeight(MAX_WEIGHT)
            .weigher((String id, Known k) -> 160 + 2 * id.length() + 4 * k.chunkCrcs().length)
            .build();

    /** What {@code file} said when read last as shard {@code shardId}, or null if that was another file or not kept. */
    Known lookup(String shardId, Object fileKey) {
        Known k = known.getIfPresent(shardId);
        return k != null && fileKey != null && fileKey.equals(k.file()) ? k : null;
    }

    void remember(String shardId, Known k) {
        if (k.file() != null) known.put(shardId, k);
    }

    /** The shard was written, deleted or found corrupt: the next read reads its header and CRC table again. */
    void forget(String shardId) {
        known.invalidate(shardId);
    }

    /**
     * The identity of the file at {@code path}: its device and inode on Linux with its modification time, as an
     * inode freed by a delete may be reused by a later file; null where the platform has no file keys.
     */
    static Object fileKey(Path path) throws IOException {
        BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class);
        return a.fileKey() == null ? null : List.of(a.fileKey(), a.lastModifiedTime());
    }
}
