package io.basalt.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node keeps the headers and CRC tables of the shard files it served ({@link ShardLayouts}): a second read of a
 * shard goes to the disk for its data alone, and a shard rewritten through the node or replaced behind its back is
 * read with its own checksums, never with those kept for the file it replaced.
 */
class ShardLayoutsTest {
    private static final int CHUNK = 64 << 10;

    @TempDir
    Path dir;

    /** Chunk {@code index} of the shard as this node serves it; the reader's disk reads in {@code reads[0]}. */
    private static byte[] chunk(StorageNode node, String id, int index, int[] reads) throws Exception {
        try (ShardReader r = node.store().openReader(id)) {
            ByteBuffer dst = ByteBuffer.allocate(r.header().chunkLength(index));
            r.readChunk(index, dst, index);
            reads[0] = r.diskReads();
            return dst.array();
        }
    }

    private static byte[] slice(byte[] data, int index) {
        return java.util.Arrays.copyOfRange(data, index * CHUNK, Math.min(data.length, (index + 1) * CHUNK));
    }

    @Test
    void aShardReadAgainCostsOneDiskReadAndARewriteIsReadWithItsOwnChecksums() throws Exception {
        try (StorageNode node = StorageNode.start(StorageNodeConfig.local("layouts", List.of(dir)));
                ShardClient client = new ShardClient(node.port())) {
            byte[] first = ShardServiceTest.randomBytes(4 * CHUNK + 100, 1);
            client.write("s.0", first, CHUNK);
            int[] reads = new int[1];
            assertArrayEquals(slice(first, 2), chunk(node, "s.0", 2, reads));
            boolean direct = node.store().dirs().getFirst().directIo();
            if (direct) assertEquals(3, reads[0], "header, CRC table, chunk");
            assertArrayEquals(slice(first, 3), chunk(node, "s.0", 3, reads));
            if (direct) assertEquals(1, reads[0], "the chunk alone: header and CRCs as read before");

            // the same id written again (a heal's rewrite) with other bytes: other CRCs, the same size
            byte[] second = ShardServiceTest.randomBytes(first.length, 2);
            client.write("s.0", second, CHUNK);
            assertArrayEquals(slice(second, 3), chunk(node, "s.0", 3, reads));
            if (direct) assertEquals(3, reads[0], "forgotten at the commit: read afresh");
            assertArrayEquals(second, client.read("s.0", 0, 0), "over gRPC, whole");
        }
    }

    @Test
    void aFileReplacedBehindTheNodesBackIsReadWithItsOwnChecksums() throws Exception {
        try (StorageNode node = StorageNode.start(StorageNodeConfig.local("layouts", List.of(dir)));
                ShardClient client = new ShardClient(node.port())) {
            byte[] a = ShardServiceTest.randomBytes(3 * CHUNK, 3);
            byte[] b = ShardServiceTest.randomBytes(3 * CHUNK, 4);
            client.write("a.0", a, CHUNK);
            client.write("b.0", b, CHUNK);
            int[] reads = new int[1];
            assertArrayEquals(slice(a, 1), chunk(node, "a.0", 1, reads)); // a.0's CRCs now kept

            // an operator restores another file over it: the node learns nothing of it but the file's identity
            Path shards = dir.resolve("shards");
            Path fileA = shards.resolve(ShardId.fanOut("a.0")).resolve("a.0");
            Path copy = fileA.resolveSibling("a.0.restored");
            Files.copy(shards.resolve(ShardId.fanOut("b.0")).resolve("b.0"), copy);
            Files.move(copy, fileA, StandardCopyOption.ATOMIC_MOVE);

            assertArrayEquals(slice(b, 1), chunk(node, "a.0", 1, reads), "b's bytes, checked against b's CRCs");
            assertArrayEquals(b, client.read("a.0", 0, 0));
        }
    }
}
