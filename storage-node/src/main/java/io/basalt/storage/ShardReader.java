package io.basalt.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * Reads verified chunks of one shard file. Holding the channel open keeps serving the
 * version that was opened even if the shard is replaced or deleted meanwhile.
 */
final class ShardReader implements AutoCloseable {
    private final String shardId;
    private final PositionalReads reads;
    private final ShardHeader header;
    /** Where the chunks lie in a shard file; null for a packed shard. */
    private final ShardFileLayout layout;
    /** Format 2's chunk CRCs, read with the first chunk (a stat needs only the header); null until then. */
    private int[] chunkCrcs;

    private final DataDir dir;

    /** Where a packed shard's data starts in its pack, or -1 for a shard file. */
    private final long packedAt;

    private ShardReader(
            String shardId,
            PositionalReads reads,
            ShardHeader header,
            ShardFileLayout layout,
            DataDir dir,
            long packedAt) {
        this.shardId = shardId;
        this.reads = reads;
        this.header = header;
        this.layout = layout;
        this.dir = dir;
        this.packedAt = packedAt;
    }

    /**
     * A shard stored in a pack: one chunk, whose checksum is the record's. Holding the pack open
     * keeps serving it if compaction moves the record meanwhile.
     */
    static ShardReader openPacked(String shardId, Path pack, PackLog.Entry e, DataDir dir) throws IOException {
        PackRecord r = e.record();
        PositionalReads reads = PositionalReads.open(pack, false); // packs are written through the page cache
        return new ShardReader(
                shardId,
                reads,
                new ShardHeader(r.chunkSize(), r.dataLength(), r.dataCrc32c()),
                null,
                dir,
                e.offset() + r.dataOffset());
    }

    /** Opens and checks the header and file size; NoSuchFileException if absent. */
    static ShardReader open(String shardId, Path file) throws IOException {
        return open(shardId, file, null);
    }

    /**
     * As {@link #open(String, Path)}, remembering the dir so a later I/O error can be blamed on it, and reading
     * with O_DIRECT where the dir takes it.
     */
    static ShardReader open(String shardId, Path file, DataDir dir) throws IOException {
        PositionalReads reads = PositionalReads.open(file, dir != null && dir.directIo());
        try {
            ShardFileLayout layout = readHeader(shardId, reads);
            return new ShardReader(shardId, reads, layout.header(), layout, dir, -1);
        } catch (IOException | RuntimeException e) {
            reads.close();
            throw e;
        }
    }

    private static ShardFileLayout readHeader(String shardId, PositionalReads reads) throws IOException {
        long size = reads.size();
        if (size < ShardHeader.SIZE) {
            throw new CorruptShardException("corrupt shard " + shardId + ": file shorter than its header");
        }
        ByteBuffer buf = ByteBuffer.allocate(ShardHeader.SIZE);
        reads.readFully(buf, 0);
        ShardFileLayout layout;
        try {
            layout = ShardHeader.decode(buf.flip());
        } catch (CorruptShardException e) {
            throw new CorruptShardException("corrupt shard " + shardId + " header: " + e.getMessage());
        }
        if (size != layout.fileSize()) {
            throw new CorruptShardException(
                    "corrupt shard " + shardId + ": file has " + size + " bytes, header implies " + layout.fileSize());
        }
        return layout;
    }

    private static int[] readChunkCrcs(PositionalReads reads, ShardFileLayout layout) throws IOException {
        int chunks = Math.toIntExact(layout.header().chunkCount());
        ByteBuffer table = ByteBuffer.allocate(chunks * ShardHeader.CHUNK_CRC_SIZE);
        reads.readFully(table, layout.crcTablePosition());
        int[] crcs = new int[chunks];
        table.flip().asIntBuffer().get(crcs);
        return crcs;
    }

    ShardHeader header() {
        return header;
    }

    /** The data dir the file is in, or null when opened without one. */
    DataDir dir() {
        return dir;
    }

    /**
     * Returns chunk {@code index}'s data in a fresh array (callers may wrap it without copying), reading ahead
     * to the shard's end: for a caller that reads the chunks in order, as the scrubber does.
     *
     * @throws CorruptShardException if its stored CRC32C does not match, so bad bytes never leave the node
     */
    byte[] readChunk(long index) throws IOException {
        byte[] data = new byte[header.chunkLength(index)];
        readChunk(index, ByteBuffer.wrap(data), header.chunkCount() - 1);
        return data;
    }

    /**
     * Reads chunk {@code index} into {@code dst}'s next {@link ShardHeader#chunkLength} bytes (its position moves
     * past them) and verifies them. The file is read ahead through chunk {@code aheadThrough} (the last one the
     * caller will want), so the chunks up to it take fewer reads. {@code dst} keeps whatever was read if the chunk
     * proves corrupt; the caller drops it.
     *
     * @return the chunk's data length
     * @throws CorruptShardException if its stored CRC32C does not match, so bad bytes never leave the node
     */
    int readChunk(long index, ByteBuffer dst, long aheadThrough) throws IOException {
        int len = header.chunkLength(index);
        ByteBuffer data = dst.slice(dst.position(), len);
        int stored;
        if (packedAt >= 0) { // one chunk, its checksum the record's
            reads.readFully(data, packedAt);
            stored = header.shardCrc32c();
        } else {
            long last = Math.max(index, Math.min(aheadThrough, header.chunkCount() - 1));
            long aheadTo = layout.dataPosition(last) + header.chunkLength(last);
            long at = layout.dataPosition(index);
            if (layout.version() == ShardFileLayout.ALIGNED) {
                if (chunkCrcs == null) chunkCrcs = readChunkCrcs(reads, layout);
                stored = chunkCrcs[Math.toIntExact(index)];
            } else { // format 1: the CRC just before the data
                ByteBuffer crc = ByteBuffer.allocate(ShardHeader.CHUNK_CRC_SIZE);
                reads.readFully(crc, at - ShardHeader.CHUNK_CRC_SIZE, aheadTo);
                stored = crc.getInt(0);
            }
            reads.readFully(data, at, aheadTo);
        }
        CRC32C crc = new CRC32C();
        crc.update(data.flip());
        if ((int) crc.getValue() != stored) {
            throw new CorruptShardException("corrupt shard " + shardId + " chunk " + index);
        }
        dst.position(dst.position() + len);
        return len;
    }

    @Override
    public void close() throws IOException {
        reads.close();
    }
}
